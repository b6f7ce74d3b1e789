//! CycloneDX 1.4–1.6 JSON reader.

use std::collections::HashMap;

use camino::Utf8Path;
use firebreak_core::{DepKind, Hash, HashAlgorithm, InventoryBuilder, NodeRef, PackageId, PackageSource};
use serde_json::{Map, Value};

use crate::reader::{Doc, join, majority, parse_purl};
use crate::{Kind, SbomError, SbomInventory};

/// A component seen while walking the document, before it becomes a node.
struct Seen<'v> {
    pointer: String,
    object: &'v Map<String, Value>,
    properties: HashMap<&'v str, &'v str>,
}

pub(crate) fn read(value: &Value, path: &Utf8Path) -> Result<SbomInventory, SbomError> {
    let doc = Doc { path };
    let top = doc.object(value, "")?;
    match doc.str(top, "bomFormat", "")? {
        Some("CycloneDX") => {}
        _ => {
            return Err(doc.error(
                "bomFormat".to_owned(),
                "`CycloneDX`",
                top.get("bomFormat").unwrap_or(&Value::Null),
            ));
        }
    }
    let spec = doc.str(top, "specVersion", "")?.unwrap_or("");
    if !matches!(spec, "1.4" | "1.5" | "1.6") {
        return Err(SbomError::UnsupportedVersion {
            path: path.to_owned(),
            format: "CycloneDX",
            version: spec.to_owned(),
            expected: "1.4, 1.5 or 1.6",
        });
    }
    let mut warnings = Vec::new();
    let mut skipped = 0;
    let metadata_component = match top.get("metadata") {
        Some(m) => {
            let metadata = doc.object(m, "metadata")?;
            match metadata.get("component") {
                Some(c) => Some(seen(&doc, c, "metadata.component".to_owned())?),
                None => None,
            }
        }
        None => None,
    };
    let mut components = Vec::new();
    collect(&doc, top, "", &mut components)?;

    let mut b = InventoryBuilder::new(path.as_str(), Kind::CycloneDx.id());
    b.format_version(spec);
    let mut refs: HashMap<&str, NodeRef> = HashMap::new();
    let mut pending_roots = Vec::new();
    let mut written_direct = Vec::new();
    if let Some(c) = metadata_component.filter(|c| c.properties.get("firebreak:project") != Some(&"true")) {
        pending_roots.push(c);
    }
    for c in components {
        if c.properties.get("firebreak:root") == Some(&"true") {
            pending_roots.push(c);
            continue;
        }
        match package(&doc, &mut b, &c)? {
            Ok((id, reference)) => {
                if c.properties.keys().any(|k| k.starts_with("firebreak:")) {
                    written_direct.push((id, c.properties.get("firebreak:direct") == Some(&"true")));
                }
                if let Some(reference) = reference {
                    refs.insert(reference, NodeRef::Package(id));
                }
            }
            Err(reason) => {
                skipped += 1;
                let name = doc.str(c.object, "name", &c.pointer)?.unwrap_or("");
                warnings.push(format!("{path}: skipped `{}` (`{name}`): {reason}", c.pointer));
            }
        }
    }
    let fallback = majority((0..b.len()).map(|i| b.get(PackageId(i as u32)).ecosystem));
    for c in pending_roots {
        let name = doc.str(c.object, "name", &c.pointer)?.unwrap_or("");
        let group = doc.str(c.object, "group", &c.pointer)?;
        let purl = doc.str(c.object, "purl", &c.pointer)?.map(parse_purl);
        let (ecosystem, full_name, version) = match purl {
            Some(Ok(p)) => (Some(p.ecosystem), p.name, p.version),
            _ => {
                let full = match group {
                    Some(g) if !g.is_empty() => format!("{g}/{name}"),
                    _ => name.to_owned(),
                };
                (fallback, full, doc.str(c.object, "version", &c.pointer)?.map(str::to_owned))
            }
        };
        let Some(ecosystem) = ecosystem else {
            warnings.push(format!("{path}: skipped root `{}` (`{name}`): no ecosystem known", c.pointer));
            continue;
        };
        let root_path = c.properties.get("firebreak:root-path").copied().unwrap_or("");
        let id = b.root(ecosystem, &full_name, version.as_deref(), root_path);
        if let Some(reference) = doc.str(c.object, "bom-ref", &c.pointer)? {
            refs.insert(reference, NodeRef::Root(id));
        }
    }

    let mut unknown = 0usize;
    for (i, d) in doc.array(top, "dependencies", "")?.iter().enumerate() {
        let pointer = format!("dependencies[{i}]");
        let d = doc.object(d, &pointer)?;
        let Some(from) = doc.str(d, "ref", &pointer)? else {
            return Err(doc.error(join(&pointer, "ref"), "a string", &Value::Null));
        };
        let targets = doc.array(d, "dependsOn", &pointer)?;
        let from = refs.get(from).copied();
        for (j, t) in targets.iter().enumerate() {
            let Some(to) = t.as_str() else {
                return Err(doc.error(format!("{pointer}.dependsOn[{j}]"), "a string", t));
            };
            match (from, refs.get(to)) {
                (Some(from), Some(&NodeRef::Package(to))) => {
                    let flags = b.get(to).flags;
                    // CycloneDX has no edge kinds: a root's edge takes the kind its
                    // target's scope implies, so dev and optional survive a round trip.
                    let kind = match from {
                        NodeRef::Root(_) if flags.dev => DepKind::Dev,
                        NodeRef::Root(_) if flags.optional => DepKind::Optional,
                        _ => DepKind::Normal,
                    };
                    b.edge(from, to, kind, None);
                }
                // Edges to roots (a project over its members) are implied by the roots.
                (Some(_), Some(&NodeRef::Root(_))) => {}
                _ => unknown += 1,
            }
        }
    }
    if unknown > 0 {
        warnings.push(format!("{path}: {unknown} dependency edges name a component that was not read"));
    }
    let mut inventory = b.finish();
    // The graph says a root depends on a package; firebreak's own property keeps what the
    // lockfile said (go.mod lists indirect requirements on the root too).
    for (id, direct) in written_direct {
        if let Some(p) = inventory.packages.get_mut(id.index()) {
            p.direct = direct;
        }
    }
    Ok(SbomInventory { kind: Kind::CycloneDx, inventory, skipped, warnings })
}

fn seen<'v>(doc: &Doc<'_>, value: &'v Value, pointer: String) -> Result<Seen<'v>, SbomError> {
    let object = doc.object(value, &pointer)?;
    let mut properties = HashMap::new();
    for (i, p) in doc.array(object, "properties", &pointer)?.iter().enumerate() {
        let at = format!("{pointer}.properties[{i}]");
        let p = doc.object(p, &at)?;
        if let (Some(name), Some(value)) = (doc.str(p, "name", &at)?, doc.str(p, "value", &at)?) {
            properties.insert(name, value);
        }
    }
    Ok(Seen { pointer, object, properties })
}

/// Every component, nested ones included (the parser bounds the depth).
fn collect<'v>(
    doc: &Doc<'_>,
    parent: &'v Map<String, Value>,
    pointer: &str,
    out: &mut Vec<Seen<'v>>,
) -> Result<(), SbomError> {
    for (i, c) in doc.array(parent, "components", pointer)?.iter().enumerate() {
        let at = format!("{}[{i}]", join(pointer, "components"));
        let s = seen(doc, c, at.clone())?;
        let object = s.object;
        out.push(s);
        collect(doc, object, &at, out)?;
    }
    Ok(())
}

/// Adds a component as a package; the inner `Err` says why it was skipped.
fn package<'v>(
    doc: &Doc<'_>,
    b: &mut InventoryBuilder,
    c: &Seen<'v>,
) -> Result<Result<(PackageId, Option<&'v str>), String>, SbomError> {
    let Some(purl) = doc.str(c.object, "purl", &c.pointer)? else {
        return Ok(Err("no purl".to_owned()));
    };
    let parsed = match parse_purl(purl) {
        Ok(p) => p,
        Err(reason) => return Ok(Err(reason)),
    };
    let version = match parsed.version {
        Some(v) => v,
        None => doc.str(c.object, "version", &c.pointer)?.unwrap_or("").to_owned(),
    };
    let id = b.distinct_package(parsed.ecosystem, &parsed.name, &version);
    let ours = c.properties.keys().any(|k| k.starts_with("firebreak:"));
    let mut hashes = Vec::new();
    for (i, h) in doc.array(c.object, "hashes", &c.pointer)?.iter().enumerate() {
        let at = format!("{}.hashes[{i}]", c.pointer);
        let h = doc.object(h, &at)?;
        if let (Some(alg), Some(content)) = (doc.str(h, "alg", &at)?, doc.str(h, "content", &at)?)
            && let Some(algorithm) = HashAlgorithm::parse(alg)
            && algorithm != HashAlgorithm::GoH1
            && content.bytes().all(|b| b.is_ascii_hexdigit())
        {
            hashes.push(Hash::hex(algorithm, content));
        }
    }
    if let Some(h1) = c.properties.get("firebreak:go-h1") {
        hashes.push(Hash { algorithm: HashAlgorithm::GoH1, value: (*h1).to_owned() });
    }
    let mut source = PackageSource::Unknown;
    for (i, r) in doc.array(c.object, "externalReferences", &c.pointer)?.iter().enumerate() {
        let at = format!("{}.externalReferences[{i}]", c.pointer);
        let r = doc.object(r, &at)?;
        let (Some(kind), Some(url)) = (doc.str(r, "type", &at)?, doc.str(r, "url", &at)?) else { continue };
        match kind {
            "distribution" if matches!(source, PackageSource::Unknown) => {
                source = PackageSource::Registry { url: Some(url.to_owned()) };
            }
            // Other tools write the project's repository as `vcs`, which is not where
            // the package resolved from; only firebreak's own `vcs` means that.
            "vcs" if ours => {
                let (url, rev) = match url.rsplit_once('#') {
                    Some((u, r)) => (u.to_owned(), Some(r.to_owned())),
                    None => (url.to_owned(), None),
                };
                source = PackageSource::Git { url, rev };
            }
            _ => {}
        }
    }
    if let Some(p) = c.properties.get("firebreak:source-path") {
        source = PackageSource::Path { path: (*p).to_owned() };
    }
    let scope = doc.str(c.object, "scope", &c.pointer)?;
    let flag = |name: &str| c.properties.get(name) == Some(&"true");
    let package = b.get_mut(id);
    package.hashes = hashes;
    package.source = source;
    // cyclonedx-npm marks dev packages `optional` and says why in its own property.
    package.flags.dev =
        scope == Some("excluded") || flag("firebreak:dev") || flag("cdx:npm:package:development");
    package.flags.optional = (scope == Some("optional") && !package.flags.dev) || flag("firebreak:optional");
    package.flags.peer = flag("firebreak:peer");
    package.flags.bundled = flag("firebreak:bundled");
    package.alias = c.properties.get("firebreak:alias").map(|a| (*a).to_owned());
    Ok(Ok((id, doc.str(c.object, "bom-ref", &c.pointer)?)))
}
