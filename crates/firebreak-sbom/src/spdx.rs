//! SPDX 2.3 JSON writer (<https://spdx.github.io/spdx-spec/v2.3/>).

use firebreak_core::{DepKind, HashAlgorithm, Inventory, PackageSource, purl_for};
use serde::Serialize;

use crate::Options;
use crate::order::{Plan, is_hex_digest};

const NOASSERTION: &str = "NOASSERTION";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document<'a> {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: &'a str,
    document_namespace: String,
    creation_info: CreationInfo,
    packages: Vec<SpdxPackage<'a>>,
    relationships: Vec<Relationship<'a>>,
}

#[derive(Serialize)]
struct CreationInfo {
    created: String,
    creators: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage<'a> {
    #[serde(rename = "SPDXID")]
    spdx_id: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<&'a str>,
    download_location: String,
    files_analyzed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checksums: Vec<Checksum<'a>>,
    license_concluded: &'static str,
    license_declared: &'static str,
    copyright_text: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef>,
    primary_package_purpose: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Checksum<'a> {
    algorithm: &'static str,
    checksum_value: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
struct Relationship<'a> {
    spdx_element_id: &'a str,
    relationship_type: &'static str,
    related_spdx_element: &'a str,
}

/// Keeps the characters an SPDX identifier admits (`[A-Za-z0-9.-]`), replacing the rest by `-`.
fn sanitize(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '-' }).collect()
}

/// Writes `inventory` as an SPDX 2.3 JSON document (pretty-printed, ending in a newline).
///
/// Roots are `APPLICATION` packages that the document `DESCRIBES`; dev, optional and
/// build edges are written as `DEV_DEPENDENCY_OF`, `OPTIONAL_DEPENDENCY_OF` and
/// `BUILD_DEPENDENCY_OF` (from the dependency to the dependent), the others as `DEPENDS_ON`.
pub fn write(inventory: &Inventory, options: &Options) -> String {
    let plan = Plan::new(
        inventory,
        |r| {
            let version = r.version.as_deref().map(|v| format!("-{v}")).unwrap_or_default();
            sanitize(&format!("SPDXRef-Root-{}-{}{version}", r.ecosystem.purl_type(), r.name))
        },
        |p| sanitize(&format!("SPDXRef-Package-{}-{}-{}", p.ecosystem.purl_type(), p.name, p.version)),
        |base, n| format!("{base}-{n}"),
    );
    let mut packages = Vec::new();
    let mut relationships = Vec::new();
    for &id in &plan.roots {
        let root = &inventory.roots[id.index()];
        let version = root.version.as_deref();
        let spdx_id = plan.root_refs[id.index()].as_str();
        packages.push(SpdxPackage {
            spdx_id,
            name: &root.name,
            version_info: version,
            download_location: NOASSERTION.to_owned(),
            files_analyzed: false,
            checksums: Vec::new(),
            license_concluded: NOASSERTION,
            license_declared: NOASSERTION,
            copyright_text: NOASSERTION,
            external_refs: purl_for(root.ecosystem, &root.name, version.unwrap_or(""))
                .ok()
                .map(|p| purl_ref(p.as_str().to_owned()))
                .into_iter()
                .collect(),
            primary_package_purpose: "APPLICATION",
        });
        relationships.push(Relationship {
            spdx_element_id: "SPDXRef-DOCUMENT",
            relationship_type: "DESCRIBES",
            related_spdx_element: spdx_id,
        });
    }
    for &id in &plan.packages {
        let p = &inventory.packages[id.index()];
        let mut checksums: Vec<Checksum<'_>> = p
            .hashes
            .iter()
            .filter(|h| is_hex_digest(&h.value))
            .filter_map(|h| {
                let algorithm = match h.algorithm {
                    HashAlgorithm::Md5 => "MD5",
                    HashAlgorithm::Sha1 => "SHA1",
                    HashAlgorithm::Sha256 => "SHA256",
                    HashAlgorithm::Sha384 => "SHA384",
                    HashAlgorithm::Sha512 => "SHA512",
                    HashAlgorithm::GoH1 => return None,
                };
                Some(Checksum { algorithm, checksum_value: &h.value })
            })
            .collect();
        checksums.sort_by(|a, b| (a.algorithm, a.checksum_value).cmp(&(b.algorithm, b.checksum_value)));
        checksums.dedup_by(|a, b| a.algorithm == b.algorithm && a.checksum_value == b.checksum_value);
        let download_location = match &p.source {
            PackageSource::Registry { url: Some(url) } | PackageSource::Url { url } => url.clone(),
            // SPDX's VCS form: `git+<url>@<rev>`.
            PackageSource::Git { url, rev } => {
                let url = if url.starts_with("git+") { url.clone() } else { format!("git+{url}") };
                match rev {
                    Some(rev) => format!("{url}@{rev}"),
                    None => url,
                }
            }
            _ => NOASSERTION.to_owned(),
        };
        packages.push(SpdxPackage {
            spdx_id: &plan.package_refs[id.index()],
            name: &p.name,
            version_info: Some(&p.version),
            download_location,
            files_analyzed: false,
            checksums,
            license_concluded: NOASSERTION,
            license_declared: NOASSERTION,
            copyright_text: NOASSERTION,
            external_refs: p.purl.clone().map(purl_ref).into_iter().collect(),
            primary_package_purpose: "LIBRARY",
        });
    }
    let mut edges: Vec<Relationship<'_>> = plan
        .edges()
        .into_iter()
        .map(|(from, to, kind)| {
            let reversed = |relationship_type| Relationship {
                spdx_element_id: to,
                relationship_type,
                related_spdx_element: from,
            };
            match kind {
                DepKind::Dev => reversed("DEV_DEPENDENCY_OF"),
                DepKind::Optional => reversed("OPTIONAL_DEPENDENCY_OF"),
                DepKind::Build => reversed("BUILD_DEPENDENCY_OF"),
                DepKind::Normal | DepKind::Peer => Relationship {
                    spdx_element_id: from,
                    relationship_type: "DEPENDS_ON",
                    related_spdx_element: to,
                },
            }
        })
        .collect();
    edges.sort();
    edges.dedup();
    relationships.extend(edges);
    let name = match plan.roots.as_slice() {
        [only] => inventory.roots[only.index()].name.as_str(),
        _ => options.project_name(),
    };
    let mut document = Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: "SPDXRef-DOCUMENT",
        name,
        document_namespace: String::new(),
        creation_info: CreationInfo {
            created: options.timestamp.to_string(),
            creators: vec![format!("Tool: firebreak-{}", options.tool_version)],
        },
        packages,
        relationships,
    };
    let draft = to_json(&document);
    let slug: String = sanitize(name).chars().take(64).collect();
    document.document_namespace =
        format!("https://spdx.org/spdxdocs/{slug}-{}", options.document_uuid(&draft));
    to_json(&document)
}

fn purl_ref(locator: String) -> ExternalRef {
    ExternalRef { reference_category: "PACKAGE-MANAGER", reference_type: "purl", reference_locator: locator }
}

fn to_json(document: &Document<'_>) -> String {
    let mut text = serde_json::to_string_pretty(document).unwrap_or_default();
    text.push('\n');
    text
}
