//! The versioned JSON report (`schema_version` 1). Adding fields is allowed; renaming or
//! removing one needs a new schema version.

use std::io;

use firebreak_core::NodeRef;
use serde::Serialize;

use crate::{Report, Reporter};

/// The JSON reporter.
#[derive(Debug, Default, Clone, Copy)]
pub struct Json;

#[derive(Serialize)]
struct Doc<'a> {
    schema_version: u32,
    tool: Tool<'a>,
    failed: bool,
    summary: Summary,
    database: Option<Database<'a>>,
    policy: Policy<'a>,
    findings: Vec<FindingDto<'a>>,
    input_errors: Vec<InputErrorDto<'a>>,
    /// `null` when the registry signals did not run.
    registry: Option<RegistryDto<'a>>,
    /// Absent when content analysis did not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<ContentDto<'a>>,
}

#[derive(Serialize)]
struct ContentDto<'a> {
    analysed: usize,
    cached: usize,
    budget: &'a str,
    budget_exhausted: bool,
    downloaded_bytes: u64,
    skipped: Vec<UncheckedDto<'a>>,
}

#[derive(Serialize)]
struct RegistryDto<'a> {
    checked: usize,
    offline: bool,
    requests: u32,
    unchecked: Vec<UncheckedDto<'a>>,
    warnings: &'a [String],
}

#[derive(Serialize)]
struct UncheckedDto<'a> {
    package: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct Tool<'a> {
    name: &'static str,
    version: &'a str,
}

#[derive(Serialize)]
struct Summary {
    packages: usize,
    lockfiles: usize,
    findings: usize,
    fail: usize,
    warn: usize,
    ignore: usize,
}

#[derive(Serialize)]
struct Database<'a> {
    name: &'a str,
    records: usize,
    updated: Option<&'a str>,
    age_days: Option<u32>,
    stale: bool,
}

#[derive(Serialize)]
struct Policy<'a> {
    path: Option<&'a str>,
    fail_on: &'static str,
    unused_ignores: Vec<IgnoreDto<'a>>,
    expired_ignores: Vec<IgnoreDto<'a>>,
}

#[derive(Serialize)]
struct IgnoreDto<'a> {
    line: u32,
    id: Option<&'a str>,
    package: Option<String>,
    reason: &'a str,
    expires: Option<String>,
}

#[derive(Serialize)]
struct FindingDto<'a> {
    signal: &'static str,
    category: &'static str,
    severity: &'static str,
    action: &'static str,
    reason: String,
    message: &'a str,
    package: Option<PackageDto<'a>>,
    location: Option<LocationDto<'a>>,
    chain: ChainDto<'a>,
    via: Option<String>,
    advisory: Option<AdvisoryDto<'a>>,
    evidence: Vec<EvidenceDto<'a>>,
    note: Option<String>,
}

/// A chain as its labels, written straight into the output: a report of thousands of
/// findings has tens of thousands of chain links, and a `String` for each was a tenth of
/// the rendering.
struct ChainDto<'a> {
    report: &'a Report<'a>,
    chain: &'a [NodeRef],
}

impl Serialize for ChainDto<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.chain.iter().map(|&node| LabelDto { report: self.report, node }))
    }
}

/// [`Report::label`] of one node.
struct LabelDto<'a> {
    report: &'a Report<'a>,
    node: NodeRef,
}

impl Serialize for LabelDto<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.node {
            NodeRef::Package(id) => match self.report.inventory.packages.get(id.index()) {
                Some(p) => serializer.collect_str(&format_args!("{}@{}", p.name, p.version)),
                None => serializer.serialize_str(""),
            },
            NodeRef::Root(_) => serializer.serialize_str(&self.report.label(self.node)),
        }
    }
}

#[derive(Serialize)]
struct PackageDto<'a> {
    ecosystem: &'static str,
    name: &'a str,
    version: &'a str,
    purl: Option<&'a str>,
    direct: bool,
    dev: bool,
    optional: bool,
}

#[derive(Serialize)]
struct LocationDto<'a> {
    path: &'a str,
    line: Option<u32>,
    column: Option<u32>,
}

#[derive(Serialize)]
struct AdvisoryDto<'a> {
    ids: &'a [String],
    aliases: &'a [String],
    summary: Option<&'a str>,
    cvss_vector: Option<&'a str>,
    cvss_score: Option<f64>,
    fixed: Option<&'a str>,
    links: &'a [String],
}

#[derive(Serialize)]
struct EvidenceDto<'a> {
    label: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct InputErrorDto<'a> {
    path: &'a str,
    message: &'a str,
}

fn ignore_dto<'a>(report: &Report<'a>, i: usize) -> Option<IgnoreDto<'a>> {
    let ig = report.policy.ignores.get(i)?;
    Some(IgnoreDto {
        line: ig.line,
        id: ig.id.as_deref(),
        package: ig.package.as_ref().map(|p| p.name.clone()),
        reason: &ig.reason,
        expires: ig.expires.map(|d| d.to_string()),
    })
}

impl Reporter for Json {
    fn render(&self, report: &Report<'_>, out: &mut dyn io::Write) -> io::Result<()> {
        let findings = report
            .entries
            .iter()
            .map(|e| {
                let f = e.finding;
                FindingDto {
                    signal: f.signal.id,
                    category: f.category().as_str(),
                    severity: f.severity.as_str(),
                    action: e.decision.action.as_str(),
                    reason: report.reason_text(e),
                    message: &f.message,
                    package: report.package(e).map(|p| PackageDto {
                        ecosystem: p.ecosystem.as_str(),
                        name: &p.name,
                        version: &p.version,
                        purl: p.purl.as_deref(),
                        direct: p.direct,
                        dev: p.flags.dev,
                        optional: p.flags.optional,
                    }),
                    location: f.location.as_ref().map(|l| LocationDto {
                        path: &l.path,
                        line: l.line,
                        column: l.column,
                    }),
                    chain: ChainDto { report, chain: &e.chain },
                    via: report.via(e),
                    advisory: f.advisory.as_ref().map(|a| AdvisoryDto {
                        ids: &a.ids,
                        aliases: &a.aliases,
                        summary: a.summary.as_deref(),
                        cvss_vector: a.cvss_vector.as_deref(),
                        cvss_score: a.cvss_score,
                        fixed: a.fixed.as_deref(),
                        links: &a.links,
                    }),
                    evidence: f
                        .evidence
                        .iter()
                        .map(|e| EvidenceDto { label: &e.label, value: &e.value })
                        .collect(),
                    note: report.expired_note(e),
                }
            })
            .collect();
        let doc = Doc {
            schema_version: 1,
            tool: Tool { name: "firebreak", version: &report.tool_version },
            failed: report.failed(),
            summary: Summary {
                packages: report.inventory.packages.len(),
                lockfiles: report.inventory.lockfiles.len(),
                findings: report.entries.len(),
                fail: report.count(firebreak_policy::Action::Fail),
                warn: report.count(firebreak_policy::Action::Warn),
                ignore: report.count(firebreak_policy::Action::Ignore),
            },
            database: report.database.as_ref().map(|d| Database {
                name: &d.name,
                records: d.records,
                updated: d.updated.as_deref(),
                age_days: d.age_days,
                stale: d.stale,
            }),
            policy: Policy {
                path: report.policy_path.as_deref(),
                fail_on: report.policy.fail_on.map_or("never", |s| s.as_str()),
                unused_ignores: report
                    .unused_ignores
                    .iter()
                    .filter(|i| !report.expired_ignores.contains(i))
                    .filter_map(|&i| ignore_dto(report, i))
                    .collect(),
                expired_ignores: report
                    .expired_ignores
                    .iter()
                    .filter_map(|&i| ignore_dto(report, i))
                    .collect(),
            },
            findings,
            input_errors: report
                .input_errors
                .iter()
                .map(|e| InputErrorDto { path: &e.path, message: &e.message })
                .collect(),
            registry: report.registry.as_ref().map(|r| RegistryDto {
                checked: r.checked,
                offline: r.offline,
                requests: r.requests,
                unchecked: r
                    .unchecked
                    .iter()
                    .map(|(package, reason)| UncheckedDto { package, reason })
                    .collect(),
                warnings: &r.warnings,
            }),
            content: report.content.as_ref().map(|c| ContentDto {
                analysed: c.analysed,
                cached: c.cached,
                budget: &c.budget,
                budget_exhausted: c.budget_exhausted,
                downloaded_bytes: c.downloaded_bytes,
                skipped: c.skipped.iter().map(|(package, reason)| UncheckedDto { package, reason }).collect(),
            }),
        };
        serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
        writeln!(out)
    }
}
