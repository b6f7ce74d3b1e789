//! Every reporter renders the same report; the outputs are snapshots, and SARIF is
//! validated against the official schema.

use firebreak_core::{
    AdvisoryRef, Category, DepKind, Ecosystem, FileLocation, Finding, Inventory, InventoryBuilder, Location,
    NodeRef, Severity, Signal,
};
use firebreak_policy::{Date, Policy, parse};
use firebreak_report::{DatabaseInfo, Human, InputError, Json, Markdown, Report, Reporter, Sarif};

static MAL: Signal = Signal {
    id: "known-malicious",
    title: "package is known to be malicious",
    severity: Severity::Critical,
    category: Category::Malicious,
    help: "remove it, rotate every credential the machine that installed it could reach",
};
static VULN: Signal = Signal {
    id: "known-vulnerability",
    title: "package has a known vulnerability",
    severity: Severity::Medium,
    category: Category::Vulnerability,
    help: "upgrade to a fixed version",
};
static HTTP: Signal = Signal {
    id: "lockfile-insecure-scheme",
    title: "package resolved over an insecure protocol",
    severity: Severity::High,
    category: Category::Hygiene,
    help: "use https",
};

struct Fixture {
    inventory: Inventory,
    findings: Vec<Finding>,
    policy: Policy,
}

fn fixture() -> Fixture {
    let mut b = InventoryBuilder::new("package-lock.json", "npm/package-lock");
    b.infer_dev();
    let root = b.root(Ecosystem::Npm, "shop", Some("1.0.0"), "");
    let axios = b.package(Ecosystem::Npm, "axios", "1.14.1");
    let plain = b.package(Ecosystem::Npm, "plain-crypto-js", "4.2.1");
    let lodash = b.package(Ecosystem::Npm, "lodash", "4.17.20");
    let mocha = b.package(Ecosystem::Npm, "mocha", "10.2.0");
    let nanoid = b.package(Ecosystem::Npm, "nanoid", "3.3.1");
    b.get_mut(plain).location = Some(Location { line: 812, column: 5 });
    b.get_mut(lodash).location = Some(Location { line: 440, column: 5 });
    b.get_mut(nanoid).location = Some(Location { line: 501, column: 5 });
    b.edge(NodeRef::Root(root), axios, DepKind::Normal, Some("^1.14.0"));
    b.edge(NodeRef::Package(axios), plain, DepKind::Normal, Some("^4.2.1"));
    b.edge(NodeRef::Root(root), lodash, DepKind::Normal, Some("4.17.20"));
    b.edge(NodeRef::Root(root), mocha, DepKind::Dev, Some("^10"));
    b.edge(NodeRef::Package(mocha), nanoid, DepKind::Normal, Some("3.3.1"));
    let inventory = b.finish();
    let at = |line| FileLocation { path: "package-lock.json".into(), line: Some(line), column: Some(5) };
    let findings = vec![
        Finding::new(&VULN, "lodash@4.17.20 is affected by GHSA-35jh-r3h4-6jhm: Command injection in lodash")
            .severity(Severity::High)
            .package(lodash)
            .at(at(440))
            .advisory(AdvisoryRef {
                ids: vec!["GHSA-35jh-r3h4-6jhm".into()],
                aliases: vec!["CVE-2021-23337".into()],
                summary: Some("Command Injection in lodash".into()),
                cvss_vector: Some("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H".into()),
                cvss_score: Some(7.2),
                fixed: Some("4.17.21".into()),
                links: vec!["https://github.com/advisories/GHSA-35jh-r3h4-6jhm".into()],
            }),
        Finding::new(&MAL, "plain-crypto-js@4.2.1 is a known-malicious package")
            .package(plain)
            .at(at(812))
            .advisory(AdvisoryRef {
                ids: vec!["MAL-2026-2306".into()],
                summary: Some("Malicious code in plain-crypto-js (npm)".into()),
                links: vec!["https://osv.dev/vulnerability/MAL-2026-2306".into()],
                ..AdvisoryRef::default()
            }),
        Finding::new(&VULN, "nanoid@3.3.1 is affected by GHSA-qrpm-p2h7-hrv2")
            .severity(Severity::Medium)
            .package(nanoid)
            .at(at(501))
            .advisory(AdvisoryRef {
                ids: vec!["GHSA-qrpm-p2h7-hrv2".into()],
                fixed: Some("3.3.8".into()),
                ..AdvisoryRef::default()
            }),
        Finding::new(&HTTP, "lodash@4.17.20 is resolved over `http://`")
            .package(lodash)
            .at(at(441))
            .evidence("resolved", "http://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz"),
    ];
    let policy = parse(
        "firebreak.toml",
        r#"dev = "warn"
[[ignore]]
id = "lockfile-insecure-scheme"
package = "lodash"
reason = "internal mirror, TLS terminated upstream"
[[ignore]]
id = "GHSA-0000-0000-0000"
reason = "stale entry"
"#,
    )
    .expect("valid policy");
    Fixture { inventory, findings, policy }
}

fn render(reporter: &dyn Reporter, fx: &Fixture) -> String {
    let eval = fx.policy.evaluate(&fx.inventory, &fx.findings, Date { year: 2026, month: 11, day: 29 });
    let mut report = Report::new("0.1.0", &fx.inventory, &fx.findings, &eval, &fx.policy);
    report.policy_path = Some("firebreak.toml".into());
    report.database = Some(DatabaseInfo {
        name: "embedded snapshot".into(),
        records: 59,
        updated: Some("2026-11-01".into()),
        age_days: Some(28),
        stale: false,
    });
    report.input_errors.push(InputError {
        path: "broken/package-lock.json".into(),
        message: "failed to parse `broken/package-lock.json` at 3:1: EOF while parsing an object".into(),
    });
    let mut out = Vec::new();
    reporter.render(&report, &mut out).expect("render");
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn human() {
    insta::assert_snapshot!(render(&Human::default(), &fixture()));
}

#[test]
fn markdown() {
    insta::assert_snapshot!(render(&Markdown, &fixture()));
}

#[test]
fn json() {
    let out = render(&Json, &fixture());
    let doc: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["failed"], true);
    assert_eq!(doc["summary"]["fail"], 2);
    assert_eq!(doc["findings"][0]["signal"], "known-malicious");
    assert_eq!(doc["findings"][0]["via"], "axios@1.14.1");
    assert_eq!(doc["policy"]["unused_ignores"][0]["id"], "GHSA-0000-0000-0000");
    insta::assert_snapshot!(out);
}

#[test]
fn sarif_validates_against_the_schema() {
    let out = render(&Sarif, &fixture());
    let doc: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let schema_text = fs_err_read("../../fixtures/schemas/sarif-2.1.0/sarif-2.1.0-rtm.5.json");
    // The published schema's `language` patterns have a stray `]` that only JavaScript's
    // lenient regex dialect accepts; use the pattern the SARIF text describes (`en` or
    // `en-US`) so the strict validator can compile the schema.
    let schema_text =
        schema_text.replace(r"^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$", r"^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
    let schema: serde_json::Value = serde_json::from_str(&schema_text).expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(&doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = doc["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 4);
    assert_eq!(results[0]["level"], "error");
    assert_eq!(results[0]["locations"][0]["physicalLocation"]["region"]["startLine"], 812);
    let suppressed: Vec<_> = results.iter().filter(|r| r.get("suppressions").is_some()).collect();
    assert_eq!(suppressed.len(), 1, "the ignored hygiene finding is reported as suppressed");
    insta::assert_snapshot!(out);
}

fn fs_err_read(relative: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    fs_err::read_to_string(path).expect("schema readable")
}
