//! Renders a scan: one [`Reporter`] per output format, all reading the same [`Report`].
//!
//! The JSON and SARIF shapes are frozen DTOs defined here, never `Serialize` on internal
//! types, so internal refactors cannot change what pipelines parse. Reporters write to
//! the writer they are given and never print.
#![warn(missing_docs)]

mod human;
mod json;
mod markdown;
mod sarif;

use std::io;

use firebreak_core::{Finding, Graph, Inventory, NodeRef, Package, PackageId};
use firebreak_policy::{Action, Decision, Evaluation, Policy};

pub use human::Human;
pub use json::Json;
pub use markdown::Markdown;
pub use sarif::Sarif;

/// Where firebreak's documentation lives, for links in reports.
pub const DOCS_URL: &str = "https://github.com/firebreak-dev/firebreak/blob/main/docs";

/// The advisory database a scan used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseInfo {
    /// What it is (`embedded snapshot`, or the path of the store).
    pub name: String,
    /// How many advisory records it holds.
    pub records: usize,
    /// The newest record's modification date (`YYYY-MM-DD`), or the last update.
    pub updated: Option<String>,
    /// Days since then.
    pub age_days: Option<u32>,
    /// Whether that is older than the freshness limit.
    pub stale: bool,
}

/// What the registry signals covered in a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistryInfo {
    /// Package versions whose registry history was read.
    pub checked: usize,
    /// Package versions that could not be checked (`name@version`, why).
    pub unchecked: Vec<(String, String)>,
    /// Whether only the cache was used.
    pub offline: bool,
    /// HTTP requests sent (cache revalidations included).
    pub requests: u32,
    /// Facts that could not be read from registry documents (`name: what`).
    pub warnings: Vec<String>,
}

/// What content analysis covered in a run.
#[derive(Debug, Clone, Default)]
pub struct ContentInfo {
    /// Package versions whose archive was downloaded (or taken from the artifact cache),
    /// verified and analysed in this run.
    pub analysed: usize,
    /// Package versions whose verdict came from the verdict cache.
    pub cached: usize,
    /// Package versions not analysed, with the reason (`name@version`, why): over the
    /// budget, offline and not cached, no archive, download failures.
    pub skipped: Vec<(String, String)>,
    /// The run's budget as the policy states it (`500 archives`, `200 MB`).
    pub budget: String,
    /// Whether the budget stopped the run short.
    pub budget_exhausted: bool,
    /// Archive bytes downloaded in this run.
    pub downloaded_bytes: u64,
}

/// An input that could not be read; the rest of the scan went on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The file.
    pub path: String,
    /// Why, with the place in the file.
    pub message: String,
}

/// One finding with its verdict and the chain that pulled its package in.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// The finding.
    pub finding: &'a Finding,
    /// The policy's verdict.
    pub decision: Decision,
    /// Root first, the package last; empty when unknown (an orphan, or no package).
    pub chain: Vec<NodeRef>,
}

/// Everything a reporter renders.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    /// firebreak's version.
    pub tool_version: String,
    /// The scanned graph.
    pub inventory: &'a Inventory,
    /// Findings with decisions, most severe first.
    pub entries: Vec<Entry<'a>>,
    /// The policy applied.
    pub policy: &'a Policy,
    /// Where the policy came from (`None`: the defaults).
    pub policy_path: Option<String>,
    /// Ignores that matched nothing (indexes into the policy's ignores).
    pub unused_ignores: Vec<usize>,
    /// Ignores past their expiry (indexes).
    pub expired_ignores: Vec<usize>,
    /// The advisory database.
    pub database: Option<DatabaseInfo>,
    /// Inputs that failed.
    pub input_errors: Vec<InputError>,
    /// The registry signals' coverage (`None`: not run).
    pub registry: Option<RegistryInfo>,
    /// Content analysis' coverage (`None`: not run).
    pub content: Option<ContentInfo>,
}

impl<'a> Report<'a> {
    /// Joins findings with their decisions and chains, ordering failures and the most
    /// severe first so the top of every format is what needs attention.
    pub fn new(
        tool_version: &str,
        inventory: &'a Inventory,
        findings: &'a [Finding],
        evaluation: &Evaluation,
        policy: &'a Policy,
    ) -> Report<'a> {
        let parents = inventory.graph().parents();
        let mut entries: Vec<Entry<'a>> = findings
            .iter()
            .zip(&evaluation.decisions)
            .map(|(finding, decision)| Entry {
                finding,
                decision: *decision,
                chain: finding.package.and_then(|p| Graph::chain(&parents, p)).unwrap_or_default(),
            })
            .collect();
        // The key borrows the names: cloning them per comparison was most of the sort's
        // time on reports with thousands of findings.
        entries.sort_by(|a, b| {
            let key = |e: &Entry<'_>| {
                let p = e.finding.package.map(|id| inventory.package(id));
                (
                    std::cmp::Reverse(e.decision.action),
                    std::cmp::Reverse(e.finding.severity),
                    p.map(|p| (p.ecosystem, p.name.as_str(), p.version.as_str())),
                    e.finding.signal.id,
                )
            };
            key(a).cmp(&key(b))
        });
        Report {
            tool_version: tool_version.to_owned(),
            inventory,
            entries,
            policy,
            policy_path: None,
            unused_ignores: evaluation.unused_ignores.clone(),
            expired_ignores: evaluation.expired_ignores.clone(),
            database: None,
            input_errors: Vec::new(),
            registry: None,
            content: None,
        }
    }

    /// The package a finding is about.
    pub fn package(&self, entry: &Entry<'_>) -> Option<&'a Package> {
        entry.finding.package.and_then(|id| self.inventory.packages.get(id.index()))
    }

    /// How many findings got `action`.
    pub fn count(&self, action: Action) -> usize {
        self.entries.iter().filter(|e| e.decision.action == action).count()
    }

    /// Whether the policy fails the run.
    pub fn failed(&self) -> bool {
        self.count(Action::Fail) > 0
    }

    /// A node as people read it: `name@version`, or the root's name.
    pub fn label(&self, node: NodeRef) -> String {
        match node {
            NodeRef::Root(r) => self.inventory.roots.get(r.index()).map_or_else(
                || "(root)".to_owned(),
                |root| if root.name.is_empty() { root.path.clone() } else { root.name.clone() },
            ),
            NodeRef::Package(p) => self.package_label(p),
        }
    }

    fn package_label(&self, id: PackageId) -> String {
        self.inventory
            .packages
            .get(id.index())
            .map_or_else(String::new, |p| format!("{}@{}", p.name, p.version))
    }

    /// The direct dependency through which the chain reaches the package (the one to
    /// change), when the package is not itself direct.
    pub fn via(&self, entry: &Entry<'_>) -> Option<String> {
        match entry.chain.as_slice() {
            [NodeRef::Root(_), NodeRef::Package(first), _, ..] => Some(self.package_label(*first)),
            _ => None,
        }
    }

    /// Why the decision was made, in words.
    pub fn reason_text(&self, entry: &Entry<'_>) -> String {
        use firebreak_policy::{DevMode, Reason};
        match entry.decision.reason {
            Reason::Malicious => "known-malicious packages always fail".to_owned(),
            Reason::Threshold { severity, fail_on: Some(t) } if severity >= t => {
                format!("severity {severity} is at or above fail_on = \"{t}\"")
            }
            Reason::Threshold { severity, fail_on: Some(t) } => {
                format!("severity {severity} is below fail_on = \"{t}\"")
            }
            Reason::Threshold { fail_on: None, .. } => "fail_on = \"never\"".to_owned(),
            Reason::Dev(DevMode::Warn) => "development-only package and dev = \"warn\"".to_owned(),
            Reason::Dev(_) => "development-only package and dev = \"ignore\"".to_owned(),
            Reason::Hygiene => format!("hygiene check set to \"{}\"", entry.decision.action.as_str()),
            Reason::Ignored(i) => self.policy.ignores.get(i).map_or_else(String::new, |ig| {
                format!("ignored by {}:{}: {}", self.policy_file(), ig.line, ig.reason)
            }),
            Reason::EcosystemDisabled => "ecosystem switched off in the policy".to_owned(),
            Reason::SignalSetting => {
                format!("[signals] sets {} = \"{}\"", entry.finding.signal.id, entry.decision.action.as_str())
            }
            Reason::Cooldown => "younger than the policy's minimum release age".to_owned(),
            Reason::InstallScriptsAllowed => "listed in [registry.install_scripts] allow".to_owned(),
            Reason::ContentVerdict(block) => {
                format!("content verdict and [content] block = \"{}\"", block.as_str())
            }
            Reason::MissingTime(m) => format!(
                "no publish time and missing_time = \"{}\"",
                if m == firebreak_policy::MissingTime::Block { "block" } else { "warn" }
            ),
        }
    }

    /// A note when an expired ignore would have covered the finding.
    pub fn expired_note(&self, entry: &Entry<'_>) -> Option<String> {
        let ig = self.policy.ignores.get(entry.decision.expired_ignore?)?;
        Some(format!(
            "the ignore at {}:{} expired on {} and no longer applies ({})",
            self.policy_file(),
            ig.line,
            ig.expires.map(|d| d.to_string()).unwrap_or_default(),
            ig.reason
        ))
    }

    fn policy_file(&self) -> &str {
        self.policy_path.as_deref().unwrap_or(firebreak_policy::FILE_NAME)
    }
}

/// Renders a report in one format.
pub trait Reporter {
    /// Writes `report` to `out`.
    fn render(&self, report: &Report<'_>, out: &mut dyn io::Write) -> io::Result<()>;
}

/// The reporter for a `--format` name.
pub fn reporter(format: &str) -> Option<Box<dyn Reporter>> {
    match format {
        "human" | "text" => Some(Box::new(Human::default())),
        "json" => Some(Box::new(Json)),
        "sarif" => Some(Box::new(Sarif)),
        "markdown" | "md" => Some(Box::new(Markdown)),
        _ => None,
    }
}
