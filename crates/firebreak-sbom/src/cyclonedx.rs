//! CycloneDX 1.6 JSON writer (<https://cyclonedx.org/docs/1.6/json/>).

use firebreak_core::{HashAlgorithm, Inventory, NodeRef, Package, PackageSource, Root, purl_for};
use serde::Serialize;

use crate::Options;
use crate::order::{Plan, group_and_name, is_hex_digest};

/// The bom-ref of the project component made up when the inventory has no single root.
const PROJECT_REF: &str = "firebreak:project";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bom<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata<'a>,
    components: Vec<Component<'a>>,
    dependencies: Vec<Dependency<'a>>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    timestamp: String,
    tools: Tools<'a>,
    component: Component<'a>,
}

#[derive(Serialize)]
struct Tools<'a> {
    components: Vec<Component<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Component<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    bom_ref: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<&'a str>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<HashEntry<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_references: Vec<ExternalReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property<'a>>,
}

impl<'a> Component<'a> {
    fn new(kind: &'static str, name: &'a str) -> Self {
        Component {
            kind,
            bom_ref: None,
            group: None,
            name,
            version: None,
            scope: None,
            hashes: Vec::new(),
            purl: None,
            external_references: Vec::new(),
            properties: Vec::new(),
        }
    }
}

#[derive(Serialize)]
struct HashEntry<'a> {
    alg: &'static str,
    content: &'a str,
}

#[derive(Serialize)]
struct ExternalReference {
    #[serde(rename = "type")]
    kind: &'static str,
    url: String,
}

#[derive(Serialize)]
struct Property<'a> {
    name: &'static str,
    value: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Dependency<'a> {
    #[serde(rename = "ref")]
    reference: &'a str,
    depends_on: Vec<&'a str>,
}

/// Writes `inventory` as a CycloneDX 1.6 JSON document (pretty-printed, ending in a newline).
///
/// A single root becomes `metadata.component`; several roots (workspace members, or
/// many lockfiles) each become an `application` component with their own edges, under
/// a project component named by [`Options::name`].
pub fn write(inventory: &Inventory, options: &Options) -> String {
    let plan = Plan::new(
        inventory,
        root_ref,
        |p| p.purl.clone().unwrap_or_else(|| format!("{}:{}@{}", p.ecosystem.purl_type(), p.name, p.version)),
        |base, n| format!("{base}|{n}"),
    );
    let single_root = (plan.roots.len() == 1).then(|| plan.roots[0]);
    let top = match single_root {
        Some(id) => root_component(&plan, id, false),
        None => {
            let mut c = Component::new("application", options.project_name());
            c.bom_ref = Some(PROJECT_REF);
            c.properties.push(Property { name: "firebreak:project", value: "true" });
            c
        }
    };
    let mut components = Vec::new();
    let mut dependencies = Vec::new();
    if single_root.is_none() {
        components.extend(plan.roots.iter().map(|&id| root_component(&plan, id, true)));
        let mut members: Vec<&str> = plan.roots.iter().map(|r| plan.root_refs[r.index()].as_str()).collect();
        members.sort_unstable();
        dependencies.push(Dependency { reference: PROJECT_REF, depends_on: members });
    }
    components.extend(plan.packages.iter().map(|&id| package_component(&plan, id)));
    let mut nodes: Vec<NodeRef> = plan.roots.iter().map(|&r| NodeRef::Root(r)).collect();
    nodes.extend(plan.packages.iter().map(|&p| NodeRef::Package(p)));
    for node in nodes {
        let mut depends_on: Vec<&str> = plan.dependencies(node).into_iter().map(|(r, _)| r).collect();
        // Several kinds of edge to one package collapse into one `dependsOn` entry.
        depends_on.dedup();
        dependencies.push(Dependency { reference: plan.node_ref(node), depends_on });
    }
    let tool_version = options.tool_version.as_str();
    let mut tool = Component::new("application", "firebreak");
    tool.version = Some(tool_version);
    let mut bom = Bom {
        schema: "http://cyclonedx.org/schema/bom-1.6.schema.json",
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: String::new(),
        version: 1,
        metadata: Metadata {
            timestamp: options.timestamp.to_string(),
            tools: Tools { components: vec![tool] },
            component: top,
        },
        components,
        dependencies,
    };
    let draft = to_json(&bom);
    bom.serial_number = format!("urn:uuid:{}", options.document_uuid(&draft));
    to_json(&bom)
}

fn to_json(bom: &Bom<'_>) -> String {
    // Serialising plain structs of strings cannot fail; an empty document would be caught
    // by every schema test.
    let mut text = serde_json::to_string_pretty(bom).unwrap_or_default();
    text.push('\n');
    text
}

fn root_ref(root: &Root) -> String {
    format!("root:{}:{}@{}", root.ecosystem.purl_type(), root.name, root.version.as_deref().unwrap_or(""))
}

fn root_component<'a>(plan: &'a Plan<'a>, id: firebreak_core::RootId, member: bool) -> Component<'a> {
    let root = &plan.inventory.roots[id.index()];
    let (group, name) = group_and_name(root.ecosystem, &root.name);
    let mut c = Component::new("application", name);
    c.bom_ref = Some(plan.root_refs[id.index()].as_str());
    c.group = group;
    c.version = root.version.as_deref();
    c.purl = purl_for(root.ecosystem, &root.name, root.version.as_deref().unwrap_or(""))
        .ok()
        .map(|p| p.as_str().to_owned());
    if member {
        c.properties.push(Property { name: "firebreak:root", value: "true" });
    }
    if !root.path.is_empty() {
        c.properties.push(Property { name: "firebreak:root-path", value: &root.path });
    }
    if let Some(lockfile) = plan.inventory.lockfiles.get(root.lockfile.index()) {
        c.properties.push(Property { name: "firebreak:lockfile", value: &lockfile.path });
    }
    c
}

fn package_component<'a>(plan: &'a Plan<'a>, id: firebreak_core::PackageId) -> Component<'a> {
    let p: &'a Package = &plan.inventory.packages[id.index()];
    let (group, name) = group_and_name(p.ecosystem, &p.name);
    let mut c = Component::new("library", name);
    c.bom_ref = Some(plan.package_refs[id.index()].as_str());
    c.group = group;
    c.version = Some(&p.version);
    c.scope = Some(if p.flags.dev {
        "excluded"
    } else if p.flags.optional {
        "optional"
    } else {
        "required"
    });
    let mut hashes: Vec<&firebreak_core::Hash> = p.hashes.iter().collect();
    hashes.sort();
    hashes.dedup();
    let mut go_h1 = None;
    for h in hashes {
        let alg = match h.algorithm {
            HashAlgorithm::Md5 => "MD5",
            HashAlgorithm::Sha1 => "SHA-1",
            HashAlgorithm::Sha256 => "SHA-256",
            HashAlgorithm::Sha384 => "SHA-384",
            HashAlgorithm::Sha512 => "SHA-512",
            HashAlgorithm::GoH1 => {
                go_h1 = Some(h.value.as_str());
                continue;
            }
        };
        if is_hex_digest(&h.value) {
            c.hashes.push(HashEntry { alg, content: &h.value });
        }
    }
    c.purl = p.purl.clone();
    match &p.source {
        PackageSource::Registry { url: Some(url) } | PackageSource::Url { url } => {
            c.external_references.push(ExternalReference { kind: "distribution", url: url.clone() })
        }
        PackageSource::Git { url, rev } => c.external_references.push(ExternalReference {
            kind: "vcs",
            url: match rev {
                Some(rev) => format!("{url}#{rev}"),
                None => url.clone(),
            },
        }),
        PackageSource::Path { path } => {
            c.properties.push(Property { name: "firebreak:source-path", value: path })
        }
        PackageSource::Registry { url: None } | PackageSource::Unknown => {}
    }
    let flags = [
        ("firebreak:direct", p.direct),
        ("firebreak:dev", p.flags.dev),
        ("firebreak:optional", p.flags.optional),
        ("firebreak:peer", p.flags.peer),
        ("firebreak:bundled", p.flags.bundled),
    ];
    for (name, set) in flags {
        if set {
            c.properties.push(Property { name, value: "true" });
        }
    }
    if let Some(alias) = &p.alias {
        c.properties.push(Property { name: "firebreak:alias", value: alias });
    }
    if let Some(h1) = go_h1 {
        c.properties.push(Property { name: "firebreak:go-h1", value: h1 });
    }
    if let Some(lockfile) = plan.inventory.lockfiles.get(p.lockfile.index()) {
        c.properties.push(Property { name: "firebreak:lockfile", value: &lockfile.path });
    }
    c
}
