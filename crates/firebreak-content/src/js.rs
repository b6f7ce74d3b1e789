//! JavaScript and TypeScript, parsed with oxc: capabilities from calls resolved through
//! `require`/`import` bindings, sensitive strings, and the environment's use.

use std::collections::{BTreeSet, HashMap, HashSet};

use firebreak_core::{Severity, Signal};
use oxc_allocator::Allocator;
use oxc_ast::ast::{
    Argument, AssignmentExpression, BindingPattern, CallExpression, Expression, ForInStatement,
    ImportDeclaration, ImportDeclarationSpecifier, ImportExpression, NewExpression, ObjectPropertyKind,
    Statement, StaticMemberExpression, StringLiteral, TemplateLiteral, VariableDeclarator,
};
use oxc_ast_visit::{Visit, walk};
use oxc_parser::Parser;
use oxc_span::{GetSpan, SourceType, Span};

use crate::patterns::{
    classify, decode_literal, is_sensitive, is_workflow_path, looks_encoded, secret_env_reads,
};
use crate::signals::{
    DESTRUCTIVE_WRITE, DOWNLOAD_AND_EXECUTE, DYNAMIC_CODE, ENCODED_PAYLOAD, ENV_HARVEST, NETWORK_ACCESS,
    NETWORK_INTERCEPTION, OBFUSCATED_CODE, PARSE_FALLBACK, PROCESS_SPAWN, PROCESS_SPAWN_HIDDEN,
    SELF_MODIFICATION, WORM_BEHAVIOUR,
};
use crate::source::LineIndex;
use crate::{Capability, FileAnalyzer, FileReport, Hit, MAX_PARSED_FILE, Phase, text};

pub(crate) struct JavaScript;

const EXTENSIONS: &[&str] = &[".js", ".cjs", ".mjs", ".jsx", ".ts", ".cts", ".mts", ".tsx"];

impl FileAnalyzer for JavaScript {
    fn accepts(&self, path: &str) -> bool {
        !path.ends_with(".d.ts") && EXTENSIONS.iter().any(|e| path.ends_with(e))
    }

    fn analyze(&self, path: &str, text: &str, out: &mut FileReport) {
        if text.len() > MAX_PARSED_FILE {
            out.notes.push(format!("{path}: {} bytes, checked token by token only", text.len()));
            text::token_scan(path, text, out);
            return;
        }
        let allocator = Allocator::default();
        let mut parsed = None;
        for source_type in source_types(path) {
            let ret = Parser::new(&allocator, text, source_type).parse();
            if !ret.panicked {
                parsed = Some(ret);
                break;
            }
        }
        let Some(ret) = parsed else {
            fallback(path, text, out);
            return;
        };
        let mut scanner = Scanner::new(path, text, out);
        scanner.visit_program(&ret.program);
        scanner.finish();
    }
}

/// Token-level checks for a file no parser accepted, said as a finding so nobody takes
/// the silence for a clean bill.
pub(crate) fn fallback(path: &str, text: &str, out: &mut FileReport) {
    out.hits.push(Hit {
        signal: &PARSE_FALLBACK,
        severity: PARSE_FALLBACK.severity,
        capability: None,
        message: format!("{path} does not parse as JavaScript; checked token by token"),
        path: path.to_owned(),
        line: 0,
        column: 0,
        snippet: String::new(),
        phase: Phase::Runtime,
        rule: None,
    });
    text::token_scan(path, text, out);
}

fn source_types(path: &str) -> Vec<SourceType> {
    if path.ends_with(".tsx") {
        vec![SourceType::tsx()]
    } else if path.ends_with(".ts") || path.ends_with(".mts") || path.ends_with(".cts") {
        vec![SourceType::ts()]
    } else if path.ends_with(".mjs") {
        vec![SourceType::mjs(), SourceType::cjs()]
    } else {
        // Sloppy-mode scripts (octal escapes, `with`) fail as modules; ESM fails as a
        // script only on import/export, which `unambiguous` detects.
        vec![SourceType::unambiguous().with_jsx(true), SourceType::cjs(), SourceType::mjs().with_jsx(true)]
    }
}

/// What a local name is bound to.
#[derive(Debug, Clone)]
enum Binding {
    /// `const cp = require('child_process')`, `import * as cp from 'child_process'`.
    Module(String),
    /// `const { exec } = require('child_process')`, `import { exec } from …`.
    Export(String, String),
    /// `var r = require`: calls through it are requires.
    Require,
}

/// Hits of one signal per file beyond this are counted, not listed: a bundle can hold
/// thousands of `fetch` calls and the first few say everything.
const MAX_HITS_PER_SIGNAL: usize = 20;

struct Scanner<'s, 'o> {
    path: &'s str,
    text: &'s str,
    index: LineIndex<'s>,
    out: &'o mut FileReport,
    bindings: HashMap<String, Binding>,
    env_names: BTreeSet<String>,
    env_at: Option<usize>,
    per_signal: HashMap<&'static str, usize>,
    seen: HashSet<(&'static str, u32, u32)>,
    /// Literals decoded from hex or base64 that name something worth hiding.
    hidden: Vec<(u32, String)>,
    /// For destructive writes: a directory listing, a write or delete, and a walk root.
    lists_directories: bool,
    writes_or_deletes: bool,
    walk_root: Option<u32>,
}

fn module_name(specifier: &str) -> &str {
    specifier.strip_prefix("node:").unwrap_or(specifier)
}

/// Core modules by capability family.
fn is_network_module(m: &str) -> bool {
    matches!(m, "http" | "https" | "http2" | "net" | "tls" | "dgram" | "dns" | "dns/promises")
}

fn is_fs_module(m: &str) -> bool {
    matches!(m, "fs" | "fs/promises" | "fs-extra" | "graceful-fs")
}

impl<'s, 'o> Scanner<'s, 'o> {
    fn new(path: &'s str, text: &'s str, out: &'o mut FileReport) -> Scanner<'s, 'o> {
        Scanner {
            path,
            text,
            index: LineIndex::new(text),
            out,
            bindings: HashMap::new(),
            env_names: BTreeSet::new(),
            env_at: None,
            per_signal: HashMap::new(),
            seen: HashSet::new(),
            hidden: Vec::new(),
            lists_directories: false,
            writes_or_deletes: false,
            walk_root: None,
        }
    }

    /// The source text of a span, quotes of computed members dropped: `window['fetch']` ->
    /// `window.fetch` for messages and matching.
    fn source_of(&self, span: Span) -> String {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
            .replace("['", ".")
            .replace("']", "")
            .replace("[\"", ".")
            .replace("\"]", "")
    }

    fn hit(
        &mut self,
        signal: &'static Signal,
        severity: Severity,
        capability: Option<Capability>,
        offset: u32,
        message: String,
    ) {
        if let Some(c) = capability {
            self.out.capabilities.insert(c);
        }
        let offset = offset as usize;
        let (line, column) = self.index.position(offset);
        if !self.seen.insert((signal.id, line, column)) {
            return;
        }
        let count = self.per_signal.entry(signal.id).or_default();
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

    fn import(&mut self, specifier: &str) {
        let m = module_name(specifier);
        if m.starts_with('.') || m.starts_with('/') {
            let dir = self.path.rsplit_once('/').map_or("", |(d, _)| d);
            if let Some(joined) = join(dir, m) {
                self.out.local_imports.insert(joined);
            }
            return;
        }
        if m.is_empty() {
            return;
        }
        self.out.imports.insert(m.to_owned());
        if is_network_module(m) {
            self.out.capabilities.insert(Capability::Network);
        } else if m == "child_process" {
            self.out.capabilities.insert(Capability::ProcessSpawn);
        } else if m == "vm" {
            self.out.capabilities.insert(Capability::DynamicCode);
        }
    }

    /// `require('m')` with a literal name.
    fn required_module<'a>(expr: &Expression<'a>) -> Option<&'a str> {
        if let Expression::CallExpression(call) = expr.without_parentheses()
            && call.callee.is_specific_id("require")
            && let Some(Argument::StringLiteral(lit)) = call.arguments.first()
        {
            return Some(module_name(lit.value.as_str()));
        }
        None
    }

    /// The module (or global object) and property a callee names: `cp.exec` ->
    /// ("child_process", "exec"), `eval` -> ("", "eval"), `JSON.stringify` -> ("JSON", …).
    fn resolve(&self, callee: &Expression<'_>) -> Option<(String, String)> {
        match callee.without_parentheses() {
            Expression::Identifier(id) => Some(match self.bindings.get(id.name.as_str()) {
                Some(Binding::Export(m, f)) => (m.clone(), f.clone()),
                Some(Binding::Module(m)) => (m.clone(), String::new()),
                Some(Binding::Require) => (String::new(), "require".to_owned()),
                None => (String::new(), id.name.to_string()),
            }),
            Expression::StaticMemberExpression(member) => {
                let prop = member.property.name.to_string();
                self.object_name(&member.object).map(|o| (o, prop))
            }
            Expression::ComputedMemberExpression(member) => {
                let prop = member.static_property_name()?.to_string();
                self.object_name(&member.object).map(|o| (o, prop))
            }
            Expression::ChainExpression(_) | Expression::SequenceExpression(_) => None,
            _ => None,
        }
    }

    fn object_name(&self, object: &Expression<'_>) -> Option<String> {
        if let Some(m) = Self::required_module(object) {
            return Some(m.to_owned());
        }
        match object.without_parentheses() {
            Expression::Identifier(id) => Some(match self.bindings.get(id.name.as_str()) {
                Some(Binding::Module(m)) => m.clone(),
                Some(Binding::Export(m, f)) => format!("{m}.{f}"),
                Some(Binding::Require) => "require".to_owned(),
                None => match id.name.as_str() {
                    "global" | "globalThis" | "window" | "self" => String::new(),
                    other => other.to_owned(),
                },
            }),
            // `fs.promises.writeFile`, `require('fs').promises.rm`.
            Expression::StaticMemberExpression(member) if member.property.name == "promises" => {
                self.object_name(&member.object)
            }
            _ => None,
        }
    }

    fn is_process_env(expr: &Expression<'_>) -> bool {
        match expr.without_parentheses() {
            Expression::StaticMemberExpression(m) => {
                m.property.name == "env" && m.object.is_specific_id("process")
            }
            _ => false,
        }
    }

    /// Whether a loop body starts with an `if` whose test names the loop variable.
    fn body_filters_on(&self, body: &Statement<'_>, left: Span) -> bool {
        let first = match body {
            Statement::BlockStatement(block) => block.body.first(),
            other => Some(other),
        };
        let Some(Statement::IfStatement(test)) = first else { return false };
        let left = self.source_of(left);
        let test = self.source_of(test.test.span());
        let words = |t: &str| -> Vec<String> {
            t.split(|c: char| !c.is_alphanumeric() && c != '_' && c != '$').map(str::to_owned).collect()
        };
        let test_words = words(&test);
        words(&left)
            .iter()
            .filter(|w| !w.is_empty() && !matches!(w.as_str(), "const" | "let" | "var"))
            .any(|w| test_words.contains(w))
    }

    fn check_call(&mut self, call: &CallExpression<'_>) {
        let Some((object, prop)) = self.resolve(&call.callee) else { return };
        let at = call.span.start;
        let first = call.arguments.first().and_then(Argument::as_expression);
        match (object.as_str(), prop.as_str()) {
            ("", "eval") => self.dynamic(at, "eval", first),
            ("", "Function") => {
                self.dynamic(at, "Function", call.arguments.last().and_then(Argument::as_expression))
            }
            ("", "setTimeout" | "setInterval") if matches!(first, Some(Expression::StringLiteral(_))) => {
                self.dynamic(at, "a string passed to setTimeout", first);
            }
            ("", "require") => match first {
                Some(Expression::StringLiteral(lit)) => self.import(lit.value.as_str()),
                Some(_) => self.hit(
                    &DYNAMIC_CODE,
                    Severity::Low,
                    Some(Capability::DynamicCode),
                    at,
                    "require of a computed module name".to_owned(),
                ),
                None => {}
            },
            ("", "fetch") => self.network(at, "fetch"),
            ("", "atob") | ("Buffer", "from") if is_decoding(call) => {
                self.out.capabilities.insert(Capability::Decoding);
                if let Some(Expression::StringLiteral(lit)) = first {
                    self.decoded_literal(lit.value.as_str(), lit.span.start, prop == "atob");
                }
            }
            (_, "_compile") => self.dynamic(at, "Module._compile", first.or(Some(&call.callee))),
            ("os", "homedir") => {}
            ("child_process", f)
                if matches!(
                    f,
                    "exec" | "execSync" | "spawn" | "spawnSync" | "execFile" | "execFileSync" | "fork"
                ) =>
            {
                self.spawn(call, f);
            }
            (m, f)
                if is_network_module(m)
                    && matches!(
                        f,
                        "request"
                            | "get"
                            | "connect"
                            | "createConnection"
                            | "createSocket"
                            | "lookup"
                            | "resolve"
                            | "resolve4"
                            | "resolve6"
                            | "resolveTxt"
                            | "resolveAny"
                    ) =>
            {
                self.network(at, &format!("{m}.{f}"));
            }
            (m, f) if is_fs_module(m) => self.fs_call(call, f),
            ("vm", f)
                if matches!(
                    f,
                    "runInNewContext" | "runInThisContext" | "runInContext" | "compileFunction"
                ) =>
            {
                self.dynamic(at, &format!("vm.{f}"), first);
            }
            ("crypto", f) if matches!(f, "createDecipheriv" | "createDecipher" | "privateDecrypt") => {
                self.hit(
                    &ENCODED_PAYLOAD,
                    Severity::Medium,
                    Some(Capability::Decoding),
                    at,
                    format!("decrypts data with crypto.{f}"),
                );
            }
            ("Object", "keys" | "entries" | "values") if first.is_some_and(Self::is_process_env) => {
                // Filtering the environment (`DEBUG_*`, `npm_config_*`) is what libraries do.
                self.out.capabilities.insert(Capability::EnvironmentRead);
            }
            ("JSON", "stringify") if first.is_some_and(Self::is_process_env) => {
                self.hit(
                    &ENV_HARVEST,
                    Severity::High,
                    Some(Capability::EnvironmentHarvest),
                    at,
                    format!("serialises the whole environment with {object}.{prop}(process.env)"),
                );
            }
            ("os", "hostname" | "userInfo" | "networkInterfaces") => {
                self.out.capabilities.insert(Capability::HostInformation);
            }
            _ => {}
        }
    }

    /// `run('npm', ['publish'])`: spawn wrappers (execa, cross-spawn, a local helper) take
    /// a program and its arguments; read them as the command they make.
    fn command_wrapper(&mut self, call: &CallExpression<'_>) {
        let (Some(Argument::StringLiteral(program)), Some(Argument::ArrayExpression(args))) =
            (call.arguments.first(), call.arguments.get(1))
        else {
            return;
        };
        if program.value.contains(' ') || args.elements.is_empty() {
            return;
        }
        self.worm_commands(&command_line(call), call.span.start);
    }

    /// Publishing and token commands (`npm publish`, `gh auth token`) in a command line.
    fn worm_commands(&mut self, command: &str, at: u32) {
        for fact in classify(command) {
            if fact.signal.id == "worm-behaviour" {
                self.hit(
                    fact.signal,
                    fact.signal.severity,
                    Some(fact.capability()),
                    at,
                    format!("runs {}", fact.what),
                );
            }
        }
    }

    fn network(&mut self, at: u32, what: &str) {
        self.hit(
            &NETWORK_ACCESS,
            NETWORK_ACCESS.severity,
            Some(Capability::Network),
            at,
            format!("network access with {what}"),
        );
    }

    fn dynamic(&mut self, at: u32, what: &str, argument: Option<&Expression<'_>>) {
        let (severity, how) = match argument.map(Expression::without_parentheses) {
            None => return,
            Some(Expression::StringLiteral(_)) => (Severity::Low, "a constant string"),
            Some(e) if is_decoded(e) => (Severity::High, "decoded data"),
            Some(_) => (Severity::Medium, "a computed string"),
        };
        self.hit(
            &DYNAMIC_CODE,
            severity,
            Some(Capability::DynamicCode),
            at,
            format!("executes {how} with {what}"),
        );
    }

    fn spawn(&mut self, call: &CallExpression<'_>, function: &str) {
        let at = call.span.start;
        let command = command_line(call);
        // A script of the package started from here runs in the same phase.
        let dir = self.path.rsplit_once('/').map_or("", |(d, _)| d).to_owned();
        for word in command.split_whitespace() {
            let script = [".sh", ".bat", ".cmd", ".ps1", ".js", ".py"].iter().any(|e| word.ends_with(e));
            if script
                && !word.contains("://")
                && let Some(joined) = join(&dir, word)
            {
                self.out.local_imports.insert(joined);
            }
        }
        self.worm_commands(&command, at);
        let lower = command.to_ascii_lowercase();
        let fetches = [
            "curl ",
            "wget ",
            "invoke-webrequest",
            "iwr ",
            "downloadstring",
            "certutil -urlcache",
            "bitsadmin",
        ]
        .iter()
        .any(|n| lower.contains(n));
        if fetches {
            self.hit(
                &DOWNLOAD_AND_EXECUTE,
                Severity::High,
                Some(Capability::Network),
                at,
                format!("runs a download command with child_process.{function}"),
            );
        }
        let hidden = call.arguments.iter().filter_map(Argument::as_expression).any(|arg| {
            let Expression::ObjectExpression(object) = arg.without_parentheses() else { return false };
            object.properties.iter().any(|p| match p {
                ObjectPropertyKind::ObjectProperty(p) => {
                    p.key.static_name().is_some_and(|k| k == "detached")
                        && matches!(&p.value, Expression::BooleanLiteral(b) if b.value)
                }
                ObjectPropertyKind::SpreadProperty(_) => false,
            })
        });
        if hidden {
            self.hit(
                &PROCESS_SPAWN_HIDDEN,
                PROCESS_SPAWN_HIDDEN.severity,
                Some(Capability::HiddenProcess),
                at,
                format!("starts a detached process with child_process.{function}"),
            );
        }
        let what = if command.is_empty() { String::new() } else { format!(": `{}`", shorten(&command)) };
        self.hit(
            &PROCESS_SPAWN,
            PROCESS_SPAWN.severity,
            Some(Capability::ProcessSpawn),
            at,
            format!("runs a program with child_process.{function}{what}"),
        );
    }

    fn fs_call(&mut self, call: &CallExpression<'_>, function: &str) {
        let f = function.trim_end_matches("Sync");
        if matches!(f, "readdir" | "opendir") {
            self.lists_directories = true;
            // `readdirSync('/')`, `readdirSync(os.homedir())`: a walk from a root.
            if let Some(arg) = call.arguments.first().and_then(Argument::as_expression) {
                let rooted = match arg.without_parentheses() {
                    Expression::StringLiteral(lit) => is_walk_root(lit.value.as_str()),
                    Expression::CallExpression(c) => {
                        self.resolve(&c.callee).is_some_and(|(o, p)| o == "os" && p == "homedir")
                    }
                    _ => false,
                };
                if rooted {
                    self.walk_root.get_or_insert(call.span.start);
                }
            }
        }
        let write = matches!(
            f,
            "writeFile"
                | "appendFile"
                | "createWriteStream"
                | "copyFile"
                | "rename"
                | "chmod"
                | "symlink"
                | "outputFile"
                | "move"
                | "copy"
        );
        let delete = matches!(f, "unlink" | "rm" | "rmdir" | "remove");
        if !write && !delete {
            return;
        }
        self.writes_or_deletes = true;
        self.out.capabilities.insert(if write { Capability::FileWrite } else { Capability::FileDelete });
        // The target is the destination of a copy or rename, the first argument otherwise:
        // copying itself elsewhere (a worm spreading) is not rewriting itself.
        let target = if matches!(f, "copyFile" | "rename" | "move" | "copy" | "symlink") { 1 } else { 0 };
        let target_expr = call.arguments.get(target).and_then(Argument::as_expression);
        if write && let Some(expr) = target_expr {
            let span = expr.span();
            if is_workflow_path(&self.source_of(span)) {
                self.hit(
                    &WORM_BEHAVIOUR,
                    WORM_BEHAVIOUR.severity,
                    Some(Capability::Publishing),
                    call.span.start,
                    format!("writes a GitHub Actions workflow with fs.{function}"),
                );
            }
        }
        let targets_self = target_expr.is_some_and(names_self);
        if targets_self {
            let what =
                if delete { "deletes its own file or manifest" } else { "rewrites its own file or manifest" };
            self.hit(
                &SELF_MODIFICATION,
                SELF_MODIFICATION.severity,
                Some(Capability::SelfModification),
                call.span.start,
                format!("{what} with fs.{function}"),
            );
        }
    }

    fn string(&mut self, value: &str, at: u32) {
        if let Some(decoded) = decode_literal(value)
            && is_sensitive(&decoded)
        {
            self.decoded_literal(value, at, false);
        }
        for fact in classify(value) {
            let capability = fact.capability();
            self.hit(fact.signal, fact.signal.severity, Some(capability), at, format!("names {}", fact.what));
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

    /// A literal that `Buffer.from(…, 'base64')`/`atob` decodes, or a hex/base64 literal
    /// that decodes to a sensitive name: read what it says.
    fn decoded_literal(&mut self, value: &str, at: u32, base64_only: bool) {
        let decoded = if base64_only {
            decode_literal(value).filter(|_| !value.bytes().all(|b| b.is_ascii_hexdigit()))
        } else {
            decode_literal(value)
        };
        let Some(decoded) = decoded else { return };
        // A walk root spelled in base64 says where a destructive walk starts and that
        // someone did not want it read.
        if is_walk_root(&decoded) {
            self.walk_root.get_or_insert(at);
        }
        for fact in classify(&decoded) {
            let capability = fact.capability();
            self.hit(
                fact.signal,
                fact.signal.severity,
                Some(capability),
                at,
                format!("names {} (hidden as an encoded string)", fact.what),
            );
        }
        self.hidden.push((at, decoded));
    }

    fn finish(&mut self) {
        if self.lists_directories
            && self.writes_or_deletes
            && let Some(at) = self.walk_root
        {
            self.hit(&DESTRUCTIVE_WRITE, DESTRUCTIVE_WRITE.severity, Some(Capability::DestructiveWrite), at,
                "lists directories from a root, parent or home directory and writes over or deletes what it finds".to_owned());
        }
        let sensitive: Vec<&(u32, String)> = self.hidden.iter().filter(|(_, d)| is_sensitive(d)).collect();
        if sensitive.len() >= 2
            && let Some((at, _)) = sensitive.first()
        {
            let names: Vec<&str> = sensitive.iter().take(5).map(|(_, d)| d.as_str()).collect();
            let message = format!(
                "hides {} names or addresses as encoded strings ({})",
                sensitive.len(),
                names.join(", ")
            );
            let at = *at;
            self.hit(&OBFUSCATED_CODE, Severity::High, Some(Capability::Obfuscation), at, message);
        }
        if let (Some(message), Some(at)) = (secret_env_reads(&self.env_names), self.env_at) {
            self.hit(
                &ENV_HARVEST,
                Severity::Medium,
                Some(Capability::EnvironmentHarvest),
                at as u32,
                message,
            );
        }
    }
}

impl<'a> Visit<'a> for Scanner<'_, '_> {
    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        if let (Some(init), BindingPattern::BindingIdentifier(id)) = (&it.init, &it.id)
            && init.without_parentheses().is_specific_id("require")
        {
            self.bindings.insert(id.name.to_string(), Binding::Require);
        }
        if let Some(init) = &it.init {
            let (module, export) = match init.without_parentheses() {
                Expression::StaticMemberExpression(m) => {
                    (Self::required_module(&m.object), Some(m.property.name.as_str()))
                }
                other => (Self::required_module(other), None),
            };
            if let Some(module) = module {
                match (&it.id, export) {
                    (BindingPattern::BindingIdentifier(id), None) => {
                        self.bindings.insert(id.name.to_string(), Binding::Module(module.to_owned()));
                    }
                    (BindingPattern::BindingIdentifier(id), Some(export)) => {
                        let binding = if export == "promises" {
                            Binding::Module(module.to_owned())
                        } else {
                            Binding::Export(module.to_owned(), export.to_owned())
                        };
                        self.bindings.insert(id.name.to_string(), binding);
                    }
                    (BindingPattern::ObjectPattern(pattern), None) => {
                        for property in &pattern.properties {
                            if let (Some(key), BindingPattern::BindingIdentifier(local)) =
                                (property.key.static_name(), &property.value)
                            {
                                self.bindings.insert(
                                    local.name.to_string(),
                                    Binding::Export(module.to_owned(), key.into_owned()),
                                );
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        walk::walk_variable_declarator(self, it);
    }

    fn visit_import_declaration(&mut self, it: &ImportDeclaration<'a>) {
        let module = module_name(it.source.value.as_str()).to_owned();
        self.import(&module);
        for specifier in it.specifiers.iter().flatten() {
            let binding = match specifier {
                ImportDeclarationSpecifier::ImportSpecifier(s) => {
                    Binding::Export(module.clone(), s.imported.name().to_string())
                }
                ImportDeclarationSpecifier::ImportDefaultSpecifier(_)
                | ImportDeclarationSpecifier::ImportNamespaceSpecifier(_) => Binding::Module(module.clone()),
            };
            self.bindings.insert(specifier.name().to_string(), binding);
        }
        walk::walk_import_declaration(self, it);
    }

    fn visit_import_expression(&mut self, it: &ImportExpression<'a>) {
        match it.source.without_parentheses() {
            Expression::StringLiteral(lit) => self.import(lit.value.as_str()),
            _ => self.hit(
                &DYNAMIC_CODE,
                Severity::Low,
                Some(Capability::DynamicCode),
                it.span.start,
                "import() of a computed module name".to_owned(),
            ),
        }
        walk::walk_import_expression(self, it);
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        self.check_call(it);
        self.command_wrapper(it);
        walk::walk_call_expression(self, it);
    }

    fn visit_new_expression(&mut self, it: &NewExpression<'a>) {
        let at = it.span.start;
        match self.resolve(&it.callee) {
            Some((o, f)) if o.is_empty() && f == "Function" => {
                self.dynamic(at, "new Function", it.arguments.last().and_then(Argument::as_expression));
            }
            Some((o, f))
                if o.is_empty() && matches!(f.as_str(), "WebSocket" | "XMLHttpRequest" | "EventSource") =>
            {
                self.network(at, &format!("new {f}"));
            }
            Some((o, f)) if o == "vm" && f == "Script" => {
                self.dynamic(at, "vm.Script", it.arguments.first().and_then(Argument::as_expression));
            }
            Some((o, f)) if o == "module" && f == "constructor" => {
                self.hit(
                    &DYNAMIC_CODE,
                    Severity::High,
                    Some(Capability::DynamicCode),
                    at,
                    "creates a new module object to compile code at run time".to_owned(),
                );
            }
            Some((o, f)) if (o == "net" && f == "Socket") || (o == "ws" && f.is_empty()) => {
                self.network(at, &format!("new {o}.{f}"));
            }
            _ => {}
        }
        walk::walk_new_expression(self, it);
    }

    fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
        if let Some(member) = it.left.as_member_expression() {
            let property = member.static_property_name().unwrap_or_default();
            let object = self.source_of(member.object().span());
            let hooked = match property {
                "fetch" => matches!(object.as_str(), "window" | "globalThis" | "self" | "global"),
                "send" => object.contains("XMLHttpRequest") || object.contains("ethereum"),
                "open" | "setRequestHeader" => object.contains("XMLHttpRequest"),
                "request" | "sendAsync" | "enable" => object.contains("ethereum"),
                "signTransaction" | "signAndSendTransaction" => object.contains("solana"),
                _ => false,
            };
            if hooked {
                self.hit(
                    &NETWORK_INTERCEPTION,
                    NETWORK_INTERCEPTION.severity,
                    Some(Capability::NetworkInterception),
                    it.span.start,
                    format!("replaces {object}.{property}"),
                );
            }
        }
        walk::walk_assignment_expression(self, it);
    }

    fn visit_static_member_expression(&mut self, it: &StaticMemberExpression<'a>) {
        if Self::is_process_env(&it.object) {
            self.out.capabilities.insert(Capability::EnvironmentRead);
            self.env_names.insert(it.property.name.to_string());
            self.env_at.get_or_insert(it.span.start as usize);
        }
        walk::walk_static_member_expression(self, it);
    }

    fn visit_for_in_statement(&mut self, it: &ForInStatement<'a>) {
        if Self::is_process_env(&it.right) && self.body_filters_on(&it.body, it.left.span()) {
            // `for (k in process.env) if (k.startsWith('VITE_')) …`: picking variables by
            // name, as `Object.keys(process.env).filter(…)` does; a read, not a harvest.
            self.out.capabilities.insert(Capability::EnvironmentRead);
        } else if Self::is_process_env(&it.right) {
            self.hit(
                &ENV_HARVEST,
                Severity::Medium,
                Some(Capability::EnvironmentHarvest),
                it.span.start,
                "iterates over every environment variable".to_owned(),
            );
        }
        walk::walk_for_in_statement(self, it);
    }

    fn visit_string_literal(&mut self, it: &StringLiteral<'a>) {
        self.string(it.value.as_str(), it.span.start);
    }

    fn visit_template_literal(&mut self, it: &TemplateLiteral<'a>) {
        for quasi in &it.quasis {
            if let Some(cooked) = &quasi.value.cooked {
                self.string(cooked.as_str(), quasi.span.start);
            }
        }
        walk::walk_template_literal(self, it);
    }
}

fn is_walk_root(path: &str) -> bool {
    matches!(path, "/" | "./" | "../" | "../../" | "../../../" | "~" | "~/" | "C:\\" | "C:/")
}

/// `atob(x)`, `Buffer.from(x, 'base64' | 'hex')`.
fn is_decoding(call: &CallExpression<'_>) -> bool {
    if call.callee.is_specific_id("atob") {
        return true;
    }
    matches!(call.arguments.get(1), Some(Argument::StringLiteral(enc)) if matches!(enc.value.as_str(), "base64" | "hex" | "base64url"))
}

/// Whether an expression decodes data: `atob(…)`, `Buffer.from(…, 'base64').toString()`,
/// `String.fromCharCode(…)`, `decodeURIComponent`, `unescape`, a decipher's output.
fn is_decoded(expr: &Expression<'_>) -> bool {
    match expr.without_parentheses() {
        Expression::CallExpression(call) => {
            if is_decoding(call) {
                return true;
            }
            match call.callee.without_parentheses() {
                Expression::Identifier(id) => {
                    matches!(id.name.as_str(), "atob" | "unescape" | "decodeURIComponent" | "decodeURI")
                }
                Expression::StaticMemberExpression(m) => {
                    matches!(m.property.name.as_str(), "fromCharCode" | "fromCodePoint" | "final" | "update")
                        || (m.property.name == "toString" && is_decoded(&m.object))
                        || is_decoded(&m.object)
                }
                _ => false,
            }
        }
        Expression::BinaryExpression(b) => is_decoded(&b.left) || is_decoded(&b.right),
        _ => false,
    }
}

/// Whether an argument names the file itself (`__filename`) or the package's own
/// manifest (`'package.json'` alone or joined to `__dirname`); a `package.json` written
/// into another directory (a scratch install) is not self-modification.
fn names_self(expr: &Expression<'_>) -> bool {
    #[derive(Default)]
    struct Finder {
        filename: bool,
        dirname: bool,
        manifest: bool,
        other_identifiers: bool,
    }
    impl<'a> Visit<'a> for Finder {
        fn visit_identifier_reference(&mut self, it: &oxc_ast::ast::IdentifierReference<'a>) {
            match it.name.as_str() {
                "__filename" => self.filename = true,
                "__dirname" => self.dirname = true,
                "path" | "path2" | "join" | "resolve" => {}
                _ => self.other_identifiers = true,
            }
        }
        fn visit_string_literal(&mut self, it: &StringLiteral<'a>) {
            if matches!(it.value.as_str(), "package.json" | "./package.json") {
                self.manifest = true;
            }
        }
    }
    let mut finder = Finder::default();
    finder.visit_expression(expr);
    finder.filename || (finder.manifest && (finder.dirname || !finder.other_identifiers))
}

/// The command a call spells: its first string argument and the words of an array literal
/// after it (`spawn('npm', ['publish'])` -> `npm publish`).
fn command_line(call: &CallExpression<'_>) -> String {
    let mut command =
        call.arguments.first().and_then(Argument::as_expression).and_then(string_value).unwrap_or_default();
    if let Some(Expression::ArrayExpression(args)) = call.arguments.get(1).and_then(Argument::as_expression) {
        for word in args.elements.iter().filter_map(|e| e.as_expression().and_then(string_value)) {
            command.push(' ');
            command.push_str(&word);
        }
    }
    command
}

fn string_value(expr: &Expression<'_>) -> Option<String> {
    match expr.without_parentheses() {
        Expression::StringLiteral(lit) => Some(lit.value.to_string()),
        Expression::TemplateLiteral(t) => Some(
            t.quasis
                .iter()
                .filter_map(|q| q.value.cooked.map(|c| c.to_string()))
                .collect::<Vec<_>>()
                .join("…"),
        ),
        _ => None,
    }
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(80).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// `dir` joined with a relative specifier, `..` resolved; `None` when it leaves the root.
pub(crate) fn join(dir: &str, relative: &str) -> Option<String> {
    let mut parts: Vec<&str> = if relative.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}
