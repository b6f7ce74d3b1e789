//! Python, parsed with tree-sitter (which recovers from syntax errors, so hostile or
//! Python 2 files still yield a tree): calls resolved through `import … as …` bindings,
//! sensitive strings, the environment's use, and `.pth` start-up hooks.

use std::collections::{BTreeSet, HashMap, HashSet};

use firebreak_core::{Severity, Signal};
use tree_sitter::{Node, Parser};

use crate::patterns::{classify, is_workflow_path, looks_encoded, secret_env_reads};
use crate::signals::{
    DOWNLOAD_AND_EXECUTE, DYNAMIC_CODE, ENCODED_PAYLOAD, ENV_HARVEST, INSTALL_TIME_CODE, NETWORK_ACCESS,
    PERSISTENCE, PROCESS_SPAWN, PROCESS_SPAWN_HIDDEN, SELF_MODIFICATION, WORM_BEHAVIOUR,
};
use crate::source::LineIndex;
use crate::{Capability, FileAnalyzer, FileReport, Hit, MAX_PARSED_FILE, Phase, text};

pub(crate) struct Python;

impl FileAnalyzer for Python {
    fn accepts(&self, path: &str) -> bool {
        path.ends_with(".py") || path.ends_with(".pyw")
    }

    fn analyze(&self, path: &str, source: &str, out: &mut FileReport) {
        if source.len() > MAX_PARSED_FILE {
            out.notes.push(format!("{path}: {} bytes, checked token by token only", source.len()));
            text::token_scan(path, source, out);
            return;
        }
        let mut parser = Parser::new();
        let tree = parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .ok()
            .and_then(|()| parser.parse(source, None));
        let Some(tree) = tree else {
            out.notes.push(format!("{path}: the Python parser gave no tree; checked token by token"));
            text::token_scan(path, source, out);
            return;
        };
        if tree.root_node().has_error() {
            out.notes.push(format!("{path}: syntax errors; the parser recovered and analysed the rest"));
        }
        let mut scanner = Scanner {
            path,
            source,
            index: LineIndex::new(source),
            out,
            aliases: HashMap::new(),
            env_names: BTreeSet::new(),
            env_at: None,
            seen: HashSet::new(),
            counts: HashMap::new(),
        };
        // Pre-order walk with a cursor: recursion would follow the input's nesting depth.
        let mut cursor = tree.walk();
        'walk: loop {
            scanner.node(cursor.node());
            if cursor.goto_first_child() {
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    continue 'walk;
                }
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        scanner.finish();
    }
}

/// Lines of a `.pth` file that start with `import` run at every interpreter start.
pub(crate) fn check_pth(path: &str, source: &str, out: &mut FileReport) {
    for (n, line) in source.lines().enumerate() {
        let trimmed = line.trim_start();
        if !(trimmed.starts_with("import ") || trimmed.starts_with("import\t")) {
            continue;
        }
        let lower = trimmed.to_ascii_lowercase();
        let loud = ["exec(", "eval(", "base64", "subprocess", "urllib", "socket", "__import__"]
            .iter()
            .any(|n| lower.contains(n));
        out.capabilities.insert(Capability::Persistence);
        out.hits.push(Hit {
            signal: &PERSISTENCE,
            severity: if loud { Severity::High } else { Severity::Medium },
            capability: Some(Capability::Persistence),
            message: format!("{path} runs code at every Python start"),
            path: path.to_owned(),
            line: u32::try_from(n + 1).unwrap_or(u32::MAX),
            column: 1,
            snippet: trimmed.chars().take(160).collect(),
            phase: Phase::Runtime,
            rule: None,
        });
    }
}

const MAX_HITS_PER_SIGNAL: usize = 20;

struct Scanner<'s, 'o> {
    path: &'s str,
    source: &'s str,
    index: LineIndex<'s>,
    out: &'o mut FileReport,
    /// Local name -> dotted module path (`sp` -> `subprocess`, `Popen` -> `subprocess.Popen`).
    aliases: HashMap<String, String>,
    env_names: BTreeSet<String>,
    env_at: Option<usize>,
    seen: HashSet<(&'static str, u32, u32)>,
    counts: HashMap<&'static str, usize>,
}

/// Whether a loop's iterable is the whole environment (`os.environ`, its `items()`, `keys()`,
/// `values()` or a copy, possibly sorted or listed), not one variable's value
/// (`os.environ["PATH"].split(":")`, which build scripts walk for include directories).
fn iterates_whole_environment(iterated: &str) -> bool {
    let mut t: String = iterated.chars().filter(|c| !c.is_whitespace()).collect();
    for wrapper in ["sorted(", "list(", "dict(", "tuple(", "enumerate(", "iter("] {
        if let Some(inner) = t.strip_prefix(wrapper).and_then(|r| r.strip_suffix(')')) {
            t = inner.to_owned();
        }
    }
    let Some(rest) = t.strip_prefix("os.environ") else { return false };
    matches!(
        rest,
        "" | ".items()"
            | ".keys()"
            | ".values()"
            | ".copy()"
            | ".copy().items()"
            | ".copy().keys()"
            | ".copy().values()"
    )
}

fn is_network_call(name: &str) -> bool {
    const PREFIXES: &[&str] =
        &["requests.", "httpx.", "aiohttp.", "urllib3.", "http.client.", "ftplib.", "smtplib.", "paramiko."];
    matches!(
        name,
        "urllib.request.urlopen"
            | "urllib.request.urlretrieve"
            | "urllib.request.Request"
            | "urllib.urlopen"
            | "urllib2.urlopen"
            | "socket.socket"
            | "socket.create_connection"
            | "socket.getaddrinfo"
            | "socket.gethostbyname"
            | "dns.resolver.resolve"
            | "dns.resolver.query"
    ) || PREFIXES.iter().any(|p| name.starts_with(p))
}

fn is_spawn_call(name: &str) -> bool {
    matches!(
        name,
        "subprocess.Popen"
            | "subprocess.run"
            | "subprocess.call"
            | "subprocess.check_call"
            | "subprocess.check_output"
            | "subprocess.getoutput"
            | "subprocess.getstatusoutput"
            | "os.system"
            | "os.popen"
            | "os.startfile"
            | "os.posix_spawn"
            | "os.posix_spawnp"
            | "pty.spawn"
            | "commands.getoutput"
    ) || name.starts_with("os.spawn")
        || name.starts_with("os.exec")
        || name.starts_with("asyncio.create_subprocess")
}

fn is_decoding_call(name: &str) -> bool {
    matches!(
        name,
        "base64.b64decode"
            | "base64.b32decode"
            | "base64.b85decode"
            | "base64.a85decode"
            | "base64.decodebytes"
            | "base64.urlsafe_b64decode"
            | "zlib.decompress"
            | "bz2.decompress"
            | "lzma.decompress"
            | "gzip.decompress"
            | "marshal.loads"
            | "codecs.decode"
            | "bytes.fromhex"
            | "binascii.unhexlify"
            | "binascii.a2b_base64"
    )
}

fn is_decoded_text(text: &str) -> bool {
    [
        "b64decode",
        "b32decode",
        "b85decode",
        "decompress",
        "marshal.loads",
        "fromhex",
        "unhexlify",
        "codecs.decode",
        "rot13",
        ".decode(",
    ]
    .iter()
    .any(|n| text.contains(n))
}

impl Scanner<'_, '_> {
    fn text(&self, node: Node<'_>) -> &str {
        self.source.get(node.byte_range()).unwrap_or("")
    }

    /// Whether a `for` loop's body starts with an `if` on the loop variable
    /// (`for k, v in os.environ.items(): if k.startswith("MYAPP_"): …`): that picks a few
    /// variables by name, as configuration loaders do; it does not collect them all.
    fn body_filters_on(&self, for_node: Node<'_>, target: &str) -> bool {
        let names: Vec<&str> = target
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .filter(|n| !n.is_empty() && *n != "_")
            .collect();
        let Some(body) = for_node.child_by_field_name("body") else { return false };
        let Some(first) = body.named_child(0) else { return false };
        if first.kind() != "if_statement" {
            return false;
        }
        let Some(condition) = first.child_by_field_name("condition") else { return false };
        let condition = self.text(condition);
        names
            .iter()
            .any(|n| condition.split(|c: char| !c.is_alphanumeric() && c != '_').any(|word| word == *n))
    }

    fn hit(
        &mut self,
        signal: &'static Signal,
        severity: Severity,
        capability: Option<Capability>,
        offset: usize,
        message: String,
    ) {
        if let Some(c) = capability {
            self.out.capabilities.insert(c);
        }
        let (line, column) = self.index.position(offset);
        if !self.seen.insert((signal.id, line, column)) {
            return;
        }
        let count = self.counts.entry(signal.id).or_default();
        *count += 1;
        if *count > MAX_HITS_PER_SIGNAL {
            return;
        }
        self.out.hits.push(Hit {
            signal,
            severity,
            capability,
            message,
            path: self.path.to_owned(),
            line,
            column,
            snippet: self.index.snippet(offset),
            phase: Phase::Runtime,
            rule: None,
        });
    }

    /// A dotted name with its first segment replaced by what it was imported as.
    fn resolve(&self, dotted: &str) -> String {
        let (head, rest) = dotted.split_once('.').map_or((dotted, None), |(h, r)| (h, Some(r)));
        match (self.aliases.get(head), rest) {
            (Some(target), Some(rest)) => format!("{target}.{rest}"),
            (Some(target), None) => target.clone(),
            (None, _) => dotted.to_owned(),
        }
    }

    fn import(&mut self, module: &str) {
        let top = module.split('.').next().unwrap_or(module);
        if !top.is_empty() {
            self.out.imports.insert(top.to_owned());
        }
        match top {
            "socket" | "requests" | "urllib" | "urllib2" | "urllib3" | "httpx" | "aiohttp" | "http" => {
                self.out.capabilities.insert(Capability::Network);
            }
            "subprocess" => {
                self.out.capabilities.insert(Capability::ProcessSpawn);
            }
            _ => {}
        }
    }

    fn relative_import(&mut self, dots_and_name: &str) {
        let level = dots_and_name.chars().take_while(|c| *c == '.').count();
        let name = dots_and_name.get(level..).unwrap_or("");
        let mut dir: Vec<&str> =
            self.path.rsplit_once('/').map_or(Vec::new(), |(d, _)| d.split('/').collect());
        for _ in 1..level {
            dir.pop();
        }
        let mut target = dir.join("/");
        if !name.is_empty() {
            if !target.is_empty() {
                target.push('/');
            }
            target.push_str(&name.replace('.', "/"));
        }
        self.out.local_imports.insert(target);
    }

    fn node(&mut self, node: Node<'_>) {
        match node.kind() {
            "import_statement" => {
                let mut cursor = node.walk();
                let names: Vec<Node<'_>> = node.children_by_field_name("name", &mut cursor).collect();
                for name in names {
                    self.bind_import(name, None);
                }
            }
            "import_from_statement" => {
                let Some(module) = node.child_by_field_name("module_name") else { return };
                let module_text = self.text(module).to_owned();
                if module.kind() == "relative_import" {
                    self.relative_import(&module_text);
                } else {
                    self.import(&module_text);
                }
                let mut cursor = node.walk();
                let names: Vec<Node<'_>> = node.children_by_field_name("name", &mut cursor).collect();
                for name in names {
                    self.bind_import(name, Some(&module_text));
                }
            }
            "call" => self.call(node),
            "string_content" => {
                let value = self.text(node).to_owned();
                self.string(&value, node.start_byte());
            }
            "subscript" => {
                // os.environ["NAME"]
                if let Some(value) = node.child_by_field_name("value")
                    && self.resolve(self.text(value)) == "os.environ"
                    && let Some(key) = node.child_by_field_name("subscript")
                {
                    let name = self.text(key).trim_matches(|c| c == '"' || c == '\'').to_owned();
                    self.env_read(&name, node.start_byte());
                }
            }
            "for_statement" => {
                if let Some(right) = node.child_by_field_name("right") {
                    let iterated = self.resolve(self.text(right));
                    let filtered = node
                        .child_by_field_name("left")
                        .is_some_and(|left| self.body_filters_on(node, self.text(left)));
                    if iterates_whole_environment(&iterated) && !filtered {
                        self.hit(
                            &ENV_HARVEST,
                            Severity::Medium,
                            Some(Capability::EnvironmentHarvest),
                            node.start_byte(),
                            "iterates over every environment variable".to_owned(),
                        );
                    }
                }
            }
            "class_definition" => {
                // cmdclass overrides: `class PostInstall(install):` in setup.py.
                if let Some(bases) = node.child_by_field_name("superclasses") {
                    let bases = self.text(bases).to_owned();
                    let hooks =
                        ["install", "develop", "egg_info", "build_py", "build_ext", "sdist", "bdist_egg"];
                    if hooks
                        .iter()
                        .any(|h| bases.split(|c: char| !c.is_alphanumeric() && c != '_').any(|b| b == *h))
                        && self.path.ends_with("setup.py")
                    {
                        self.hit(
                            &INSTALL_TIME_CODE,
                            Severity::Medium,
                            Some(Capability::InstallHook),
                            node.start_byte(),
                            format!(
                                "overrides a setuptools command ({})",
                                bases.trim_matches(|c| c == '(' || c == ')')
                            ),
                        );
                    }
                }
            }
            _ => {}
        }
    }

    fn bind_import(&mut self, name: Node<'_>, from: Option<&str>) {
        let (dotted, alias) = if name.kind() == "aliased_import" {
            let dotted =
                name.child_by_field_name("name").map(|n| self.text(n).to_owned()).unwrap_or_default();
            let alias = name.child_by_field_name("alias").map(|n| self.text(n).to_owned());
            (dotted, alias)
        } else {
            (self.text(name).to_owned(), None)
        };
        match from {
            None => {
                self.import(&dotted);
                let local = alias.unwrap_or_else(|| dotted.split('.').next().unwrap_or(&dotted).to_owned());
                let target = if local == dotted.split('.').next().unwrap_or("") {
                    local.clone()
                } else {
                    dotted.clone()
                };
                self.aliases.insert(local, target);
            }
            Some(module) => {
                let local = alias.unwrap_or_else(|| dotted.clone());
                if !module.starts_with('.') {
                    self.aliases.insert(local, format!("{module}.{dotted}"));
                }
            }
        }
    }

    fn env_read(&mut self, name: &str, at: usize) {
        self.out.capabilities.insert(Capability::EnvironmentRead);
        self.env_names.insert(name.to_owned());
        self.env_at.get_or_insert(at);
    }

    fn call(&mut self, node: Node<'_>) {
        let Some(function) = node.child_by_field_name("function") else { return };
        let name = self.resolve(self.text(function));
        let args_node = node.child_by_field_name("arguments");
        let args = args_node.map(|a| self.text(a).to_owned()).unwrap_or_default();
        let at = node.start_byte();
        let first_arg = args_node.and_then(|a| a.named_child(0)).map(|n| (n.kind(), self.text(n).to_owned()));
        match name.as_str() {
            "exec" | "eval" | "compile" | "builtins.exec" | "builtins.eval" => {
                let (severity, how) = match &first_arg {
                    None => return,
                    Some(("string", _)) => (Severity::Low, "a constant string"),
                    Some((_, text)) if is_decoded_text(text) => (Severity::High, "decoded data"),
                    Some(_) => (Severity::Medium, "a computed string"),
                };
                self.hit(
                    &DYNAMIC_CODE,
                    severity,
                    Some(Capability::DynamicCode),
                    at,
                    format!("executes {how} with {name}"),
                );
            }
            "__import__" | "importlib.import_module" => match &first_arg {
                Some(("string", text)) => {
                    let module = text.trim_matches(|c| c == '"' || c == '\'').to_owned();
                    self.import(&module);
                }
                Some(_) => self.hit(
                    &DYNAMIC_CODE,
                    Severity::Low,
                    Some(Capability::DynamicCode),
                    at,
                    format!("imports a computed module name with {name}"),
                ),
                None => {}
            },
            n if is_spawn_call(n) => {
                let lower = args.to_ascii_lowercase();
                if ["curl ", "wget ", "invoke-webrequest", "downloadstring"].iter().any(|d| lower.contains(d))
                {
                    self.hit(
                        &DOWNLOAD_AND_EXECUTE,
                        Severity::High,
                        Some(Capability::Network),
                        at,
                        format!("runs a download command with {n}"),
                    );
                }
                if [
                    "start_new_session=true",
                    "create_no_window",
                    "detached_process",
                    "creationflags",
                    "nohup ",
                    "preexec_fn=os.setsid",
                    "setsid",
                ]
                .iter()
                .any(|h| lower.replace(' ', "").contains(&h.replace(' ', "")))
                {
                    self.hit(
                        &PROCESS_SPAWN_HIDDEN,
                        PROCESS_SPAWN_HIDDEN.severity,
                        Some(Capability::HiddenProcess),
                        at,
                        format!("starts a detached or hidden process with {n}"),
                    );
                }
                let shown: String = args.chars().take(80).collect();
                self.hit(
                    &PROCESS_SPAWN,
                    PROCESS_SPAWN.severity,
                    Some(Capability::ProcessSpawn),
                    at,
                    format!("runs a program with {n}{shown}"),
                );
            }
            n if is_network_call(n) => {
                self.hit(
                    &NETWORK_ACCESS,
                    NETWORK_ACCESS.severity,
                    Some(Capability::Network),
                    at,
                    format!("network access with {n}"),
                );
            }
            n if is_decoding_call(n) => {
                self.out.capabilities.insert(Capability::Decoding);
            }
            "os.getenv" | "os.environ.get" => {
                if let Some((_, text)) = &first_arg {
                    let var = text.trim_matches(|c| c == '"' || c == '\'').to_owned();
                    self.env_read(&var, at);
                }
            }
            // `dict(os.environ)` and `os.environ.copy()` build a child's environment; turning
            // it into text is what sending it needs.
            "json.dumps" | "json.dump" | "str" | "repr" | "pickle.dumps" | "base64.b64encode" => {
                let whole = first_arg.as_ref().is_some_and(|(_, t)| {
                    let t = self.resolve(t);
                    t == "os.environ" || t.starts_with("os.environ.items") || t.starts_with("dict(os.environ")
                });
                if whole {
                    self.hit(
                        &ENV_HARVEST,
                        Severity::High,
                        Some(Capability::EnvironmentHarvest),
                        at,
                        format!("serialises the whole environment with {name}(os.environ)"),
                    );
                }
            }
            "platform.node" | "socket.gethostname" | "getpass.getuser" | "os.getlogin" | "platform.uname" => {
                self.out.capabilities.insert(Capability::HostInformation);
            }
            "os.remove" | "os.unlink" | "shutil.rmtree" => {
                self.out.capabilities.insert(Capability::FileDelete);
                if args.contains("__file__") {
                    self.hit(
                        &SELF_MODIFICATION,
                        SELF_MODIFICATION.severity,
                        Some(Capability::SelfModification),
                        at,
                        format!("deletes its own file with {name}"),
                    );
                }
            }
            "open" => {
                let mode = args_node
                    .and_then(|a| a.named_child(1))
                    .map(|n| self.text(n).to_owned())
                    .unwrap_or_default();
                if mode.contains('w') || mode.contains('a') {
                    self.out.capabilities.insert(Capability::FileWrite);
                    let target = args_node
                        .and_then(|a| a.named_child(0))
                        .map(|n| self.text(n).to_owned())
                        .unwrap_or_default();
                    if is_workflow_path(&target) {
                        self.hit(
                            &WORM_BEHAVIOUR,
                            WORM_BEHAVIOUR.severity,
                            Some(Capability::Publishing),
                            at,
                            "writes a GitHub Actions workflow with open".to_owned(),
                        );
                    }
                }
            }
            "shutil.copy" | "shutil.copyfile" | "shutil.move" | "os.rename" | "os.chmod" => {
                self.out.capabilities.insert(Capability::FileWrite);
            }
            _ => {}
        }
    }

    fn string(&mut self, value: &str, at: usize) {
        for fact in classify(value) {
            self.hit(
                fact.signal,
                fact.signal.severity,
                Some(fact.capability()),
                at,
                format!("names {}", fact.what),
            );
        }
        if let Some(kind) = looks_encoded(value) {
            self.hit(
                &ENCODED_PAYLOAD,
                Severity::Medium,
                Some(Capability::Decoding),
                at,
                format!("carries a {kind} blob of {} characters", value.len()),
            );
        }
    }

    fn finish(&mut self) {
        if let (Some(message), Some(at)) = (secret_env_reads(&self.env_names), self.env_at) {
            self.hit(&ENV_HARVEST, Severity::Medium, Some(Capability::EnvironmentHarvest), at, message);
        }
    }
}
