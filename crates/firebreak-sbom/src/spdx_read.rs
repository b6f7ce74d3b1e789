//! SPDX 2.2 / 2.3 JSON reader.

use std::collections::{HashMap, HashSet};

use camino::Utf8Path;
use firebreak_core::{DepKind, Hash, HashAlgorithm, InventoryBuilder, NodeRef, PackageId, PackageSource};
use serde_json::Value;

use crate::reader::{Doc, join, majority, parse_purl};
use crate::{Kind, SbomError, SbomInventory};

pub(crate) fn read(value: &Value, path: &Utf8Path) -> Result<SbomInventory, SbomError> {
    let doc = Doc { path };
    let top = doc.object(value, "")?;
    let version = doc.str(top, "spdxVersion", "")?.unwrap_or("");
    if !matches!(version, "SPDX-2.2" | "SPDX-2.3") {
        return Err(SbomError::UnsupportedVersion {
            path: path.to_owned(),
            format: "SPDX",
            version: version.to_owned(),
            expected: "SPDX-2.2 or SPDX-2.3",
        });
    }
    let document_id = doc.str(top, "SPDXID", "")?.unwrap_or("SPDXRef-DOCUMENT");
    let mut described: HashSet<&str> = HashSet::new();
    for (i, d) in doc.array(top, "documentDescribes", "")?.iter().enumerate() {
        let id = d.as_str().ok_or_else(|| doc.error(format!("documentDescribes[{i}]"), "a string", d))?;
        described.insert(id);
    }
    // Relationships are read first: roots are what the document DESCRIBES.
    let mut relationships = Vec::new();
    for (i, r) in doc.array(top, "relationships", "")?.iter().enumerate() {
        let pointer = format!("relationships[{i}]");
        let r = doc.object(r, &pointer)?;
        let field = |key: &str| -> Result<&str, SbomError> {
            doc.str(r, key, &pointer)?
                .ok_or_else(|| doc.error(join(&pointer, key), "a string", r.get(key).unwrap_or(&Value::Null)))
        };
        let (a, kind, b) =
            (field("spdxElementId")?, field("relationshipType")?, field("relatedSpdxElement")?);
        if kind == "DESCRIBES" && a == document_id {
            described.insert(b);
        } else if kind == "DESCRIBED_BY" && b == document_id {
            described.insert(a);
        } else {
            relationships.push((a, kind, b));
        }
    }

    let mut b = InventoryBuilder::new(path.as_str(), Kind::Spdx.id());
    b.format_version(version.trim_start_matches("SPDX-"));
    b.infer_dev().infer_optional();
    let mut warnings = Vec::new();
    let mut skipped = 0;
    let mut ids: HashMap<&str, NodeRef> = HashMap::new();
    let mut pending_roots = Vec::new();
    for (i, p) in doc.array(top, "packages", "")?.iter().enumerate() {
        let pointer = format!("packages[{i}]");
        let p = doc.object(p, &pointer)?;
        let Some(spdx_id) = doc.str(p, "SPDXID", &pointer)? else {
            return Err(doc.error(join(&pointer, "SPDXID"), "a string", &Value::Null));
        };
        let name = doc.str(p, "name", &pointer)?.unwrap_or("");
        let version_info = doc.str(p, "versionInfo", &pointer)?;
        let mut purl = None;
        for (j, r) in doc.array(p, "externalRefs", &pointer)?.iter().enumerate() {
            let at = format!("{pointer}.externalRefs[{j}]");
            let r = doc.object(r, &at)?;
            if doc.str(r, "referenceType", &at)? == Some("purl") {
                purl = doc.str(r, "referenceLocator", &at)?;
                break;
            }
        }
        let parsed = purl.map(parse_purl);
        if described.contains(spdx_id) {
            pending_roots.push((spdx_id, name, version_info, parsed.and_then(Result::ok)));
            continue;
        }
        let parsed = match parsed {
            Some(Ok(parsed)) => parsed,
            Some(Err(reason)) => {
                skipped += 1;
                warnings.push(format!("{path}: skipped `{pointer}` (`{name}`): {reason}"));
                continue;
            }
            None => {
                skipped += 1;
                warnings.push(format!("{path}: skipped `{pointer}` (`{name}`): no purl"));
                continue;
            }
        };
        let version = parsed.version.as_deref().or(version_info).unwrap_or("");
        let id = b.distinct_package(parsed.ecosystem, &parsed.name, version);
        let mut hashes = Vec::new();
        for (j, c) in doc.array(p, "checksums", &pointer)?.iter().enumerate() {
            let at = format!("{pointer}.checksums[{j}]");
            let c = doc.object(c, &at)?;
            if let (Some(alg), Some(value)) =
                (doc.str(c, "algorithm", &at)?, doc.str(c, "checksumValue", &at)?)
                && let Some(algorithm) = HashAlgorithm::parse(alg)
                && algorithm != HashAlgorithm::GoH1
                && value.bytes().all(|b| b.is_ascii_hexdigit())
            {
                hashes.push(Hash::hex(algorithm, value));
            }
        }
        let source = match doc.str(p, "downloadLocation", &pointer)? {
            Some(url) if url.starts_with("git+") => {
                let (url, rev) = match url.rsplit_once('@').filter(|(u, _)| u.contains("://")) {
                    Some((u, r)) => (u.to_owned(), Some(r.to_owned())),
                    None => (url.to_owned(), None),
                };
                PackageSource::Git { url, rev }
            }
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                PackageSource::Registry { url: Some(url.to_owned()) }
            }
            _ => PackageSource::Unknown,
        };
        let package = b.get_mut(id);
        package.hashes = hashes;
        package.source = source;
        ids.insert(spdx_id, NodeRef::Package(id));
    }
    let fallback = majority((0..b.len()).map(|i| b.get(PackageId(i as u32)).ecosystem));
    for (spdx_id, name, version_info, parsed) in pending_roots {
        let (ecosystem, name, version) = match parsed {
            Some(p) => (Some(p.ecosystem), p.name, p.version.or(version_info.map(str::to_owned))),
            None => (fallback, name.to_owned(), version_info.map(str::to_owned)),
        };
        let Some(ecosystem) = ecosystem else {
            warnings.push(format!("{path}: skipped root `{spdx_id}` (`{name}`): no ecosystem known"));
            continue;
        };
        let id = b.root(ecosystem, &name, version.as_deref(), "");
        ids.insert(spdx_id, NodeRef::Root(id));
    }

    let mut unknown = 0usize;
    for (a, kind, c) in relationships {
        // (dependent, dependency, kind)
        let (from, to, kind) = match kind {
            "DEPENDS_ON" => (a, c, DepKind::Normal),
            "DEPENDENCY_OF" | "RUNTIME_DEPENDENCY_OF" => (c, a, DepKind::Normal),
            "DEV_DEPENDENCY_OF" | "TEST_DEPENDENCY_OF" => (c, a, DepKind::Dev),
            "OPTIONAL_DEPENDENCY_OF" => (c, a, DepKind::Optional),
            "BUILD_DEPENDENCY_OF" => (c, a, DepKind::Build),
            // syft and others list what a described source holds with CONTAINS.
            "CONTAINS" if matches!(ids.get(a), Some(NodeRef::Root(_))) => (a, c, DepKind::Normal),
            _ => continue,
        };
        match (ids.get(from), ids.get(to)) {
            (Some(&from), Some(&NodeRef::Package(to))) => b.edge(from, to, kind, None),
            (Some(_), Some(&NodeRef::Root(_))) => {}
            _ => unknown += 1,
        }
    }
    if unknown > 0 {
        warnings.push(format!("{path}: {unknown} relationships name a package that was not read"));
    }
    Ok(SbomInventory { kind: Kind::Spdx, inventory: b.finish(), skipped, warnings })
}
