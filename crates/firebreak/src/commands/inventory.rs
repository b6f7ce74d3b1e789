//! `firebreak inventory`: the dependency graph as a table or versioned JSON.

use std::fmt::Write as _;

use firebreak_core::{Graph, Inventory, NodeRef, Package};
use serde::Serialize;

use crate::cli::{InventoryArgs, InventoryFormat};
use crate::exit::ExitStatus;
use crate::load::{Loaded, load};

pub(super) fn run(args: &InventoryArgs, progress: bool) -> miette::Result<ExitStatus> {
    let loaded = load(&args.input, progress);
    let status = super::report_inputs(&loaded);
    let text = match (&args.why, args.format) {
        (Some(name), InventoryFormat::Table) => why_text(&loaded.inventory, name),
        (Some(name), InventoryFormat::Json) => why_json(&loaded.inventory, name)?,
        (None, InventoryFormat::Table) => table(&loaded),
        (None, InventoryFormat::Json) => json(&loaded)?,
    };
    super::write_output(args.output.as_deref(), text.as_bytes())?;
    Ok(status)
}

/// `npm`, `dev`, `optional` … as one short column.
fn kind(p: &Package) -> String {
    let mut parts = vec![if p.direct { "direct" } else { "transitive" }];
    if p.flags.dev {
        parts.push("dev");
    }
    if p.flags.optional {
        parts.push("optional");
    }
    if p.flags.peer {
        parts.push("peer");
    }
    if p.flags.bundled {
        parts.push("bundled");
    }
    parts.join(",")
}

fn table(loaded: &Loaded) -> String {
    let inv = &loaded.inventory;
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    table.set_header(["ECOSYSTEM", "NAME", "VERSION", "TYPE", "PATHS", "LOCKFILE"]);
    let mut order: Vec<&Package> = inv.packages.iter().collect();
    order.sort_by(|a, b| {
        (a.ecosystem, &a.name, &a.version, a.lockfile).cmp(&(b.ecosystem, &b.name, &b.version, b.lockfile))
    });
    for p in order {
        table.add_row([
            p.ecosystem.as_str(),
            &p.name,
            &p.version,
            &kind(p),
            &p.paths.len().max(1).to_string(),
            &inv.lockfiles[p.lockfile.index()].path,
        ]);
    }
    let mut out = String::new();
    if !inv.packages.is_empty() {
        // The borderless preset pads the last column; trailing blanks only make diffs noisy.
        for line in table.to_string().lines() {
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
    let _ = writeln!(out, "{}", summary(loaded));
    out
}

/// `1,448 packages (npm 1,448) from 1 lockfile`.
fn summary(loaded: &Loaded) -> String {
    let inv = &loaded.inventory;
    let per_ecosystem: Vec<String> =
        inv.counts().iter().map(|(e, n)| format!("{e} {}", thousands(*n))).collect();
    let mut line = format!(
        "{} package{} ({}) from {} lockfile{}",
        thousands(inv.packages.len()),
        if inv.packages.len() == 1 { "" } else { "s" },
        if per_ecosystem.is_empty() { "none".to_owned() } else { per_ecosystem.join(", ") },
        inv.lockfiles.len(),
        if inv.lockfiles.len() == 1 { "" } else { "s" },
    );
    if !loaded.errors.is_empty() {
        let _ = write!(
            line,
            "; {} input{} failed",
            loaded.errors.len(),
            if loaded.errors.len() == 1 { "" } else { "s" }
        );
    }
    line
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn node_label(inv: &Inventory, node: NodeRef) -> String {
    match node {
        NodeRef::Root(r) => {
            let root = &inv.roots[r.index()];
            let lockfile = &inv.lockfiles[root.lockfile.index()].path;
            if root.path.is_empty() {
                format!("{} ({lockfile})", root.name)
            } else {
                format!("{} ({lockfile}, member `{}`)", root.name, root.path)
            }
        }
        NodeRef::Package(p) => {
            let p = inv.package(p);
            format!("{}@{}", p.name, p.version)
        }
    }
}

fn why_text(inv: &Inventory, name: &str) -> String {
    let graph = inv.graph();
    let parents = graph.parents();
    let mut out = String::new();
    let mut any = false;
    for (i, p) in inv.packages.iter().enumerate() {
        if p.name != name {
            continue;
        }
        any = true;
        let id = firebreak_core::PackageId(i as u32);
        let _ = writeln!(
            out,
            "{}@{} ({}, {}):",
            p.name,
            p.version,
            p.ecosystem,
            inv.lockfiles[p.lockfile.index()].path
        );
        match Graph::chain(&parents, id) {
            Some(chain) => {
                for (depth, node) in chain.iter().enumerate() {
                    let _ = writeln!(out, "{}{}", "  ".repeat(depth + 1), node_label(inv, *node));
                }
            }
            None => {
                let _ = writeln!(out, "  not reachable from any root (an orphan lockfile entry)");
            }
        }
    }
    if !any {
        let _ = writeln!(out, "no package named `{name}` in the inventory");
    }
    out
}

/// The frozen JSON document of `inventory --format json`. Internal types are not
/// serialised directly so that refactoring them cannot change the output.
#[derive(Serialize)]
struct InventoryJson<'a> {
    schema_version: u32,
    lockfiles: Vec<LockfileJson<'a>>,
    roots: Vec<RootJson<'a>>,
    packages: Vec<PackageJson<'a>>,
    edges: Vec<EdgeJson<'a>>,
    errors: Vec<ErrorJson>,
    warnings: &'a [String],
    summary: SummaryJson,
}

#[derive(Serialize)]
struct LockfileJson<'a> {
    path: &'a str,
    extractor: &'a str,
    format_version: Option<&'a str>,
}

#[derive(Serialize)]
struct RootJson<'a> {
    id: String,
    ecosystem: &'a str,
    name: &'a str,
    version: Option<&'a str>,
    path: &'a str,
    lockfile: u32,
}

#[derive(Serialize)]
struct PackageJson<'a> {
    id: String,
    ecosystem: &'a str,
    name: &'a str,
    version: &'a str,
    purl: Option<&'a str>,
    direct: bool,
    dev: bool,
    optional: bool,
    peer: bool,
    bundled: bool,
    alias: Option<&'a str>,
    hashes: Vec<String>,
    source: &'a firebreak_core::PackageSource,
    lockfile: u32,
    line: Option<u32>,
    column: Option<u32>,
    paths: &'a [String],
    members: Vec<String>,
    /// The node through which the shortest chain from a root reaches this package.
    via: Option<String>,
}

#[derive(Serialize)]
struct EdgeJson<'a> {
    from: String,
    to: String,
    kind: firebreak_core::DepKind,
    requested: Option<&'a str>,
}

#[derive(Serialize)]
struct ErrorJson {
    path: String,
    message: String,
}

#[derive(Serialize)]
struct SummaryJson {
    packages: usize,
    lockfiles: usize,
    per_ecosystem: std::collections::BTreeMap<&'static str, usize>,
    errors: usize,
}

fn node_id(node: NodeRef) -> String {
    match node {
        NodeRef::Root(r) => format!("root:{}", r.0),
        NodeRef::Package(p) => format!("package:{}", p.0),
    }
}

fn json(loaded: &Loaded) -> miette::Result<String> {
    let inv = &loaded.inventory;
    let parents = inv.graph().parents();
    let doc = InventoryJson {
        schema_version: 1,
        lockfiles: inv
            .lockfiles
            .iter()
            .map(|l| LockfileJson {
                path: &l.path,
                extractor: &l.extractor,
                format_version: l.format_version.as_deref(),
            })
            .collect(),
        roots: inv
            .roots
            .iter()
            .enumerate()
            .map(|(i, r)| RootJson {
                id: format!("root:{i}"),
                ecosystem: r.ecosystem.as_str(),
                name: &r.name,
                version: r.version.as_deref(),
                path: &r.path,
                lockfile: r.lockfile.0,
            })
            .collect(),
        packages: inv
            .packages
            .iter()
            .enumerate()
            .map(|(i, p)| PackageJson {
                id: format!("package:{i}"),
                ecosystem: p.ecosystem.as_str(),
                name: &p.name,
                version: &p.version,
                purl: p.purl.as_deref(),
                direct: p.direct,
                dev: p.flags.dev,
                optional: p.flags.optional,
                peer: p.flags.peer,
                bundled: p.flags.bundled,
                alias: p.alias.as_deref(),
                hashes: p.hashes.iter().map(ToString::to_string).collect(),
                source: &p.source,
                lockfile: p.lockfile.0,
                line: p.location.map(|l| l.line),
                column: p.location.map(|l| l.column),
                paths: &p.paths,
                members: p.members.iter().map(|m| format!("root:{}", m.0)).collect(),
                via: parents.get(i).copied().flatten().map(node_id),
            })
            .collect(),
        edges: inv
            .edges
            .iter()
            .map(|e| EdgeJson {
                from: node_id(e.from),
                to: node_id(NodeRef::Package(e.to)),
                kind: e.kind,
                requested: e.requested.as_deref(),
            })
            .collect(),
        errors: loaded
            .errors
            .iter()
            .map(|e| ErrorJson { path: e.path.to_string(), message: e.report.to_string() })
            .collect(),
        warnings: &loaded.warnings,
        summary: SummaryJson {
            packages: inv.packages.len(),
            lockfiles: inv.lockfiles.len(),
            per_ecosystem: inv.counts().into_iter().map(|(e, n)| (e.as_str(), n)).collect(),
            errors: loaded.errors.len(),
        },
    };
    let mut text =
        serde_json::to_string_pretty(&doc).map_err(|e| miette::miette!("cannot encode JSON: {e}"))?;
    text.push('\n');
    Ok(text)
}

#[derive(Serialize)]
struct WhyJson {
    schema_version: u32,
    name: String,
    matches: Vec<WhyMatch>,
}

#[derive(Serialize)]
struct WhyMatch {
    package: String,
    version: String,
    lockfile: String,
    chain: Option<Vec<String>>,
}

fn why_json(inv: &Inventory, name: &str) -> miette::Result<String> {
    let parents = inv.graph().parents();
    let matches = inv
        .packages
        .iter()
        .enumerate()
        .filter(|(_, p)| p.name == name)
        .map(|(i, p)| WhyMatch {
            package: p.name.clone(),
            version: p.version.clone(),
            lockfile: inv.lockfiles[p.lockfile.index()].path.clone(),
            chain: Graph::chain(&parents, firebreak_core::PackageId(i as u32))
                .map(|c| c.into_iter().map(|n| node_label(inv, n)).collect()),
        })
        .collect();
    let doc = WhyJson { schema_version: 1, name: name.to_owned(), matches };
    let mut text =
        serde_json::to_string_pretty(&doc).map_err(|e| miette::miette!("cannot encode JSON: {e}"))?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_separator() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1448), "1,448");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
