//! Parsing, validation messages and evaluation of `firebreak.toml`.

use firebreak_core::{
    AdvisoryRef, Category, DepKind, Ecosystem, Finding, Inventory, InventoryBuilder, NodeRef, PackageId,
    Severity, Signal,
};
use firebreak_policy::{Action, DEFAULT_POLICY, Date, DevMode, Policy, Reason, parse};

static VULN: Signal = Signal {
    id: "known-vulnerability",
    title: "known vulnerability",
    severity: Severity::Medium,
    category: Category::Vulnerability,
    help: "",
};
static MAL: Signal = Signal {
    id: "known-malicious",
    title: "known malicious",
    severity: Severity::Critical,
    category: Category::Malicious,
    help: "",
};
static HTTP: Signal = Signal {
    id: "lockfile-insecure-scheme",
    title: "insecure url",
    severity: Severity::High,
    category: Category::Hygiene,
    help: "",
};
static SHA1: Signal = Signal {
    id: "lockfile-integrity-weak",
    title: "weak integrity",
    severity: Severity::Low,
    category: Category::Hygiene,
    help: "",
};

fn problems(text: &str) -> String {
    let err = parse("firebreak.toml", text).expect_err("invalid policy");
    err.problems()
        .iter()
        .map(|p| format!("{p}{}", p.help.as_ref().map(|h| format!("\n  help: {h}")).unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_default_file_is_the_default_policy() {
    assert_eq!(parse("firebreak.toml", DEFAULT_POLICY).expect("default parses"), Policy::default());
    assert_eq!(parse("firebreak.toml", "").expect("empty parses"), Policy::default());
}

#[test]
fn values_are_read() {
    let p = parse(
        "firebreak.toml",
        r#"
fail_on = "critical"
dev = "warn"
[ecosystems]
go = false
[hygiene]
allowed_hosts = ["npm.internal.example"]
integrity_weak = "off"
[[ignore]]
id = "GHSA-xxxx-yyyy-zzzz"
reason = "not reachable"
expires = 2027-01-31
[[ignore]]
package = "@scope/pkg@>=1.0, <2"
ecosystem = "npm"
reason = "vendored fork"
"#,
    )
    .expect("valid");
    assert_eq!(p.fail_on, Some(Severity::Critical));
    assert_eq!(p.dev, DevMode::Warn);
    assert!(!p.scans(Ecosystem::Go) && p.scans(Ecosystem::Npm));
    assert_eq!(p.hygiene.allowed_hosts, ["npm.internal.example"]);
    assert_eq!(p.hygiene.level("lockfile-integrity-weak"), Action::Ignore);
    assert_eq!(p.hygiene.level("lockfile-insecure-scheme"), Action::Fail);
    assert_eq!(p.ignores.len(), 2);
    assert_eq!(p.ignores[0].expires, Date::parse("2027-01-31"));
    assert_eq!(p.ignores[0].line, 9);
    assert_eq!(p.ignores[1].package.as_ref().map(|s| s.name.as_str()), Some("@scope/pkg"));
}

#[test]
fn every_problem_is_reported_with_place_and_suggestion() {
    let text = r#"fail_onn = "high"
dev = "sometimes"
[hygiene]
integrity_wek = "warn"
allowed_hosts = ["https://registry.npmjs.org/"]
[[ignore]]
id = "GHSA-1"
[[ignore]]
reason = "x"
expires = "next year"
"#;
    insta::assert_snapshot!(problems(text), @r#"
    firebreak.toml:1:1: unknown key `fail_onn` in the top level
      help: did you mean `fail_on`?
    firebreak.toml:2:7: `dev`: expected one of `fail`, `warn`, `ignore`, found `sometimes`
    firebreak.toml:4:1: unknown key `integrity_wek` in [hygiene]
      help: did you mean `integrity_weak`?
    firebreak.toml:5:18: `hygiene.allowed_hosts`: expected a bare host name, found `https://registry.npmjs.org/`
      help: write `registry.example.com`, without scheme, port or path
    firebreak.toml:6:1: `[[ignore]]` without a `reason`
      help: every ignore says why it is safe, e.g. `reason = "not reachable: we never parse untrusted YAML"`
    firebreak.toml:8:1: `[[ignore]]` needs an `id` (advisory or signal id), a `package` (`name@range`), or both
    firebreak.toml:10:11: `ignore.expires`: expected a date `YYYY-MM-DD`, found the string "next year"
    "#);
}

#[test]
fn syntax_errors_are_located() {
    let out = problems("fail_on = \"high\"\n[hygiene\n");
    assert!(out.starts_with("firebreak.toml:2:"), "{out}");
}

#[test]
fn the_error_message_names_the_file_and_place() {
    let err = parse("ci/firebreak.toml", "fail_on = 3\n").expect_err("invalid");
    let msg = err.to_string();
    assert!(msg.contains("ci/firebreak.toml") && msg.contains("1:11"), "{msg}");
    assert!(msg.contains("expected a string, found the integer 3"), "{msg}");
}

struct Fixture {
    inventory: Inventory,
    lodash: PackageId,
    mocha: PackageId,
    crate_: PackageId,
}

fn fixture() -> Fixture {
    let mut b = InventoryBuilder::new("package-lock.json", "npm/package-lock");
    let root = b.root(Ecosystem::Npm, "app", Some("1.0.0"), "");
    let lodash = b.package(Ecosystem::Npm, "lodash", "4.17.20");
    let mocha = b.package(Ecosystem::Npm, "mocha", "10.0.0");
    b.get_mut(mocha).flags.dev = true;
    let crate_ = b.package(Ecosystem::CratesIo, "time", "0.2.22");
    b.edge(NodeRef::Root(root), lodash, DepKind::Normal, Some("^4.17.0"));
    b.edge(NodeRef::Root(root), mocha, DepKind::Dev, Some("^10"));
    Fixture { inventory: b.finish(), lodash, mocha, crate_ }
}

fn vuln(p: PackageId, severity: Severity, id: &str) -> Finding {
    Finding::new(&VULN, "vulnerable").severity(severity).package(p).advisory(AdvisoryRef {
        ids: vec![id.to_owned()],
        aliases: vec![format!("CVE-{id}")],
        ..AdvisoryRef::default()
    })
}

const TODAY: Date = Date { year: 2026, month: 11, day: 29 };

#[test]
fn threshold_dev_and_malicious() {
    let fx = fixture();
    let policy = parse("firebreak.toml", "fail_on = \"high\"\ndev = \"warn\"\n").expect("valid");
    let findings = [
        vuln(fx.lodash, Severity::High, "A"),
        vuln(fx.lodash, Severity::Medium, "B"),
        vuln(fx.mocha, Severity::Critical, "C"),
        Finding::new(&MAL, "malware").package(fx.mocha),
    ];
    let ev = policy.evaluate(&fx.inventory, &findings, TODAY);
    let actions: Vec<Action> = ev.decisions.iter().map(|d| d.action).collect();
    assert_eq!(actions, [Action::Fail, Action::Warn, Action::Warn, Action::Fail]);
    assert_eq!(ev.decisions[2].reason, Reason::Dev(DevMode::Warn));
    assert_eq!(ev.decisions[3].reason, Reason::Malicious);
    assert!(ev.failed());

    let never = parse("firebreak.toml", "fail_on = \"never\"\ndev = \"ignore\"\n").expect("valid");
    let ev = never.evaluate(&fx.inventory, &findings, TODAY);
    let actions: Vec<Action> = ev.decisions.iter().map(|d| d.action).collect();
    assert_eq!(actions, [Action::Warn, Action::Warn, Action::Ignore, Action::Fail]);
}

#[test]
fn ignores_match_ids_aliases_and_ranges_and_expire() {
    let fx = fixture();
    let policy = parse(
        "firebreak.toml",
        r#"
[[ignore]]
id = "cve-a"
reason = "alias, case-insensitive"
[[ignore]]
package = "lodash@<4.17.21"
reason = "range"
expires = "2026-11-28"
[[ignore]]
package = "lodash@>=5"
reason = "never matches"
[[ignore]]
id = "known-malicious"
package = "mocha"
reason = "reviewed the package: false report"
"#,
    )
    .expect("valid");
    let findings = [
        vuln(fx.lodash, Severity::Critical, "A"),
        vuln(fx.lodash, Severity::Critical, "B"),
        Finding::new(&MAL, "malware").package(fx.mocha),
    ];
    let ev = policy.evaluate(&fx.inventory, &findings, TODAY);
    assert_eq!(ev.decisions[0].reason, Reason::Ignored(0));
    // The range ignore expired yesterday: the finding fails again and says so.
    assert_eq!(ev.decisions[1].action, Action::Fail);
    assert_eq!(ev.decisions[1].expired_ignore, Some(1));
    assert_eq!(ev.decisions[2].reason, Reason::Ignored(3));
    assert_eq!(ev.unused_ignores, [2]);
    assert_eq!(ev.expired_ignores, [1]);
    // On its last day the ignore still applies.
    let ev = policy.evaluate(&fx.inventory, &findings, Date { year: 2026, month: 11, day: 28 });
    assert_eq!(ev.decisions[1].reason, Reason::Ignored(1));
}

#[test]
fn hygiene_levels_and_disabled_ecosystems() {
    let fx = fixture();
    let policy =
        parse("firebreak.toml", "[ecosystems]\ncargo = false\n[hygiene]\nintegrity_weak = \"off\"\n")
            .expect("valid");
    let findings = [
        Finding::new(&HTTP, "http").package(fx.lodash),
        Finding::new(&SHA1, "sha1").package(fx.lodash),
        vuln(fx.crate_, Severity::Critical, "R"),
        Finding::new(&MAL, "malware").package(fx.crate_),
    ];
    let ev = policy.evaluate(&fx.inventory, &findings, TODAY);
    let actions: Vec<Action> = ev.decisions.iter().map(|d| d.action).collect();
    assert_eq!(actions, [Action::Fail, Action::Ignore, Action::Ignore, Action::Ignore]);
    assert_eq!(ev.decisions[2].reason, Reason::EcosystemDisabled);
}

static DOWNGRADE: Signal = Signal {
    id: "trust-downgrade",
    title: "trust downgrade",
    severity: Severity::High,
    category: Category::Signal,
    help: "",
};
static SCRIPT: Signal = Signal {
    id: "install-script-added",
    title: "install script added",
    severity: Severity::High,
    category: Category::Signal,
    help: "",
};
static NO_TIME: Signal = Signal {
    id: "publish-time-missing",
    title: "no publish time",
    severity: Severity::Medium,
    category: Category::Signal,
    help: "",
};

#[test]
fn registry_settings_are_read() {
    let p = parse(
        "firebreak.toml",
        r#"
[registry]
min_release_age = "2d"
min_release_age_trusted = "12h"
min_release_age_suspicious = "1w"
min_release_age_exempt = ["@myorg/*@*", "typescript"]
missing_time = "block"
trust_downgrade = "warn"
young_dependency = "48h"
[registry.install_scripts]
allow = ["esbuild", "sharp@>=0.33"]
[signals]
maintainers-changed = "off"
dependency-typosquat = "critical"
"#,
    )
    .expect("valid");
    assert_eq!(p.registry.min_release_age, 2 * 86_400);
    assert_eq!(p.registry.min_release_age_trusted, 12 * 3600);
    assert_eq!(p.registry.min_release_age_suspicious, 7 * 86_400);
    assert_eq!(p.registry.young_dependency_hours, 48);
    assert_eq!(p.registry.missing_time, firebreak_policy::MissingTime::Block);
    assert_eq!(p.registry.exempt.len(), 2);
    assert!(p.registry.install_scripts_allowed(Ecosystem::Npm, "sharp", "0.34.1"));
    assert!(!p.registry.install_scripts_allowed(Ecosystem::Npm, "sharp", "0.32.0"));
    assert_eq!(
        p.signals.get("trust-downgrade"),
        Some(&firebreak_policy::SignalSetting::Action(Action::Warn))
    );
    assert_eq!(
        p.signals.get("dependency-typosquat"),
        Some(&firebreak_policy::SignalSetting::Severity(Severity::Critical))
    );
}

#[test]
fn registry_problems_are_located() {
    insta::assert_snapshot!(problems(
        r#"
[registry]
min_release_age = "three days"
missing_tim = "warn"
missing_time = "allow"
min_release_age_exempt = ["@"]
[signals]
Trust_Downgrade = "warn"
new-publisher = "loud"
"#
    ));
    let err = firebreak_policy::parse_checked(
        "firebreak.toml",
        "[signals]\ntrust-downgrad = \"warn\"\n",
        &["trust-downgrade", "new-publisher"],
    )
    .expect_err("unknown id");
    let text = err.problems().iter().map(|p| format!("{p} {:?}", p.help)).collect::<String>();
    assert!(text.contains("unknown key `trust-downgrad` in [signals]"), "{text}");
    assert!(text.contains("did you mean `trust-downgrade`?"), "{text}");
}

#[test]
fn signal_settings_and_install_script_allow_decide() {
    let (inventory, ids) = inventory_with(&["esbuild", "axios"]);
    let findings = vec![
        Finding::new(&DOWNGRADE, "d").package(ids[1]),
        Finding::new(&SCRIPT, "s").package(ids[0]),
        Finding::new(&SCRIPT, "s").package(ids[1]),
        Finding::new(&NO_TIME, "t").package(ids[1]),
    ];
    let today = Date::parse("2026-04-01").expect("date");
    let default = Policy::default().evaluate(&inventory, &findings, today);
    let actions: Vec<Action> = default.decisions.iter().map(|d| d.action).collect();
    assert_eq!(actions, [Action::Fail, Action::Fail, Action::Fail, Action::Warn]);

    let p = parse(
        "firebreak.toml",
        "[registry]\nmissing_time = \"block\"\n[registry.install_scripts]\nallow = [\"esbuild\"]\n[signals]\ntrust-downgrade = \"warn\"\n",
    )
    .expect("valid");
    let e = p.evaluate(&inventory, &findings, today);
    let got: Vec<(Action, Reason)> = e.decisions.iter().map(|d| (d.action, d.reason)).collect();
    assert_eq!(
        got,
        [
            (Action::Warn, Reason::SignalSetting),
            (Action::Ignore, Reason::InstallScriptsAllowed),
            (Action::Fail, Reason::Threshold { severity: Severity::High, fail_on: Some(Severity::High) }),
            (Action::Fail, Reason::MissingTime(firebreak_policy::MissingTime::Block)),
        ]
    );
    let lowered = parse("firebreak.toml", "[signals]\ntrust-downgrade = \"low\"\n").expect("valid");
    let e = lowered.evaluate(&inventory, &findings[..1], today);
    assert_eq!(e.decisions[0].action, Action::Warn);
}

fn inventory_with(names: &[&str]) -> (Inventory, Vec<PackageId>) {
    let mut b = InventoryBuilder::new("package-lock.json", "npm/package-lock");
    let root = b.root(Ecosystem::Npm, "app", Some("1.0.0"), "");
    let ids: Vec<PackageId> = names
        .iter()
        .map(|n| {
            let id = b.package(Ecosystem::Npm, n, "1.0.0");
            b.edge(NodeRef::Root(root), id, DepKind::Normal, Some("^1"));
            id
        })
        .collect();
    (b.finish(), ids)
}

static YOUNG: Signal = Signal {
    id: "release-too-young",
    title: "too young",
    severity: Severity::Medium,
    category: Category::Signal,
    help: "",
};

#[test]
fn the_cooldown_fails_unless_signals_say_otherwise() {
    let (inventory, ids) = inventory_with(&["axios"]);
    let findings = vec![Finding::new(&YOUNG, "young").package(ids[0])];
    let today = Date::parse("2026-04-01").expect("date");
    let d = Policy::default().evaluate(&inventory, &findings, today).decisions[0];
    assert_eq!((d.action, d.reason), (Action::Fail, Reason::Cooldown));
    let warn = parse("firebreak.toml", "[signals]\nrelease-too-young = \"warn\"\n").expect("valid");
    let d = warn.evaluate(&inventory, &findings, today).decisions[0];
    assert_eq!((d.action, d.reason), (Action::Warn, Reason::SignalSetting));
}

#[test]
fn proxy_settings_are_read() {
    use firebreak_policy::Fallback;
    let p = parse(
        "firebreak.toml",
        r#"
[proxy]
allow = ["axios", "@scope/*", "left-pad@1.3.0"]
on_unavailable = { advisories = "allow", release_age = "block" }
"#,
    )
    .expect("valid");
    let texts: Vec<&str> = p.proxy.allow.iter().map(|a| a.text.as_str()).collect();
    assert_eq!(texts, ["axios", "@scope/*", "left-pad@1.3.0"]);
    assert!(p.proxy.allowed(Ecosystem::Npm, "@scope/thing", "9.9.9").is_some());
    assert!(p.proxy.allowed(Ecosystem::Npm, "left-pad", "1.3.1").is_none());
    assert_eq!(p.proxy.on_unavailable.advisories, Fallback::Allow);
    assert_eq!(p.proxy.on_unavailable.release_age, Fallback::Block);
    assert_eq!(p.proxy.on_unavailable.registry, Fallback::Block);
    let all = parse("firebreak.toml", "[proxy]\non_unavailable = \"allow\"\n").expect("valid");
    assert_eq!(all.proxy.on_unavailable.registry, Fallback::Allow);
    assert_eq!(all.proxy.on_unavailable.release_age, Fallback::Allow);
}

#[test]
fn proxy_problems_are_located() {
    let text = problems(
        r#"
[proxy]
alow = ["axios"]
allow = ["foo*", 3]
on_unavailable = { advisory = "allow", registry = "pass" }
"#,
    );
    assert!(text.contains("3:1: unknown key `alow` in [proxy]"), "{text}");
    assert!(text.contains("did you mean `allow`?"), "{text}");
    assert!(text.contains("4:10: `proxy.allow`: `*` is allowed only as `@scope/*`"), "{text}");
    assert!(text.contains("`proxy.allow[]`: expected a string, found the integer 3"), "{text}");
    assert!(text.contains("unknown key `advisory` in [proxy.on_unavailable]"), "{text}");
    assert!(text.contains("did you mean `advisories`?"), "{text}");
    assert!(
        text.contains("`proxy.on_unavailable.registry`: expected one of `block`, `allow`, found `pass`"),
        "{text}"
    );
}
