//! The order and identifiers both writers share: everything is sorted on the packages'
//! own data, never on hash-map order, so one inventory always gives one document.

use std::collections::{BTreeSet, HashSet};

use firebreak_core::{DepKind, Ecosystem, Graph, Inventory, NodeRef, Package, PackageId, Root, RootId};

/// The inventory's nodes in output order, each with a unique identifier.
pub(crate) struct Plan<'a> {
    pub(crate) inventory: &'a Inventory,
    /// Roots in output order.
    pub(crate) roots: Vec<RootId>,
    /// Packages in output order.
    pub(crate) packages: Vec<PackageId>,
    /// Identifier of each root, indexed by [`RootId`].
    pub(crate) root_refs: Vec<String>,
    /// Identifier of each package, indexed by [`PackageId`].
    pub(crate) package_refs: Vec<String>,
    /// Outgoing edges per node, so listing a node's dependencies costs its degree.
    graph: Graph<'a>,
}

impl<'a> Plan<'a> {
    /// Sorts the nodes and names them with `root_ref` / `package_ref`, adding `-2`, `-3`…
    /// (through `dedupe`) to later nodes whose name is taken.
    pub(crate) fn new(
        inventory: &'a Inventory,
        root_ref: impl Fn(&Root) -> String,
        package_ref: impl Fn(&Package) -> String,
        dedupe: impl Fn(&str, usize) -> String,
    ) -> Self {
        let lockfile = |i: usize| inventory.lockfiles.get(i).map_or("", |l| l.path.as_str());
        let mut roots: Vec<RootId> = (0..inventory.roots.len()).map(|i| RootId(i as u32)).collect();
        roots.sort_by_key(|&id| {
            let r = &inventory.roots[id.index()];
            (r.ecosystem, &r.name, &r.version, lockfile(r.lockfile.index()), &r.path, id)
        });
        let mut packages: Vec<PackageId> =
            (0..inventory.packages.len()).map(|i| PackageId(i as u32)).collect();
        packages.sort_by_key(|&id| {
            let p = &inventory.packages[id.index()];
            (p.ecosystem, &p.name, &p.version, &p.purl, p.source.location(), lockfile(p.lockfile.index()), id)
        });
        let mut used = HashSet::new();
        let mut unique = |base: String| {
            let mut candidate = base.clone();
            let mut n = 1;
            while !used.insert(candidate.clone()) {
                n += 1;
                candidate = dedupe(&base, n);
            }
            candidate
        };
        let mut root_refs = vec![String::new(); inventory.roots.len()];
        for &id in &roots {
            root_refs[id.index()] = unique(root_ref(&inventory.roots[id.index()]));
        }
        let mut package_refs = vec![String::new(); inventory.packages.len()];
        for &id in &packages {
            package_refs[id.index()] = unique(package_ref(&inventory.packages[id.index()]));
        }
        Plan { inventory, roots, packages, root_refs, package_refs, graph: inventory.graph() }
    }

    pub(crate) fn node_ref(&self, node: NodeRef) -> &str {
        match node {
            NodeRef::Root(r) => &self.root_refs[r.index()],
            NodeRef::Package(p) => &self.package_refs[p.index()],
        }
    }

    /// The dependencies of `node`, sorted by identifier then kind, without duplicates.
    pub(crate) fn dependencies(&self, node: NodeRef) -> Vec<(&str, DepKind)> {
        let set: BTreeSet<(&str, DepKind)> = self
            .graph
            .dependencies(node)
            .map(|e| (self.package_refs[e.to.index()].as_str(), e.kind))
            .collect();
        set.into_iter().collect()
    }

    /// Every edge as (from, to, kind), sorted, without duplicates.
    pub(crate) fn edges(&self) -> Vec<(&str, &str, DepKind)> {
        let set: BTreeSet<(&str, &str, DepKind)> = self
            .inventory
            .edges
            .iter()
            .map(|e| (self.node_ref(e.from), self.package_refs[e.to.index()].as_str(), e.kind))
            .collect();
        set.into_iter().collect()
    }
}

/// A package's name split into a CycloneDX `group` and `name`: npm scopes are groups
/// (as cyclonedx-npm writes them); Go module paths stay whole, as in Go's own tooling.
pub(crate) fn group_and_name(ecosystem: Ecosystem, name: &str) -> (Option<&str>, &str) {
    match ecosystem {
        Ecosystem::Npm => match name.split_once('/') {
            Some((scope, rest)) if scope.starts_with('@') && !rest.is_empty() => (Some(scope), rest),
            _ => (None, name),
        },
        _ => (None, name),
    }
}

/// Whether `value` is a hex digest of a length the standards accept.
pub(crate) fn is_hex_digest(value: &str) -> bool {
    matches!(value.len(), 32 | 40 | 64 | 96 | 128) && value.bytes().all(|b| b.is_ascii_hexdigit())
}
