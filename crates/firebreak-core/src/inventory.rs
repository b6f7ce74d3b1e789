//! The dependency graph that every extractor produces and every later stage reads.

use std::collections::{HashMap, VecDeque};

use serde::Serialize;

use crate::{Ecosystem, Hash, purl_for};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub u32);

        impl $name {
            /// The index into the owning vector.
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// Index of a [`Package`] in [`Inventory::packages`].
    PackageId
);
id_type!(
    /// Index of a [`Root`] in [`Inventory::roots`].
    RootId
);
id_type!(
    /// Index of a [`LockfileRef`] in [`Inventory::lockfiles`].
    SourceId
);

/// A lockfile (or SBOM) that contributed to the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockfileRef {
    /// The path as the user named it (or as discovery found it).
    pub path: String,
    /// The extractor that read it (`npm/package-lock`).
    pub extractor: String,
    /// The format version the file declared (`3` for lockfileVersion 3), if any.
    pub format_version: Option<String>,
}

/// A 1-based line and column in a lockfile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// 1-based line.
    pub line: u32,
    /// 1-based column (in characters; 1 when unknown).
    pub column: u32,
}

impl Location {
    /// The location of byte `offset` in `text`.
    pub fn from_offset(text: &[u8], offset: usize) -> Location {
        let offset = offset.min(text.len());
        let before = &text[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
        Location { line: line as u32, column: column as u32 }
    }
}

/// Where a package's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum PackageSource {
    /// A package registry; `url` is the resolved download URL or index URL when the lockfile records one.
    Registry {
        /// Resolved URL, if recorded.
        url: Option<String>,
    },
    /// A git repository at a revision.
    Git {
        /// Repository URL.
        url: String,
        /// Commit, tag or branch, if recorded.
        rev: Option<String>,
    },
    /// A local directory or archive.
    Path {
        /// The path as written in the lockfile.
        path: String,
    },
    /// A remote archive URL outside any registry protocol.
    Url {
        /// The URL.
        url: String,
    },
    /// Not recorded.
    #[default]
    Unknown,
}

impl PackageSource {
    /// The URL or path, if any.
    pub fn location(&self) -> Option<&str> {
        match self {
            PackageSource::Registry { url } => url.as_deref(),
            PackageSource::Git { url, .. } | PackageSource::Url { url } => Some(url),
            PackageSource::Path { path } => Some(path),
            PackageSource::Unknown => None,
        }
    }
}

/// How a package is used, as the lockfile records or the graph implies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct PackageFlags {
    /// Only needed for development (reachable from roots only through dev edges).
    pub dev: bool,
    /// Optional: installation may skip it.
    pub optional: bool,
    /// Present because of a peer dependency.
    pub peer: bool,
    /// Shipped inside its parent's tarball (npm `bundleDependencies`).
    pub bundled: bool,
}

/// One package version in one lockfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Package {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// The name as the registry knows it (for npm aliases, the real package, not the alias).
    pub name: String,
    /// The exact version, as written in the lockfile.
    pub version: String,
    /// The purl, when the name and version can be expressed as one.
    pub purl: Option<String>,
    /// Integrity digests recorded for it.
    pub hashes: Vec<Hash>,
    /// Where it resolves from.
    pub source: PackageSource,
    /// Usage flags.
    pub flags: PackageFlags,
    /// Whether a root (manifest or workspace member) depends on it directly.
    pub direct: bool,
    /// The lockfile it came from.
    pub lockfile: SourceId,
    /// The workspace members whose dependency closure contains it.
    pub members: Vec<RootId>,
    /// Where the package's entry starts in the lockfile.
    pub location: Option<Location>,
    /// Every install path or lockfile key at which it appears (npm `node_modules/...` paths,
    /// pnpm keys); empty when the format has one entry per package.
    pub paths: Vec<String>,
    /// The name it is installed under when that differs from `name` (npm `npm:` aliases).
    pub alias: Option<String>,
}

/// A root manifest: the project itself or a workspace member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Root {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// The member's package name (or the directory name when it has none).
    pub name: String,
    /// Its version, if declared.
    pub version: Option<String>,
    /// Directory relative to the lockfile's directory (`""` for the top).
    pub path: String,
    /// The lockfile that lists it.
    pub lockfile: SourceId,
}

/// A node of the graph: a root or a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "lowercase")]
pub enum NodeRef {
    /// A root manifest.
    Root(RootId),
    /// A package.
    Package(PackageId),
}

/// The kind of a dependency edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DepKind {
    /// A normal (production) dependency.
    #[default]
    Normal,
    /// A development dependency.
    Dev,
    /// An optional dependency.
    Optional,
    /// A peer dependency.
    Peer,
    /// A build-time dependency (Cargo `build-dependencies`).
    Build,
}

/// "`from` depends on `to`", with the range it asked for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Edge {
    /// The dependent.
    pub from: NodeRef,
    /// The dependency.
    pub to: PackageId,
    /// The kind of dependency.
    pub kind: DepKind,
    /// The requested range or specifier, as written.
    pub requested: Option<String>,
}

/// The dependency graph of one or many lockfiles.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Inventory {
    /// The lockfiles read.
    pub lockfiles: Vec<LockfileRef>,
    /// Root manifests and workspace members.
    pub roots: Vec<Root>,
    /// Package nodes.
    pub packages: Vec<Package>,
    /// Dependency edges.
    pub edges: Vec<Edge>,
}

impl Inventory {
    /// Appends another inventory, renumbering its ids.
    pub fn extend(&mut self, other: Inventory) {
        let source_offset = self.lockfiles.len() as u32;
        let root_offset = self.roots.len() as u32;
        let package_offset = self.packages.len() as u32;
        self.lockfiles.extend(other.lockfiles);
        self.roots.extend(other.roots.into_iter().map(|mut r| {
            r.lockfile.0 += source_offset;
            r
        }));
        self.packages.extend(other.packages.into_iter().map(|mut p| {
            p.lockfile.0 += source_offset;
            for m in &mut p.members {
                m.0 += root_offset;
            }
            p
        }));
        self.edges.extend(other.edges.into_iter().map(|mut e| {
            e.from = match e.from {
                NodeRef::Root(r) => NodeRef::Root(RootId(r.0 + root_offset)),
                NodeRef::Package(p) => NodeRef::Package(PackageId(p.0 + package_offset)),
            };
            e.to.0 += package_offset;
            e
        }));
    }

    /// Looks a package up by id.
    pub fn package(&self, id: PackageId) -> &Package {
        &self.packages[id.index()]
    }

    /// Outgoing edges per node, built once for repeated graph queries.
    pub fn graph(&self) -> Graph<'_> {
        // Compressed adjacency (one offsets array and one edge-index array) rather than a
        // vector per node: 100,000 packages would otherwise mean 100,000 small allocations.
        let roots = self.roots.len();
        let node = |e: &Edge| match e.from {
            NodeRef::Root(r) => r.index(),
            NodeRef::Package(p) => roots + p.index(),
        };
        let mut offsets = vec![0u32; roots + self.packages.len() + 1];
        for e in &self.edges {
            if let Some(o) = offsets.get_mut(node(e) + 1) {
                *o += 1;
            }
        }
        for i in 1..offsets.len() {
            offsets[i] += offsets[i - 1];
        }
        let mut next = offsets.clone();
        let mut edges = vec![0u32; self.edges.len()];
        for (i, e) in self.edges.iter().enumerate() {
            if let Some(slot) = next.get_mut(node(e)) {
                edges[*slot as usize] = i as u32;
                *slot += 1;
            }
        }
        Graph { inventory: self, roots, offsets, edges }
    }

    /// Counts packages per ecosystem, in [`Ecosystem::ALL`] order, leaving out zeros.
    pub fn counts(&self) -> Vec<(Ecosystem, usize)> {
        Ecosystem::ALL
            .iter()
            .map(|&e| (e, self.packages.iter().filter(|p| p.ecosystem == e).count()))
            .filter(|&(_, n)| n > 0)
            .collect()
    }
}

/// Adjacency over an [`Inventory`], for "why is this here" queries.
#[derive(Debug)]
pub struct Graph<'a> {
    inventory: &'a Inventory,
    roots: usize,
    /// Edges of node `n` (roots first, then packages) are `edges[offsets[n]..offsets[n + 1]]`.
    offsets: Vec<u32>,
    edges: Vec<u32>,
}

impl Graph<'_> {
    /// Edges leaving `node`.
    pub fn dependencies(&self, node: NodeRef) -> impl Iterator<Item = &Edge> {
        let n = match node {
            NodeRef::Root(r) => r.index(),
            NodeRef::Package(p) => self.roots + p.index(),
        };
        let (start, end) = (self.offsets[n] as usize, self.offsets[n + 1] as usize);
        self.edges[start..end].iter().map(|&i| &self.inventory.edges[i as usize])
    }

    /// The shortest chain from a root manifest to `target`, root first, target last;
    /// `None` when no root reaches it (an orphan entry in the lockfile).
    pub fn why(&self, target: PackageId) -> Option<Vec<NodeRef>> {
        Self::chain(&self.parents(), target)
    }

    /// One breadth-first pass from every root at once: for each package, the node
    /// through which the shortest chain from a root reaches it. Answering "why" for
    /// every package this way costs one traversal, not one per package.
    pub fn parents(&self) -> Vec<Option<NodeRef>> {
        let mut parent: Vec<Option<NodeRef>> = vec![None; self.inventory.packages.len()];
        let mut queue = VecDeque::new();
        for r in 0..self.roots {
            let root = NodeRef::Root(RootId(r as u32));
            for e in self.dependencies(root) {
                if parent[e.to.index()].is_none() {
                    parent[e.to.index()] = Some(root);
                    queue.push_back(e.to);
                }
            }
        }
        while let Some(p) = queue.pop_front() {
            for e in self.dependencies(NodeRef::Package(p)) {
                if parent[e.to.index()].is_none() {
                    parent[e.to.index()] = Some(NodeRef::Package(p));
                    queue.push_back(e.to);
                }
            }
        }
        parent
    }

    /// The chain to `target` from a [`parents`](Self::parents) table, root first.
    pub fn chain(parents: &[Option<NodeRef>], target: PackageId) -> Option<Vec<NodeRef>> {
        let mut chain = vec![NodeRef::Package(target)];
        let mut cursor = target;
        // A chain is at most as long as the package count; the bound guards a cycle
        // that a corrupted table could contain.
        for _ in 0..=parents.len() {
            match parents.get(cursor.index()).copied().flatten() {
                Some(NodeRef::Package(up)) => {
                    chain.push(NodeRef::Package(up));
                    cursor = up;
                }
                Some(root @ NodeRef::Root(_)) => {
                    chain.push(root);
                    chain.reverse();
                    return Some(chain);
                }
                None => return None,
            }
        }
        None
    }

    /// Packages reachable from `start` (not including it).
    fn reachable(&self, start: NodeRef, follow: impl Fn(&Edge) -> bool) -> Vec<bool> {
        let mut seen = vec![false; self.inventory.packages.len()];
        let mut stack: Vec<PackageId> =
            self.dependencies(start).filter(|e| follow(e)).map(|e| e.to).collect();
        while let Some(p) = stack.pop() {
            if std::mem::replace(&mut seen[p.index()], true) {
                continue;
            }
            stack.extend(self.dependencies(NodeRef::Package(p)).filter(|e| follow(e)).map(|e| e.to));
        }
        seen
    }
}

/// Builds one lockfile's [`Inventory`], deduplicating packages and deriving the
/// graph-wide facts (direct, members, and optionally dev/optional) in [`finish`](Self::finish).
#[derive(Debug)]
pub struct InventoryBuilder {
    inventory: Inventory,
    index: HashMap<(Ecosystem, String, String), PackageId>,
    infer_dev: bool,
    infer_optional: bool,
}

impl InventoryBuilder {
    /// Starts the inventory of one lockfile.
    pub fn new(path: &str, extractor: &str) -> Self {
        InventoryBuilder {
            inventory: Inventory {
                lockfiles: vec![LockfileRef {
                    path: path.to_owned(),
                    extractor: extractor.to_owned(),
                    format_version: None,
                }],
                ..Inventory::default()
            },
            index: HashMap::new(),
            infer_dev: false,
            infer_optional: false,
        }
    }

    /// Records the format version the file declared.
    pub fn format_version(&mut self, version: impl Into<String>) -> &mut Self {
        self.inventory.lockfiles[0].format_version = Some(version.into());
        self
    }

    /// Marks packages dev when no root reaches them through a non-dev edge, for formats
    /// that record dev-ness only on the root's edges (yarn, pnpm, Cargo, poetry).
    pub fn infer_dev(&mut self) -> &mut Self {
        self.infer_dev = true;
        self
    }

    /// Marks packages optional when every path to them passes an optional edge.
    pub fn infer_optional(&mut self) -> &mut Self {
        self.infer_optional = true;
        self
    }

    /// Adds a root manifest or workspace member.
    pub fn root(&mut self, ecosystem: Ecosystem, name: &str, version: Option<&str>, path: &str) -> RootId {
        let id = RootId(self.inventory.roots.len() as u32);
        self.inventory.roots.push(Root {
            ecosystem,
            name: name.to_owned(),
            version: version.map(str::to_owned),
            path: path.to_owned(),
            lockfile: SourceId(0),
        });
        id
    }

    /// The package `name@version`, created on first use.
    pub fn package(&mut self, ecosystem: Ecosystem, name: &str, version: &str) -> PackageId {
        let key = (ecosystem, name.to_owned(), version.to_owned());
        if let Some(&id) = self.index.get(&key) {
            return id;
        }
        let id = self.push(ecosystem, name, version);
        self.index.insert(key, id);
        id
    }

    /// Looks up a package already added.
    pub fn find(&self, ecosystem: Ecosystem, name: &str, version: &str) -> Option<PackageId> {
        self.index.get(&(ecosystem, name.to_owned(), version.to_owned())).copied()
    }

    /// Adds a package node that is never merged with another (two sources of one
    /// name@version, such as a registry and a git copy in one Cargo.lock).
    pub fn distinct_package(&mut self, ecosystem: Ecosystem, name: &str, version: &str) -> PackageId {
        self.push(ecosystem, name, version)
    }

    fn push(&mut self, ecosystem: Ecosystem, name: &str, version: &str) -> PackageId {
        let id = PackageId(self.inventory.packages.len() as u32);
        self.inventory.packages.push(Package {
            ecosystem,
            name: name.to_owned(),
            version: version.to_owned(),
            purl: purl_for(ecosystem, name, version).ok().map(|p| p.as_str().to_owned()),
            hashes: Vec::new(),
            source: PackageSource::Unknown,
            flags: PackageFlags::default(),
            direct: false,
            lockfile: SourceId(0),
            members: Vec::new(),
            location: None,
            paths: Vec::new(),
            alias: None,
        });
        id
    }

    /// Mutable access to a package added earlier.
    pub fn get_mut(&mut self, id: PackageId) -> &mut Package {
        &mut self.inventory.packages[id.index()]
    }

    /// Read access to a package added earlier.
    pub fn get(&self, id: PackageId) -> &Package {
        &self.inventory.packages[id.index()]
    }

    /// Adds a dependency edge (duplicates are removed in [`finish`](Self::finish)).
    pub fn edge(&mut self, from: NodeRef, to: PackageId, kind: DepKind, requested: Option<&str>) {
        self.inventory.edges.push(Edge { from, to, kind, requested: requested.map(str::to_owned) });
    }

    /// Reserves room for `packages` more packages and `edges` more edges, for extractors
    /// that know their counts up front (one reallocation instead of a dozen).
    pub fn reserve(&mut self, packages: usize, edges: usize) -> &mut Self {
        self.inventory.packages.reserve(packages);
        self.inventory.edges.reserve(edges);
        self
    }

    /// Number of packages so far.
    pub fn len(&self) -> usize {
        self.inventory.packages.len()
    }

    /// Whether no package was added.
    pub fn is_empty(&self) -> bool {
        self.inventory.packages.is_empty()
    }

    /// Derives `direct`, `members` and the inferred flags, and returns the inventory.
    pub fn finish(mut self) -> Inventory {
        let inv = &mut self.inventory;
        let keep = first_occurrences(inv);
        let mut keep = keep.into_iter();
        inv.edges.retain(|_| keep.next().unwrap_or(true));
        for e in &inv.edges {
            if let NodeRef::Root(_) = e.from {
                inv.packages[e.to.index()].direct = true;
            }
        }
        let (members, prod, required) = {
            let graph = inv.graph();
            let members: Vec<Vec<bool>> = (0..inv.roots.len())
                .map(|r| graph.reachable(NodeRef::Root(RootId(r as u32)), |_| true))
                .collect();
            let not_dev = |e: &Edge| e.kind != DepKind::Dev;
            let not_optional = |e: &Edge| e.kind != DepKind::Optional && e.kind != DepKind::Peer;
            let any_reach = |follow: &dyn Fn(&Edge) -> bool| {
                let mut all = vec![false; inv.packages.len()];
                for r in 0..inv.roots.len() {
                    for (i, hit) in
                        graph.reachable(NodeRef::Root(RootId(r as u32)), follow).into_iter().enumerate()
                    {
                        all[i] |= hit;
                    }
                }
                all
            };
            let prod = self.infer_dev.then(|| any_reach(&not_dev));
            let required = self.infer_optional.then(|| any_reach(&not_optional));
            (members, prod, required)
        };
        // Each list sized exactly: growing it push by push reserves room for four roots in
        // every package of a single-root project.
        let mut counts = vec![0usize; inv.packages.len()];
        for reach in &members {
            for (count, &hit) in counts.iter_mut().zip(reach) {
                *count += usize::from(hit);
            }
        }
        for (p, &count) in inv.packages.iter_mut().zip(&counts) {
            p.members.reserve_exact(count);
        }
        for (r, reach) in members.iter().enumerate() {
            for (i, &hit) in reach.iter().enumerate() {
                if hit {
                    inv.packages[i].members.push(RootId(r as u32));
                }
            }
        }
        let reached: Vec<bool> = inv.packages.iter().map(|p| !p.members.is_empty()).collect();
        if let Some(prod) = prod {
            for (i, p) in inv.packages.iter_mut().enumerate() {
                if reached[i] && !prod[i] {
                    p.flags.dev = true;
                }
            }
        }
        if let Some(required) = required {
            for (i, p) in inv.packages.iter_mut().enumerate() {
                if reached[i] && !required[i] {
                    p.flags.optional = true;
                }
            }
        }
        self.inventory
    }
}

/// For each edge, whether it is the first with its `(from, to, kind, requested)`; later
/// copies are dropped. Edges are compared within their node's adjacency list, so nothing
/// is hashed and the requested ranges are read only when two edges of one node point at
/// the same package.
fn first_occurrences(inv: &Inventory) -> Vec<bool> {
    let graph = inv.graph();
    let mut keep = vec![true; inv.edges.len()];
    let same = |a: &Edge, b: &Edge| a.to == b.to && a.kind == b.kind && a.requested == b.requested;
    // Above this many edges on one node (a hostile file's root listing 100,000
    // dependencies) pairwise comparison would be quadratic, so a set takes over.
    const PAIRWISE: usize = 32;
    let mut seen = std::collections::HashSet::new();
    for bounds in graph.offsets.windows(2) {
        // The adjacency lists keep the edges' order, so "earlier in the list" is "first".
        let list = &graph.edges[bounds[0] as usize..bounds[1] as usize];
        if list.len() <= PAIRWISE {
            for (k, &i) in list.iter().enumerate() {
                let e = &inv.edges[i as usize];
                keep[i as usize] =
                    !list[..k].iter().any(|&j| keep[j as usize] && same(&inv.edges[j as usize], e));
            }
        } else {
            seen.clear();
            for &i in list {
                let e = &inv.edges[i as usize];
                keep[i as usize] = seen.insert((e.to, e.kind, e.requested.as_deref()));
            }
        }
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Inventory {
        let mut b = InventoryBuilder::new("package-lock.json", "npm/package-lock");
        b.infer_dev();
        let root = b.root(Ecosystem::Npm, "app", Some("1.0.0"), "");
        let axios = b.package(Ecosystem::Npm, "axios", "1.14.1");
        let evil = b.package(Ecosystem::Npm, "plain-crypto-js", "4.2.1");
        let jest = b.package(Ecosystem::Npm, "jest", "29.0.0");
        let shared = b.package(Ecosystem::Npm, "follow-redirects", "1.15.6");
        let orphan = b.package(Ecosystem::Npm, "orphan", "1.0.0");
        assert_eq!(b.package(Ecosystem::Npm, "axios", "1.14.1"), axios);
        b.edge(NodeRef::Root(root), axios, DepKind::Normal, Some("^1.14.0"));
        b.edge(NodeRef::Root(root), jest, DepKind::Dev, Some("^29"));
        b.edge(NodeRef::Package(axios), evil, DepKind::Normal, Some("^4.2.1"));
        b.edge(NodeRef::Package(jest), shared, DepKind::Normal, None);
        b.edge(NodeRef::Package(axios), shared, DepKind::Normal, None);
        b.edge(NodeRef::Package(axios), shared, DepKind::Normal, None);
        let _ = orphan;
        b.finish()
    }

    #[test]
    fn why_is_shortest_chain() {
        let inv = sample();
        let g = inv.graph();
        assert_eq!(
            g.why(PackageId(1)),
            Some(vec![
                NodeRef::Root(RootId(0)),
                NodeRef::Package(PackageId(0)),
                NodeRef::Package(PackageId(1))
            ])
        );
        assert_eq!(g.why(PackageId(4)), None);
    }

    #[test]
    fn derived_flags() {
        let inv = sample();
        assert!(inv.packages[0].direct && !inv.packages[0].flags.dev);
        assert!(inv.packages[2].direct && inv.packages[2].flags.dev);
        assert!(!inv.packages[3].flags.dev, "reachable through prod axios");
        assert!(!inv.packages[4].flags.dev, "unreached packages are not guessed dev");
        assert_eq!(inv.edges.len(), 5, "duplicate edge removed");
        assert_eq!(inv.packages[1].members, vec![RootId(0)]);
        assert_eq!(inv.packages[0].purl.as_deref(), Some("pkg:npm/axios@1.14.1"));
    }

    #[test]
    fn extend_renumbers() {
        let mut a = sample();
        a.extend(sample());
        assert_eq!(a.packages.len(), 10);
        assert_eq!(a.packages[6].lockfile, SourceId(1));
        assert_eq!(a.edges[5].from, NodeRef::Root(RootId(1)));
        assert_eq!(a.edges[5].to, PackageId(5));
        assert!(a.graph().why(PackageId(6)).is_some());
    }

    #[test]
    fn location_from_offset() {
        let text = "a\nbc\néx";
        assert_eq!(Location::from_offset(text.as_bytes(), 0), Location { line: 1, column: 1 });
        assert_eq!(Location::from_offset(text.as_bytes(), 3), Location { line: 2, column: 2 });
        assert_eq!(Location::from_offset(text.as_bytes(), text.len()), Location { line: 3, column: 3 });
    }
}
