//! SARIF 2.1.0, the format code-scanning services ingest. Advisory findings get one rule
//! per advisory (its id, summary, link and score), so code scanning groups alerts by
//! advisory; every other finding's rule is its signal, so ids and help cannot drift.

use std::collections::BTreeMap;
use std::io;

use firebreak_core::{Severity, Signal};
use firebreak_policy::Action;
use serde_json::{Value, json};

use crate::{DOCS_URL, Report, Reporter};

/// The SARIF reporter.
#[derive(Debug, Default, Clone, Copy)]
pub struct Sarif;

/// GitHub code scanning ranks security results by this property (a CVSS-like score).
fn security_severity(severity: Severity, cvss: Option<f64>) -> String {
    let score = cvss.unwrap_or(match severity {
        Severity::Critical => 9.5,
        Severity::High => 8.0,
        Severity::Medium => 5.5,
        Severity::Low => 2.0,
        Severity::Info => 0.0,
    });
    format!("{score:.1}")
}

fn level(action: Action, severity: Severity) -> &'static str {
    match action {
        Action::Fail => "error",
        Action::Warn if severity >= Severity::Medium => "warning",
        _ => "note",
    }
}

/// The rule a finding is reported under: its advisory's primary id, else its signal's id.
fn rule_id(f: &firebreak_core::Finding) -> &str {
    f.advisory.as_ref().and_then(|a| a.ids.first()).map_or(f.signal.id, String::as_str)
}

fn advisory_rule(f: &firebreak_core::Finding, a: &firebreak_core::AdvisoryRef) -> Value {
    let id = rule_id(f);
    let summary = a.summary.clone().unwrap_or_else(|| f.signal.title.to_owned());
    let mut help = format!("{summary}. What to do: {}.", f.signal.help);
    if let Some(fixed) = &a.fixed {
        help.push_str(&format!(" Fixed in {fixed}."));
    }
    json!({
        "id": id,
        "name": f.signal.id,
        "shortDescription": { "text": summary },
        "fullDescription": { "text": format!("{id}: {summary}") },
        "help": { "text": help },
        "helpUri": a.links.first().cloned().unwrap_or_else(|| format!("https://osv.dev/vulnerability/{id}")),
        "defaultConfiguration": { "level": if f.severity >= Severity::High { "error" } else { "warning" } },
        "properties": {
            "tags": ["security", "supply-chain", f.signal.category.as_str()],
            "security-severity": security_severity(f.severity, a.cvss_score),
            "aliases": a.ids.iter().chain(&a.aliases).cloned().collect::<Vec<_>>(),
        },
    })
}

fn rule(signal: &Signal) -> Value {
    json!({
        "id": signal.id,
        "name": signal.id,
        "shortDescription": { "text": signal.title },
        "fullDescription": { "text": signal.help },
        "help": { "text": signal.help },
        "helpUri": format!("{DOCS_URL}/signals/{}.md", signal.id),
        "defaultConfiguration": { "level": if signal.severity >= Severity::High { "error" } else { "warning" } },
        "properties": {
            "tags": ["security", "supply-chain", signal.category.as_str()],
            "security-severity": security_severity(signal.severity, None),
        },
    })
}

impl Reporter for Sarif {
    fn render(&self, report: &Report<'_>, out: &mut dyn io::Write) -> io::Result<()> {
        let mut rules: BTreeMap<&str, Value> = BTreeMap::new();
        for e in &report.entries {
            let f = e.finding;
            rules.entry(rule_id(f)).or_insert_with(|| match &f.advisory {
                Some(a) => advisory_rule(f, a),
                None => rule(f.signal),
            });
        }
        let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(i, id)| (*id, i)).collect();
        let results: Vec<Value> = report
            .entries
            .iter()
            .map(|e| {
                let f = e.finding;
                let package = report.package(e);
                let mut result = json!({
                    "ruleId": rule_id(f),
                    "ruleIndex": index.get(rule_id(f)).copied().unwrap_or_default(),
                    "level": level(e.decision.action, f.severity),
                    "message": { "text": message(report, e) },
                    "partialFingerprints": {
                        "firebreak/v1": format!(
                            "{}:{}:{}",
                            f.signal.id,
                            package.and_then(|p| p.purl.clone()).unwrap_or_default(),
                            f.advisory.as_ref().and_then(|a| a.ids.first().cloned()).unwrap_or_default(),
                        ),
                    },
                    "properties": {
                        "security-severity": security_severity(f.severity, f.advisory.as_ref().and_then(|a| a.cvss_score)),
                        "signal": f.signal.id,
                        "severity": f.severity.as_str(),
                        "decision": e.decision.action.as_str(),
                        "package": package.map(|p| format!("{}@{}", p.name, p.version)),
                        "purl": package.and_then(|p| p.purl.clone()),
                        "advisories": f.advisory.as_ref().map(|a| a.ids.clone()).unwrap_or_default(),
                        "chain": e.chain.iter().map(|n| report.label(*n)).collect::<Vec<_>>(),
                    },
                });
                if let (Some(loc), Some(obj)) = (&f.location, result.as_object_mut()) {
                    let mut physical = json!({
                        "artifactLocation": { "uri": loc.path.replace('\\', "/"), "uriBaseId": "%SRCROOT%" },
                    });
                    if let (Some(line), Some(p)) = (loc.line.filter(|l| *l > 0), physical.as_object_mut()) {
                        p.insert(
                            "region".into(),
                            json!({ "startLine": line, "startColumn": loc.column.filter(|c| *c > 0).unwrap_or(1) }),
                        );
                    }
                    obj.insert("locations".into(), json!([{ "physicalLocation": physical }]));
                }
                if e.decision.action == Action::Ignore
                    && let Some(obj) = result.as_object_mut()
                {
                    obj.insert(
                        "suppressions".into(),
                        json!([{ "kind": "external", "status": "accepted", "justification": report.reason_text(e) }]),
                    );
                }
                result
            })
            .collect();
        let notifications: Vec<Value> = report
            .input_errors
            .iter()
            .map(|err| {
                json!({
                    "level": "error",
                    "message": { "text": err.message },
                    "locations": [{ "physicalLocation": { "artifactLocation": { "uri": err.path.replace('\\', "/") } } }],
                })
            })
            .collect();
        let doc = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": { "driver": {
                    "name": "firebreak",
                    "version": report.tool_version,
                    "semanticVersion": report.tool_version,
                    "informationUri": "https://github.com/firebreak-dev/firebreak",
                    "rules": rules.into_values().collect::<Vec<_>>(),
                }},
                "invocations": [{
                    "executionSuccessful": report.input_errors.is_empty(),
                    "toolExecutionNotifications": notifications,
                }],
                "results": results,
            }],
        });
        serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
        writeln!(out)
    }
}

fn message(report: &Report<'_>, e: &crate::Entry<'_>) -> String {
    let mut text = e.finding.message.clone();
    if let Some(via) = report.via(e) {
        text.push_str(&format!(" (pulled in by the direct dependency {via})"));
    }
    if let Some(fixed) = e.finding.advisory.as_ref().and_then(|a| a.fixed.as_deref()) {
        text.push_str(&format!("; fixed in {fixed}"));
    }
    text
}
