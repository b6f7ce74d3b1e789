//! Line-level analysis: shell scripts, Rust build scripts, and the fallback for source no
//! parser accepted. Weaker than a parser (a string is only a line), so severities stay
//! one step lower where the parser would know more.

use std::collections::HashMap;

use firebreak_core::{Severity, Signal};

use crate::patterns::classify;
use crate::signals::{
    DOWNLOAD_AND_EXECUTE, DYNAMIC_CODE, ENV_HARVEST, NETWORK_ACCESS, PROCESS_SPAWN, PROCESS_SPAWN_HIDDEN,
};
use crate::{Capability, FileAnalyzer, FileReport, Hit, Phase};

/// Shell scripts (`.sh`, `.bash`, `.command`) and Windows batch/PowerShell.
pub(crate) struct Shell;

/// `build.rs`: Cargo runs it on every build of the crate.
pub(crate) struct RustBuild;

impl FileAnalyzer for Shell {
    fn accepts(&self, path: &str) -> bool {
        [".sh", ".bash", ".command", ".bat", ".cmd", ".ps1"].iter().any(|e| path.ends_with(e))
    }

    fn analyze(&self, path: &str, text: &str, out: &mut FileReport) {
        let rules: &[Rule] = &[
            Rule::all(
                &["curl", "| sh"],
                &DOWNLOAD_AND_EXECUTE,
                Severity::High,
                Capability::Network,
                "pipes a download into a shell",
            ),
            Rule::all(
                &["curl", "| bash"],
                &DOWNLOAD_AND_EXECUTE,
                Severity::High,
                Capability::Network,
                "pipes a download into a shell",
            ),
            Rule::all(
                &["wget", "| sh"],
                &DOWNLOAD_AND_EXECUTE,
                Severity::High,
                Capability::Network,
                "pipes a download into a shell",
            ),
            Rule::all(
                &["iex", "downloadstring"],
                &DOWNLOAD_AND_EXECUTE,
                Severity::High,
                Capability::Network,
                "runs a downloaded PowerShell script",
            ),
            Rule::any(
                &["curl ", "wget ", "invoke-webrequest", "/dev/tcp/"],
                &NETWORK_ACCESS,
                Severity::Low,
                Capability::Network,
                "network access",
            ),
            Rule::any(
                &["nohup ", "setsid ", "disown", "start /b", "-windowstyle hidden"],
                &PROCESS_SPAWN_HIDDEN,
                Severity::Medium,
                Capability::HiddenProcess,
                "starts a detached or hidden process",
            ),
            Rule::any(
                &["eval \"$(", "eval $(", "base64 -d", "base64 --decode"],
                &DYNAMIC_CODE,
                Severity::Medium,
                Capability::DynamicCode,
                "evaluates generated or decoded text",
            ),
            Rule::any(
                &["printenv", "env |", "env>", "env >"],
                &ENV_HARVEST,
                Severity::Medium,
                Capability::EnvironmentHarvest,
                "dumps the environment",
            ),
        ];
        scan_lines(path, text, rules, out);
    }
}

impl FileAnalyzer for RustBuild {
    fn accepts(&self, path: &str) -> bool {
        path == "build.rs" || path.ends_with("/build.rs")
    }

    fn analyze(&self, path: &str, text: &str, out: &mut FileReport) {
        let rules: &[Rule] = &[
            Rule::any(
                &["command::new"],
                &PROCESS_SPAWN,
                Severity::Low,
                Capability::ProcessSpawn,
                "runs a program with Command::new",
            ),
            Rule::any(
                &[
                    "tcpstream::connect",
                    "udpsocket::bind",
                    "reqwest::",
                    "ureq::",
                    "curl::easy",
                    "attohttpc::",
                ],
                &NETWORK_ACCESS,
                Severity::Medium,
                Capability::Network,
                "network access from a build script",
            ),
            Rule::any(
                &["env::vars()", "env::vars_os()"],
                &ENV_HARVEST,
                Severity::Medium,
                Capability::EnvironmentHarvest,
                "reads every environment variable",
            ),
        ];
        scan_lines(path, text, rules, out);
    }
}

/// The checks for JavaScript or Python that did not parse.
pub(crate) fn token_scan(path: &str, text: &str, out: &mut FileReport) {
    let rules: &[Rule] = &[
        Rule::any(
            &["child_process", "subprocess.", "os.system(", "os.popen("],
            &PROCESS_SPAWN,
            Severity::Low,
            Capability::ProcessSpawn,
            "runs programs",
        ),
        Rule::any(
            &["eval(", "new function(", "exec(", "vm.runin"],
            &DYNAMIC_CODE,
            Severity::Low,
            Capability::DynamicCode,
            "executes generated code",
        ),
        Rule::any(
            &[
                "https.get(",
                "https.request(",
                "http.get(",
                "http.request(",
                "fetch(",
                "urlopen(",
                "requests.post(",
                "requests.get(",
                "socket.socket(",
            ],
            &NETWORK_ACCESS,
            Severity::Low,
            Capability::Network,
            "network access",
        ),
        Rule::any(
            &[
                "json.stringify(process.env)",
                "object.keys(process.env)",
                "dict(os.environ)",
                "json.dumps(os.environ)",
            ],
            &ENV_HARVEST,
            Severity::High,
            Capability::EnvironmentHarvest,
            "serialises the whole environment",
        ),
        Rule::any(
            &["detached: true", "detached:!0", "detached:true"],
            &PROCESS_SPAWN_HIDDEN,
            Severity::Medium,
            Capability::HiddenProcess,
            "starts a detached process",
        ),
    ];
    scan_lines(path, text, rules, out);
}

pub(crate) struct Rule {
    needles: &'static [&'static str],
    all: bool,
    signal: &'static Signal,
    severity: Severity,
    capability: Capability,
    message: &'static str,
}

impl Rule {
    const fn any(
        needles: &'static [&'static str],
        signal: &'static Signal,
        severity: Severity,
        capability: Capability,
        message: &'static str,
    ) -> Rule {
        Rule { needles, all: false, signal, severity, capability, message }
    }

    const fn all(
        needles: &'static [&'static str],
        signal: &'static Signal,
        severity: Severity,
        capability: Capability,
        message: &'static str,
    ) -> Rule {
        Rule { needles, all: true, signal, severity, capability, message }
    }

    fn matches(&self, lower: &str) -> bool {
        if self.all {
            self.needles.iter().all(|n| lower.contains(n))
        } else {
            self.needles.iter().any(|n| lower.contains(n))
        }
    }
}

const MAX_HITS_PER_SIGNAL: usize = 20;

/// Whether a whole line is a comment in the file's language. Comments do not run: a CI
/// script's note that it is "used by .github/workflows/wheels.yml" is not a worm.
fn is_comment_line(path: &str, line: &str) -> bool {
    let line = line.trim_start();
    let lower_path = path.to_ascii_lowercase();
    if [".bat", ".cmd"].iter().any(|e| lower_path.ends_with(e)) {
        let lower = line.to_ascii_lowercase();
        return lower.starts_with("rem ") || lower.starts_with("@rem ") || line.starts_with("::");
    }
    if [".sh", ".bash", ".command", ".ps1", ".py", ".pyw"].iter().any(|e| lower_path.ends_with(e)) {
        return line.starts_with('#');
    }
    line.starts_with("//") || line.starts_with("/*") || line.starts_with("* ")
}

fn scan_lines(path: &str, text: &str, rules: &[Rule], out: &mut FileReport) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        if is_comment_line(path, line) {
            continue;
        }
        let line_no = u32::try_from(n + 1).unwrap_or(u32::MAX);
        // Very long lines are minified code or data; a window keeps this linear.
        let window = line.get(..line.len().min(64 * 1024)).unwrap_or(line);
        let lower = window.to_ascii_lowercase();
        let mut push = |signal: &'static Signal,
                        severity,
                        capability: Capability,
                        message: String,
                        out: &mut FileReport| {
            out.capabilities.insert(capability);
            let count = counts.entry(signal.id).or_default();
            *count += 1;
            if *count <= MAX_HITS_PER_SIGNAL
                && !out.hits.iter().any(|h| h.line == line_no && h.signal.id == signal.id && h.path == path)
            {
                out.hits.push(Hit {
                    signal,
                    severity,
                    capability: Some(capability),
                    message,
                    path: path.to_owned(),
                    line: line_no,
                    column: 1,
                    snippet: line.trim().chars().take(160).collect(),
                    phase: Phase::Runtime,
                    rule: None,
                });
            }
        };
        for rule in rules {
            if rule.matches(&lower) {
                push(rule.signal, rule.severity, rule.capability, rule.message.to_owned(), out);
            }
        }
        for fact in classify(window) {
            let capability = fact.capability();
            push(fact.signal, fact.signal.severity, capability, format!("names {}", fact.what), out);
        }
    }
}
