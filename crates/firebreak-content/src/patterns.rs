//! What string literals reveal: credential files, autostart places, exfiltration
//! endpoints and worm tooling. Language analyzers feed every literal through [`classify`];
//! the token-level fallback feeds whole lines.

use std::net::Ipv4Addr;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};

use firebreak_core::Signal;

use crate::Capability;
use crate::signals::{CREDENTIAL_FILE_READ, EXFILTRATION_ENDPOINT, PERSISTENCE, WORM_BEHAVIOUR};

/// One fact read from a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StringFact {
    pub(crate) signal: &'static Signal,
    /// What matched, for the message ("~/.ssh", "Discord webhook").
    pub(crate) what: &'static str,
}

impl StringFact {
    /// The capability naming such a place shows.
    pub(crate) fn capability(&self) -> Capability {
        match self.signal.id {
            "credential-file-read" => Capability::CredentialAccess,
            "persistence" => Capability::Persistence,
            "exfiltration-endpoint" => Capability::ExfiltrationEndpoint,
            _ => Capability::Publishing,
        }
    }
}

// Lower-case needles. Each names a place a package has no ordinary reason to name;
// `.env` alone is left out (dotenv and every config loader read it).
const CREDENTIALS: &[(&str, &str)] = &[
    (".npmrc", "~/.npmrc (npm tokens)"),
    (".ssh/", "~/.ssh"),
    ("id_rsa", "an SSH private key"),
    ("id_ed25519", "an SSH private key"),
    (".aws/credentials", "~/.aws/credentials"),
    (".aws/config", "~/.aws/config"),
    (".git-credentials", "~/.git-credentials"),
    (".docker/config.json", "Docker registry credentials"),
    (".kube/config", "Kubernetes credentials"),
    (".pypirc", "~/.pypirc (PyPI tokens)"),
    (".config/gh/hosts.yml", "GitHub CLI token"),
    ("/etc/passwd", "/etc/passwd"),
    ("/etc/shadow", "/etc/shadow"),
    ("login data", "browser saved passwords"),
    ("user data/default", "a browser profile"),
    ("google/chrome", "a browser profile"),
    ("bravesoftware", "a browser profile"),
    (".mozilla/firefox", "a browser profile"),
    ("local state", "browser key store"),
    ("nkbihfbeogaeaoehlefnkodbefgpgknn", "the MetaMask extension"),
    ("wallet.dat", "a cryptocurrency wallet"),
    ("exodus/exodus.wallet", "a cryptocurrency wallet"),
    ("electrum/wallets", "a cryptocurrency wallet"),
    ("solana/id.json", "a Solana keypair"),
    ("keychain-db", "the macOS keychain"),
    ("application support/discord", "Discord tokens"),
];

const AUTOSTART: &[(&str, &str)] = &[
    ("library/launchagents", "macOS LaunchAgents"),
    ("library/launchdaemons", "macOS LaunchDaemons"),
    ("/etc/systemd/system", "a systemd unit"),
    (".config/systemd/user", "a systemd user unit"),
    ("systemctl enable", "a systemd unit"),
    ("crontab", "cron"),
    ("/etc/cron", "cron"),
    ("currentversion\\run", "a Windows Run key"),
    ("currentversion/run", "a Windows Run key"),
    ("start menu\\programs\\startup", "the Windows startup folder"),
    ("start menu/programs/startup", "the Windows startup folder"),
    ("schtasks", "a Windows scheduled task"),
    (".bashrc", "a shell profile"),
    (".zshrc", "a shell profile"),
    (".bash_profile", "a shell profile"),
];

const ENDPOINTS: &[(&str, &str)] = &[
    ("discord.com/api/webhooks", "a Discord webhook"),
    ("discordapp.com/api/webhooks", "a Discord webhook"),
    ("api.telegram.org/bot", "a Telegram bot"),
    ("hooks.slack.com/", "a Slack webhook"),
    ("pastebin.com", "a paste site"),
    ("paste.ee", "a paste site"),
    ("hastebin.com", "a paste site"),
    ("transfer.sh", "a file drop"),
    ("file.io", "a file drop"),
    ("0x0.st", "a file drop"),
    ("ngrok.io", "a tunnel"),
    ("ngrok-free.app", "a tunnel"),
    ("ngrok.app", "a tunnel"),
    ("trycloudflare.com", "a tunnel"),
    ("serveo.net", "a tunnel"),
    ("loca.lt", "a tunnel"),
    ("localtunnel.me", "a tunnel"),
    ("burpcollaborator.net", "an interaction-capture service"),
    ("oastify.com", "an interaction-capture service"),
    ("interact.sh", "an interaction-capture service"),
    ("oast.fun", "an interaction-capture service"),
    ("oast.pro", "an interaction-capture service"),
    ("oast.live", "an interaction-capture service"),
    ("canarytokens.com", "an interaction-capture service"),
    ("dnslog.cn", "an interaction-capture service"),
    ("ceye.io", "an interaction-capture service"),
    ("pipedream.net", "a request collector"),
    ("webhook.site", "a request collector"),
    ("requestbin", "a request collector"),
];

const WORM: &[(&str, &str)] = &[
    ("npm publish", "`npm publish`"),
    ("npm whoami", "`npm whoami`"),
    ("/-/whoami", "the npm whoami endpoint"),
    ("/-/npm/v1/tokens", "the npm token endpoint"),
    ("npm_token", "the NPM_TOKEN secret"),
    ("node_auth_token", "the NODE_AUTH_TOKEN secret"),
    ("api.github.com/user/repos", "GitHub repository creation"),
    // The contents API path: creating a workflow file in someone's repository. A bare
    // `.github/workflows` is how CI scripts and their comments name their own workflows;
    // writing one to disk is checked where the write is seen (js.rs, python.rs).
    ("contents/.github/workflows", "GitHub Actions workflows written through the GitHub API"),
    ("gh auth token", "the GitHub CLI token"),
    ("github_token", "the GITHUB_TOKEN secret"),
    ("trufflehog", "a secret scanner"),
    ("twine upload", "`twine upload`"),
    ("cargo publish", "`cargo publish`"),
];

struct Needles {
    automaton: AhoCorasick,
    /// Per pattern: the signal and what it names.
    meaning: Vec<(&'static Signal, &'static str)>,
}

/// Every needle of every table in one case-insensitive automaton: a literal is searched
/// once, however many needles there are (the per-needle search was a third of the time
/// spent on a large bundle).
fn needles() -> &'static Needles {
    static NEEDLES: OnceLock<Needles> = OnceLock::new();
    NEEDLES.get_or_init(|| {
        let mut patterns = Vec::new();
        let mut meaning = Vec::new();
        for (table, signal) in [
            (CREDENTIALS, &CREDENTIAL_FILE_READ),
            (AUTOSTART, &PERSISTENCE),
            (ENDPOINTS, &EXFILTRATION_ENDPOINT),
            (WORM, &WORM_BEHAVIOUR),
        ] {
            for (needle, what) in table {
                patterns.push(*needle);
                meaning.push((signal, *what));
            }
        }
        // Overlapping search needs the standard match kind; a needle inside another of
        // another table still counts.
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .expect("a few dozen fixed needles always build");
        Needles { automaton, meaning }
    })
}

/// The facts `text` reveals, each kind once.
pub(crate) fn classify(text: &str) -> Vec<StringFact> {
    let mut out: Vec<StringFact> = Vec::new();
    if text.len() < 4 {
        return out;
    }
    let needles = needles();
    for found in needles.automaton.find_overlapping_iter(text) {
        let Some(&(signal, what)) = needles.meaning.get(found.pattern().as_usize()) else { continue };
        if !out.iter().any(|f| std::ptr::eq(f.signal, signal)) {
            out.push(StringFact { signal, what });
        }
    }
    if text.contains("://")
        && !out.iter().any(|f| std::ptr::eq(f.signal, &EXFILTRATION_ENDPOINT))
        && has_public_ip_url(&text.to_ascii_lowercase())
    {
        out.push(StringFact { signal: &EXFILTRATION_ENDPOINT, what: "a raw public IP address" });
    }
    out
}

/// A URL (`scheme://a.b.c.d`) whose host is a public IPv4 address: loopback, private and
/// documentation ranges are ordinary in configuration defaults and examples.
fn has_public_ip_url(lower: &str) -> bool {
    let mut rest = lower;
    while let Some(at) = rest.find("://") {
        rest = &rest[at + 3..];
        let host: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
        if let Ok(ip) = host.parse::<Ipv4Addr>()
            && !(ip.is_loopback()
                || ip.is_private()
                || ip.is_unspecified()
                || ip.is_link_local()
                || ip.is_documentation()
                || ip.is_broadcast())
        {
            return true;
        }
    }
    false
}

/// Whether a write's target (its source text) is a GitHub Actions workflow: a worm plants
/// one in every repository it can push to.
pub(crate) fn is_workflow_path(target: &str) -> bool {
    let lower = target.to_ascii_lowercase();
    lower.contains(".github/workflows") || (lower.contains(".github") && lower.contains("workflows"))
}

/// "reads N secret-looking environment variables (A, B, …)" when at least three of the
/// variables a file reads look like secrets: one token is configuration, a handful is a
/// collection.
pub(crate) fn secret_env_reads(names: &std::collections::BTreeSet<String>) -> Option<String> {
    const SECRET: &[&str] = &[
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "API_KEY",
        "ACCESS_KEY",
        "PRIVATE_KEY",
        "CREDENTIAL",
        "AUTH",
    ];
    let secrets: Vec<&str> = names
        .iter()
        .filter(|n| {
            let upper = n.to_ascii_uppercase();
            SECRET.iter().any(|s| upper.contains(s))
        })
        .map(String::as_str)
        .collect();
    (secrets.len() >= 3).then(|| {
        let shown = secrets.iter().take(6).copied().collect::<Vec<_>>().join(", ");
        format!("reads {} secret-looking environment variables ({shown})", secrets.len())
    })
}

/// The characters of a base64 or hex blob, for payload detection.
pub(crate) fn looks_encoded(text: &str) -> Option<&'static str> {
    let bytes = text.as_bytes();
    if bytes.len() < 512 {
        return None;
    }
    if bytes.iter().all(u8::is_ascii_hexdigit) {
        return Some("hex");
    }
    let base64 = bytes
        .iter()
        .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'))
        .count();
    // No spaces at all and almost only the base64 alphabet: prose and code have spaces.
    if base64 * 100 >= bytes.len() * 99 && !bytes.contains(&b' ') && shannon_entropy(bytes) > 4.5 {
        return Some("base64");
    }
    None
}

/// Bits per byte.
pub(crate) fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[usize::from(b)] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<&'static str> {
        classify(text).iter().map(|f| f.signal.id).collect()
    }

    #[test]
    fn classifies_literals() {
        assert_eq!(ids("/home/x/.ssh/id_rsa"), ["credential-file-read"]);
        assert_eq!(ids("https://discord.com/api/webhooks/1/abc"), ["exfiltration-endpoint"]);
        assert_eq!(ids("http://45.61.1.20:8000/p"), ["exfiltration-endpoint"]);
        assert!(ids("http://127.0.0.1:3000").is_empty());
        assert!(ids("http://192.168.1.1/").is_empty());
        assert!(ids("https://registry.npmjs.org/").is_empty());
        assert_eq!(ids("~/Library/LaunchAgents/com.x.plist"), ["persistence"]);
        assert_eq!(ids("npm publish --access public"), ["worm-behaviour"]);
        assert!(ids(".env").is_empty());
    }

    #[test]
    fn encoded_blobs() {
        let b64 =
            "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODk".repeat(8);
        assert_eq!(looks_encoded(&b64), Some("base64"));
        assert_eq!(looks_encoded(&"0a1b".repeat(200)), Some("hex"));
        assert_eq!(looks_encoded(&"word ".repeat(200)), None);
        assert_eq!(looks_encoded("short"), None);
    }
}

/// Names that code hides when it does not want a reader (or a scanner) to see what it
/// calls: modules, functions and variables attacks use.
const SENSITIVE_NAMES: &[&str] = &[
    "child_process",
    "exec",
    "execSync",
    "spawn",
    "eval",
    "Function",
    "constructor",
    "_compile",
    "require",
    "createDecipher",
    "createDecipheriv",
    "http",
    "https",
    "net",
    "dns",
    "fs",
    "writeFile",
    "writeFileSync",
    "unlink",
    "unlinkSync",
    "readdirSync",
    "env",
    "process",
    "npm_package_description",
    "crypto",
    "os",
    "homedir",
    "hostname",
    "subprocess",
    "os.system",
    "socket",
    "urllib",
    "base64",
    "marshal",
];

/// A string literal that is hex or base64 for readable text: the decoded text.
pub(crate) fn decode_literal(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    if bytes.len() < 4 || bytes.len() > 4096 {
        return None;
    }
    let decoded = if bytes.len().is_multiple_of(2) && bytes.iter().all(u8::is_ascii_hexdigit) {
        bytes
            .chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
            .collect::<Option<Vec<u8>>>()?
    } else if bytes.len().is_multiple_of(4)
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    {
        base64_decode(bytes)?
    } else {
        return None;
    };
    let text = String::from_utf8(decoded).ok()?;
    let readable = !text.is_empty() && text.chars().all(|c| !c.is_control() || c == '\n' || c == '\t');
    readable.then_some(text)
}

/// Whether decoded text is something code has reason to hide.
pub(crate) fn is_sensitive(decoded: &str) -> bool {
    SENSITIVE_NAMES.contains(&decoded) || decoded.contains("://") || !classify(decoded).is_empty()
}

fn base64_decode(bytes: &[u8]) -> Option<Vec<u8>> {
    let value = |b: u8| -> Option<u32> {
        Some(match b {
            b'A'..=b'Z' => u32::from(b - b'A'),
            b'a'..=b'z' => u32::from(b - b'a') + 26,
            b'0'..=b'9' => u32::from(b - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for chunk in bytes.chunks(4) {
        let pad = chunk.iter().rev().take_while(|b| **b == b'=').count();
        let mut n = 0u32;
        for (i, b) in chunk.iter().enumerate() {
            n <<= 6;
            if i < 4 - pad {
                n |= value(*b)?;
            }
        }
        let [_, a, b, c] = n.to_be_bytes();
        out.extend_from_slice(&[a, b, c][..3 - pad.min(2)]);
    }
    Some(out)
}

#[cfg(test)]
mod decode_tests {
    use super::*;

    #[test]
    fn decodes_hidden_names() {
        assert_eq!(decode_literal("6368696c645f70726f63657373").as_deref(), Some("child_process"));
        assert_eq!(decode_literal("Li4v").as_deref(), Some("../"));
        assert_eq!(decode_literal("aHR0cHM6Ly94LmV4YW1wbGU=").as_deref(), Some("https://x.example"));
        assert_eq!(decode_literal("deadbeef"), None, "not readable");
        assert!(!is_sensitive("../"), "a walk root is judged by the caller");
        assert_eq!(decode_literal("test"), None);
        assert!(is_sensitive("child_process") && is_sensitive("https://x") && !is_sensitive("abc"));
    }
}
