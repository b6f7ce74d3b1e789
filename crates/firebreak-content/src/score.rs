//! Findings combined into a verdict. Single capabilities are common in honest packages
//! (esbuild downloads and runs its binary at install time, every HTTP client opens
//! sockets); what marks malice is their combination, where it runs, and hiding it. So
//! the score adds weights, and a small set of combinations decides `malicious` outright.

use std::collections::BTreeSet;

use firebreak_core::Severity;
use serde::Serialize;

use crate::{Analysis, Capability, Hit, Phase, is_auxiliary};

/// The three outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VerdictKind {
    /// Nothing that needs a look.
    Clean,
    /// Worth a person's review before installing.
    Suspicious,
    /// Behaves like malware.
    Malicious,
}

impl VerdictKind {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictKind::Clean => "clean",
            VerdictKind::Suspicious => "suspicious",
            VerdictKind::Malicious => "malicious",
        }
    }
}

/// A verdict with its score and the reasons a person reads first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// The outcome.
    pub verdict: VerdictKind,
    /// Sum of the weights (0 when nothing was found).
    pub score: u32,
    /// The deciding combination (for malicious) and the heaviest findings, most important first.
    pub reasons: Vec<String>,
}

/// Score at or above which a package is suspicious.
pub const SUSPICIOUS_SCORE: u32 = 40;

/// Whether one file raises `signal` and also shows `capability`.
fn same_file(hits: &[&Hit], signal: &str, capability: Capability) -> bool {
    hits.iter()
        .filter(|h| h.signal.id == signal)
        .any(|h| hits.iter().any(|o| o.path == h.path && o.capability == Some(capability)))
}

fn weight(hit: &Hit) -> u32 {
    if hit.phase == Phase::Runtime && is_auxiliary(&hit.path) {
        return 0;
    }
    let base = match hit.severity {
        Severity::Info => 0,
        Severity::Low => 2,
        Severity::Medium => 8,
        Severity::High => 25,
        Severity::Critical => 60,
    };
    // The hook itself is counted once as what it is; what runs inside it counts double.
    if hit.phase == Phase::InstallTime && hit.signal.id != "install-time-code" { base * 2 } else { base }
}

/// Combines an analysis (and extra hits, such as a diff's) into a verdict.
pub fn score(analysis: &Analysis, extra: &[Hit]) -> Verdict {
    let hits: Vec<&Hit> = analysis.hits.iter().chain(extra).collect();
    let caps = &analysis.capabilities;
    let has = |c: Capability| caps.iter().any(|(k, _)| *k == c);
    let install = |c: Capability| caps.contains(&(c, Phase::InstallTime));
    let install_code = caps.iter().any(|(_, p)| *p == Phase::InstallTime);

    let mut reasons: Vec<String> = Vec::new();
    let mut rule = |cond: bool, text: &str| {
        if cond {
            reasons.push(text.to_owned());
        }
    };
    let secrets_install = install(Capability::EnvironmentHarvest) || install(Capability::CredentialAccess);
    let secrets = has(Capability::EnvironmentHarvest) || has(Capability::CredentialAccess);
    let decoded_exec = hits.iter().any(|h| h.signal.id == "dynamic-code" && h.severity >= Severity::High);
    // One fact named twice ("runs `npm publish`", "names `npm publish`") is one fact: a
    // release tool publishes too. It takes two kinds, or one with stolen secrets.
    // Tests and docs that only ship (a docs deploy script pushing with GITHUB_TOKEN) are
    // not the package spreading itself.
    let worm_facts: BTreeSet<&str> = hits
        .iter()
        .filter(|h| {
            h.signal.id == "worm-behaviour" && (h.phase == Phase::InstallTime || !is_auxiliary(&h.path))
        })
        .map(|h| h.message.split_once(' ').map_or(h.message.as_str(), |(_, what)| what))
        .collect();

    rule(
        hits.iter().any(|h| h.signal.id == "integrity-mismatch"),
        "the archive does not match the registry's hash",
    );
    rule(
        worm_facts.len() >= 2 || (!worm_facts.is_empty() && secrets && has(Capability::Network)),
        "publishing tooling together with token access: worm behaviour",
    );
    rule(
        secrets_install
            && (install(Capability::Network)
                || install(Capability::ExfiltrationEndpoint)
                || install(Capability::ProcessSpawn)),
        "install-time code reads secrets or credentials and can send them out",
    );
    let exfil_with_secrets =
        hits.iter().filter(|h| h.signal.id == "exfiltration-endpoint" && !is_auxiliary(&h.path)).any(|h| {
            hits.iter()
                .any(|o| o.path == h.path && matches!(o.signal.id, "credential-file-read" | "env-harvest"))
        });
    rule(exfil_with_secrets, "secrets or credentials next to an exfiltration endpoint");
    rule(
        install(Capability::Obfuscation)
            && (install(Capability::Network)
                || install(Capability::ProcessSpawn)
                || install(Capability::DynamicCode)),
        "obfuscated install-time code that uses the network, spawns programs or evaluates code",
    );
    rule(
        install(Capability::SelfModification)
            && (install(Capability::Network) || install(Capability::ProcessSpawn)),
        "install-time code that covers its tracks after acting",
    );
    rule(
        install(Capability::HiddenProcess)
            && (install(Capability::Network)
                || install(Capability::DynamicCode)
                || install(Capability::Obfuscation)),
        "install-time code that starts a hidden or detached process after fetching or decoding",
    );
    rule(
        decoded_exec
            && (has(Capability::Network) || has(Capability::Obfuscation) || install(Capability::DynamicCode)),
        "executes decoded data",
    );
    rule(
        install(Capability::Persistence)
            && install_code
            && (install(Capability::Network) || install(Capability::ProcessSpawn)),
        "install-time code that installs itself to run again",
    );
    let install_eval = hits.iter().any(|h| {
        h.signal.id == "dynamic-code" && h.phase == Phase::InstallTime && h.severity >= Severity::Medium
    });
    rule(install_eval && install(Capability::Network), "install-time code fetches code and evaluates it");
    // In one file: a vendored CI image script piping rustup into sh and a test runner's
    // `setsid` elsewhere are not one dropper.
    rule(
        same_file(&hits, "download-and-execute", Capability::HiddenProcess),
        "downloads a program and starts it hidden or detached",
    );
    // In one file: a bundle's eval and an obfuscated file elsewhere are not one program.
    let obfuscated_eval = hits.iter().any(|h| {
        h.signal.id == "dynamic-code"
            && h.severity >= Severity::Medium
            && hits
                .iter()
                .any(|o| o.signal.id == "obfuscated-code" && o.path == h.path && o.severity >= Severity::High)
    });
    rule(obfuscated_eval, "obfuscated code that evaluates code built at run time");
    let payload = hits.iter().any(|h| h.signal.id == "encoded-payload");
    rule(payload && decoded_exec, "decodes a hidden payload and compiles it");
    rule(
        has(Capability::NetworkInterception) && has(Capability::Obfuscation),
        "obfuscated code that hooks network or wallet functions",
    );
    rule(
        has(Capability::DestructiveWrite) && (has(Capability::Network) || has(Capability::Obfuscation)),
        "walks the file system overwriting or deleting files, steered by hidden strings or the network",
    );
    rule(same_file(&hits, "env-harvest", Capability::Network), "sends the environment over the network");
    // A rule's author decides: a rule marked malicious names a payload, not a capability.
    // Tests and docs that only ship are not the package running it.
    for hit in &hits {
        if let Some(r) = hit.rule.as_ref().filter(|r| r.malicious)
            && (hit.phase == Phase::InstallTime || !is_auxiliary(&hit.path))
        {
            let text = format!("YARA rule `{}` ({}) marks it malicious", r.rule, r.namespace);
            if !reasons.contains(&text) {
                reasons.push(text);
            }
        }
    }
    let malicious = !reasons.is_empty();

    // One signal counts at most three times: a bundle with forty fetch calls is not forty
    // times as suspicious.
    let mut weighted: Vec<(u32, &Hit)> = hits.iter().map(|h| (weight(h), *h)).collect();
    weighted
        .sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.path.cmp(&b.1.path)).then(a.1.line.cmp(&b.1.line)));
    // YARA rules count each on its own: two different rules are two facts.
    let mut per_signal: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut score = 0u32;
    for (w, hit) in &weighted {
        let key = hit.rule.as_ref().map_or(hit.signal.id, |r| r.rule.as_str());
        let n = per_signal.entry(key).or_default();
        *n += 1;
        if *n <= 3 {
            score = score.saturating_add(*w);
        }
    }

    let verdict = if malicious {
        VerdictKind::Malicious
    } else if score >= SUSPICIOUS_SCORE {
        VerdictKind::Suspicious
    } else {
        VerdictKind::Clean
    };
    if verdict != VerdictKind::Clean {
        let mut seen = BTreeSet::new();
        for (w, hit) in weighted {
            if w == 0 || reasons.len() >= 6 {
                break;
            }
            let place = if hit.line > 0 { format!("{}:{}", hit.path, hit.line) } else { hit.path.clone() };
            if seen.insert((hit.signal.id, hit.message.clone())) {
                reasons.push(format!("{} ({}, {place}): {}", hit.signal.id, hit.phase.as_str(), hit.message));
            }
        }
    }
    Verdict { verdict, score, reasons }
}
