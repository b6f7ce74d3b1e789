//! Spanned parse of `firebreak.toml`, then validation that collects every problem before
//! failing, so one run shows all of them.

use std::ops::Range;

use firebreak_core::{Ecosystem, Severity};
use miette::NamedSource;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::model::{Action, Date, DevMode, HYGIENE_CHECKS, Ignore, PackageSpec, Policy};
use crate::proxy::{AllowEntry, Fallback, ON_UNAVAILABLE_RULES};
use crate::registry::{MissingTime, SignalSetting, parse_duration};
use crate::{PolicyError, Problem};

struct Ctx<'a> {
    path: &'a str,
    text: &'a str,
    problems: Vec<Problem>,
    /// Signal ids `[signals]` may name; `None` accepts any kebab-case id.
    known_signals: Option<&'a [&'a str]>,
}

impl Ctx<'_> {
    fn problem(&mut self, span: Range<usize>, message: String, help: Option<String>) {
        self.problems.push(Problem::new(self.path, self.text, span, message, help));
    }

    fn unknown_key(&mut self, table: &str, key: &Spanned<std::borrow::Cow<'_, str>>, known: &[&str]) {
        let name = key.get_ref().as_ref();
        let help = closest(name, known)
            .map(|k| format!("did you mean `{k}`?"))
            .or_else(|| Some(format!("known keys in {table}: {}", quote_list(known))));
        self.problem(key.span(), format!("unknown key `{name}` in {table}"), help);
    }

    fn expected(&mut self, key: &str, value: &Spanned<DeValue<'_>>, expected: &str) {
        self.problem(
            value.span(),
            format!("`{key}`: expected {expected}, found {}", describe(value.get_ref())),
            None,
        );
    }

    fn string<'v>(&mut self, key: &str, value: &'v Spanned<DeValue<'_>>) -> Option<&'v str> {
        let s = value.get_ref().as_str();
        if s.is_none() {
            self.expected(key, value, "a string");
        }
        s
    }

    fn bool(&mut self, key: &str, value: &Spanned<DeValue<'_>>) -> Option<bool> {
        let b = value.get_ref().as_bool();
        if b.is_none() {
            self.expected(key, value, "`true` or `false`");
        }
        b
    }

    fn table<'v, 'i>(&mut self, key: &str, value: &'v Spanned<DeValue<'i>>) -> Option<&'v DeTable<'i>> {
        let t = value.get_ref().as_table();
        if t.is_none() {
            self.expected(key, value, "a table");
        }
        t
    }

    fn choice<T: Copy>(
        &mut self,
        key: &str,
        value: &Spanned<DeValue<'_>>,
        choices: &[(&str, T)],
    ) -> Option<T> {
        let s = self.string(key, value)?;
        if let Some(&(_, v)) = choices.iter().find(|(name, _)| name.eq_ignore_ascii_case(s)) {
            return Some(v);
        }
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        let help = closest(s, &names).map(|k| format!("did you mean `{k}`?"));
        self.problem(
            value.span(),
            format!("`{key}`: expected one of {}, found `{s}`", quote_list(&names)),
            help,
        );
        None
    }
}

const TOP_KEYS: &[&str] =
    &["fail_on", "dev", "ecosystems", "hygiene", "ignore", "registry", "signals", "proxy"];
const PROXY_KEYS: &[&str] = &["allow", "on_unavailable"];
const FALLBACKS: &[(&str, Fallback)] = &[("block", Fallback::Block), ("allow", Fallback::Allow)];
const REGISTRY_KEYS: &[&str] = &[
    "enabled",
    "min_release_age",
    "min_release_age_trusted",
    "min_release_age_suspicious",
    "min_release_age_exempt",
    "security_fast_path",
    "missing_time",
    "trust_downgrade",
    "young_dependency",
    "install_scripts",
];
const MISSING_TIME: &[(&str, MissingTime)] = &[("block", MissingTime::Block), ("warn", MissingTime::Warn)];
const IGNORE_KEYS: &[&str] = &["id", "package", "ecosystem", "reason", "expires"];
const SEVERITIES: &[(&str, Option<Severity>)] = &[
    ("info", Some(Severity::Info)),
    ("low", Some(Severity::Low)),
    ("medium", Some(Severity::Medium)),
    ("high", Some(Severity::High)),
    ("critical", Some(Severity::Critical)),
    ("never", None),
];
const DEV_MODES: &[(&str, DevMode)] =
    &[("fail", DevMode::Fail), ("warn", DevMode::Warn), ("ignore", DevMode::Ignore)];
const ACTIONS: &[(&str, Action)] = &[("fail", Action::Fail), ("warn", Action::Warn), ("off", Action::Ignore)];
/// `block` reads better for registry signals (the proxy blocks); it means `fail`.
const SIGNAL_ACTIONS: &[(&str, Action)] =
    &[("fail", Action::Fail), ("block", Action::Fail), ("warn", Action::Warn), ("off", Action::Ignore)];

/// Parses and validates a policy file. `path` is used in messages only. `[signals]` may
/// name any kebab-case id; [`parse_checked`] also checks the ids exist.
pub fn parse(path: &str, text: &str) -> Result<Policy, PolicyError> {
    parse_inner(path, text, None)
}

/// [`parse`], refusing `[signals]` ids not in `known` (with the nearest as a suggestion).
pub fn parse_checked(path: &str, text: &str, known: &[&str]) -> Result<Policy, PolicyError> {
    parse_inner(path, text, Some(known))
}

fn parse_inner(path: &str, text: &str, known_signals: Option<&[&str]>) -> Result<Policy, PolicyError> {
    let mut cx = Ctx { path, text, problems: Vec::new(), known_signals };
    let policy = match DeTable::parse(text) {
        Ok(root) => validate(&mut cx, root.get_ref()),
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            cx.problem(span, e.message().trim_end().to_owned(), None);
            Policy::default()
        }
    };
    if cx.problems.is_empty() {
        return Ok(policy);
    }
    cx.problems.sort_by_key(|p| (p.line, p.column));
    Err(PolicyError::Invalid {
        path: path.to_owned(),
        source_code: NamedSource::new(path, text.to_owned()),
        problems: cx.problems,
    })
}

fn validate(cx: &mut Ctx<'_>, root: &DeTable<'_>) -> Policy {
    let mut policy = Policy::default();
    for (key, value) in root.iter() {
        match key.get_ref().as_ref() {
            "fail_on" => {
                if let Some(v) = cx.choice("fail_on", value, SEVERITIES) {
                    policy.fail_on = v;
                }
            }
            "dev" => {
                if let Some(v) = cx.choice("dev", value, DEV_MODES) {
                    policy.dev = v;
                }
            }
            "ecosystems" => {
                let Some(table) = cx.table("ecosystems", value) else { continue };
                for (k, v) in table.iter() {
                    match k.get_ref().parse::<Ecosystem>() {
                        Ok(eco) => {
                            if let Some(on) = cx.bool(&format!("ecosystems.{}", k.get_ref()), v) {
                                policy.ecosystems.insert(eco, on);
                            }
                        }
                        Err(_) => cx.unknown_key("[ecosystems]", k, &["npm", "pypi", "cargo", "go"]),
                    }
                }
            }
            "hygiene" => {
                let Some(table) = cx.table("hygiene", value) else { continue };
                let known: Vec<&str> =
                    std::iter::once("allowed_hosts").chain(HYGIENE_CHECKS.iter().map(|c| c.0)).collect();
                for (k, v) in table.iter() {
                    let name = k.get_ref().as_ref();
                    if name == "allowed_hosts" {
                        policy.hygiene.allowed_hosts = hosts(cx, v);
                    } else if let Some(&(_, id, _)) = HYGIENE_CHECKS.iter().find(|c| c.0 == name) {
                        if let Some(action) = cx.choice(&format!("hygiene.{name}"), v, ACTIONS) {
                            policy.hygiene.levels.insert(id, action);
                        }
                    } else {
                        cx.unknown_key("[hygiene]", k, &known);
                    }
                }
            }
            "ignore" => match value.get_ref() {
                DeValue::Array(items) => {
                    for item in items.iter() {
                        if let Some(ignore) = ignore(cx, item) {
                            policy.ignores.push(ignore);
                        }
                    }
                }
                _ => cx.expected("ignore", value, "an array of tables (`[[ignore]]`)"),
            },
            "registry" => {
                let Some(table) = cx.table("registry", value) else { continue };
                registry(cx, table, &mut policy);
            }
            "signals" => {
                let Some(table) = cx.table("signals", value) else { continue };
                for (k, v) in table.iter() {
                    signal_setting(cx, k, v, &mut policy);
                }
            }
            "proxy" => {
                let Some(table) = cx.table("proxy", value) else { continue };
                proxy(cx, table, &mut policy);
            }
            _ => cx.unknown_key("the top level", key, TOP_KEYS),
        }
    }
    policy
}

fn registry(cx: &mut Ctx<'_>, table: &DeTable<'_>, policy: &mut Policy) {
    let r = &mut policy.registry;
    for (k, v) in table.iter() {
        let name = k.get_ref().as_ref();
        let key = format!("registry.{name}");
        match name {
            "enabled" => {
                if let Some(b) = cx.bool(&key, v) {
                    r.enabled = b;
                }
            }
            "min_release_age" | "min_release_age_trusted" | "min_release_age_suspicious" => {
                let Some(seconds) = duration(cx, &key, v) else { continue };
                match name {
                    "min_release_age" => r.min_release_age = seconds,
                    "min_release_age_trusted" => r.min_release_age_trusted = seconds,
                    _ => r.min_release_age_suspicious = seconds,
                }
            }
            "young_dependency" => {
                if let Some(seconds) = duration(cx, &key, v) {
                    r.young_dependency_hours = seconds / 3600;
                }
            }
            "min_release_age_exempt" => r.exempt = specs(cx, &key, v),
            "security_fast_path" => {
                if let Some(b) = cx.bool(&key, v) {
                    r.security_fast_path = b;
                }
            }
            "missing_time" => {
                if let Some(m) = cx.choice(&key, v, MISSING_TIME) {
                    r.missing_time = m;
                }
            }
            "trust_downgrade" => {
                if let Some(action) = cx.choice(&key, v, SIGNAL_ACTIONS) {
                    policy.signals.insert("trust-downgrade".to_owned(), SignalSetting::Action(action));
                }
            }
            "install_scripts" => {
                let Some(inner) = cx.table(&key, v) else { continue };
                for (ik, iv) in inner.iter() {
                    if ik.get_ref().as_ref() == "allow" {
                        r.install_scripts_allow = specs(cx, "registry.install_scripts.allow", iv);
                    } else {
                        cx.unknown_key("[registry.install_scripts]", ik, &["allow"]);
                    }
                }
            }
            _ => cx.unknown_key("[registry]", k, REGISTRY_KEYS),
        }
    }
}

fn proxy(cx: &mut Ctx<'_>, table: &DeTable<'_>, policy: &mut Policy) {
    let p = &mut policy.proxy;
    for (k, v) in table.iter() {
        match k.get_ref().as_ref() {
            "allow" => {
                let DeValue::Array(items) = v.get_ref() else {
                    cx.expected("proxy.allow", v, "an array of `name`, `@scope/*` or `name@range` strings");
                    continue;
                };
                for item in items.iter() {
                    let Some(s) = cx.string("proxy.allow[]", item) else { continue };
                    match AllowEntry::parse(s) {
                        Ok(entry) => p.allow.push(entry),
                        Err(e) => cx.problem(item.span(), format!("`proxy.allow`: {e}"), None),
                    }
                }
            }
            // One fallback for every rule, or a table of them by rule.
            "on_unavailable" => match v.get_ref() {
                DeValue::String(_) => {
                    if let Some(f) = cx.choice("proxy.on_unavailable", v, FALLBACKS) {
                        p.on_unavailable.advisories = f;
                        p.on_unavailable.release_age = f;
                        p.on_unavailable.registry = f;
                    }
                }
                DeValue::Table(inner) => {
                    for (ik, iv) in inner.iter() {
                        let rule = ik.get_ref().as_ref();
                        let slot = match rule {
                            "advisories" => &mut p.on_unavailable.advisories,
                            "release_age" => &mut p.on_unavailable.release_age,
                            "registry" => &mut p.on_unavailable.registry,
                            _ => {
                                cx.unknown_key("[proxy.on_unavailable]", ik, ON_UNAVAILABLE_RULES);
                                continue;
                            }
                        };
                        if let Some(f) = cx.choice(&format!("proxy.on_unavailable.{rule}"), iv, FALLBACKS) {
                            *slot = f;
                        }
                    }
                }
                _ => cx.expected(
                    "proxy.on_unavailable",
                    v,
                    "`\"block\"`, `\"allow\"` or a table of them by rule",
                ),
            },
            _ => cx.unknown_key("[proxy]", k, PROXY_KEYS),
        }
    }
}

fn signal_setting(
    cx: &mut Ctx<'_>,
    k: &Spanned<std::borrow::Cow<'_, str>>,
    v: &Spanned<DeValue<'_>>,
    policy: &mut Policy,
) {
    let id = k.get_ref().as_ref();
    let kebab =
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    match cx.known_signals {
        Some(known) if !known.contains(&id) => {
            cx.unknown_key("[signals]", k, known);
            return;
        }
        None if !kebab => {
            cx.problem(k.span(), format!("`{id}` is not a signal id (ids are kebab-case)"), None);
            return;
        }
        _ => {}
    }
    let key = format!("signals.{id}");
    let Some(text) = cx.string(&key, v) else { return };
    if let Some(&(_, action)) = SIGNAL_ACTIONS.iter().find(|(n, _)| n.eq_ignore_ascii_case(text)) {
        policy.signals.insert(id.to_owned(), SignalSetting::Action(action));
    } else if let Ok(severity) = text.parse::<Severity>() {
        policy.signals.insert(id.to_owned(), SignalSetting::Severity(severity));
    } else {
        let mut names: Vec<&str> = SIGNAL_ACTIONS.iter().map(|(n, _)| *n).collect();
        names.extend(Severity::ALL.iter().map(|s| s.as_str()));
        let help = closest(text, &names).map(|k| format!("did you mean `{k}`?"));
        cx.problem(
            v.span(),
            format!("`{key}`: expected one of {}, found `{text}`", quote_list(&names)),
            help,
        );
    }
}

fn duration(cx: &mut Ctx<'_>, key: &str, v: &Spanned<DeValue<'_>>) -> Option<u64> {
    let text = match v.get_ref() {
        DeValue::Integer(i) if i.as_str() == "0" => return Some(0),
        _ => cx.string(key, v)?,
    };
    match parse_duration(text) {
        Ok(s) => Some(s),
        Err(e) => {
            cx.problem(v.span(), format!("`{key}`: {e}"), None);
            None
        }
    }
}

fn specs(cx: &mut Ctx<'_>, key: &str, v: &Spanned<DeValue<'_>>) -> Vec<PackageSpec> {
    let DeValue::Array(items) = v.get_ref() else {
        cx.expected(key, v, "an array of `name` or `name@range` strings");
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items.iter() {
        let Some(s) = cx.string(&format!("{key}[]"), item) else { continue };
        match PackageSpec::parse(s) {
            Ok(spec) => out.push(spec),
            Err(e) => cx.problem(item.span(), format!("`{key}`: {e}"), None),
        }
    }
    out
}

fn hosts(cx: &mut Ctx<'_>, value: &Spanned<DeValue<'_>>) -> Vec<String> {
    let DeValue::Array(items) = value.get_ref() else {
        cx.expected("hygiene.allowed_hosts", value, "an array of host names");
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items.iter() {
        let Some(host) = cx.string("hygiene.allowed_hosts[]", item) else { continue };
        if host.is_empty() || host.contains(['/', ':', ' ']) {
            cx.problem(
                item.span(),
                format!("`hygiene.allowed_hosts`: expected a bare host name, found `{host}`"),
                Some("write `registry.example.com`, without scheme, port or path".to_owned()),
            );
        } else {
            out.push(host.to_ascii_lowercase());
        }
    }
    out
}

fn ignore(cx: &mut Ctx<'_>, item: &Spanned<DeValue<'_>>) -> Option<Ignore> {
    let Some(table) = item.get_ref().as_table() else {
        cx.expected("ignore[]", item, "a table");
        return None;
    };
    let line = firebreak_core::Location::from_offset(cx.text.as_bytes(), item.span().start).line;
    let before = cx.problems.len();
    let mut entry =
        Ignore { id: None, package: None, ecosystem: None, reason: String::new(), expires: None, line };
    let mut has_reason = false;
    for (k, v) in table.iter() {
        match k.get_ref().as_ref() {
            "id" => entry.id = cx.string("ignore.id", v).map(str::to_owned),
            "package" => {
                if let Some(s) = cx.string("ignore.package", v) {
                    match PackageSpec::parse(s) {
                        Ok(spec) => entry.package = Some(spec),
                        Err(e) => cx.problem(v.span(), format!("`ignore.package`: {e}"), None),
                    }
                }
            }
            "ecosystem" => {
                if let Some(s) = cx.string("ignore.ecosystem", v) {
                    match s.parse::<Ecosystem>() {
                        Ok(e) => entry.ecosystem = Some(e),
                        Err(e) => cx.problem(v.span(), format!("`ignore.ecosystem`: {e}"), None),
                    }
                }
            }
            "reason" => {
                if let Some(s) = cx.string("ignore.reason", v) {
                    has_reason = !s.trim().is_empty();
                    if !has_reason {
                        cx.problem(v.span(), "`ignore.reason` is empty".to_owned(), Some(reason_help()));
                    }
                    entry.reason = s.trim().to_owned();
                }
            }
            "expires" => entry.expires = date(cx, v),
            _ => cx.unknown_key("[[ignore]]", k, IGNORE_KEYS),
        }
    }
    if !has_reason && !table.contains_key("reason") {
        cx.problem(item.span(), "`[[ignore]]` without a `reason`".to_owned(), Some(reason_help()));
    }
    if entry.id.is_none() && entry.package.is_none() {
        cx.problem(
            item.span(),
            "`[[ignore]]` needs an `id` (advisory or signal id), a `package` (`name@range`), or both"
                .to_owned(),
            None,
        );
    }
    (cx.problems.len() == before).then_some(entry)
}

fn reason_help() -> String {
    "every ignore says why it is safe, e.g. `reason = \"not reachable: we never parse untrusted YAML\"`"
        .to_owned()
}

fn date(cx: &mut Ctx<'_>, v: &Spanned<DeValue<'_>>) -> Option<Date> {
    let parsed = match v.get_ref() {
        DeValue::String(s) => Date::parse(s),
        DeValue::Datetime(d) if d.time.is_none() && d.offset.is_none() => {
            d.date.and_then(|d| Date::parse(&format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)))
        }
        _ => None,
    };
    if parsed.is_none() {
        cx.expected("ignore.expires", v, "a date `YYYY-MM-DD`");
    }
    parsed
}

fn describe(v: &DeValue<'_>) -> String {
    match v {
        DeValue::String(s) => format!("the string {s:?}"),
        DeValue::Integer(i) => format!("the integer {}", i.as_str()),
        DeValue::Float(f) => format!("the float {}", f.as_str()),
        DeValue::Boolean(b) => format!("`{b}`"),
        DeValue::Datetime(d) => format!("the datetime {d}"),
        DeValue::Array(_) => "an array".to_owned(),
        DeValue::Table(_) => "a table".to_owned(),
    }
}

fn quote_list(items: &[&str]) -> String {
    items.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
}

/// The known word nearest to `word`, when it is a plausible typo.
fn closest<'k>(word: &str, known: &[&'k str]) -> Option<&'k str> {
    let word = word.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (edit_distance(&word, k), *k))
        .filter(|(d, k)| *d <= (k.len() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Optimal-string-alignment distance: like Levenshtein, with a swap of two neighbours
/// counting as one edit (the most common typo, `hihg`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    if let Some(first) = d.first_mut() {
        for (j, cell) in first.iter_mut().enumerate() {
            *cell = j;
        }
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}
