//! Build identity as two sources state it: the in-toto statement's SLSA predicate, and the
//! Fulcio certificate's extensions (which Fulcio copied from the CI's OIDC token, so they are
//! what the CA vouches for).

use serde_json::Value;
use x509_cert::Certificate;
use x509_cert::der::Decode;
use x509_cert::der::asn1::{ObjectIdentifier, Utf8StringRef};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

/// Who built an artifact, from where and why, as one source states it. Every field is
/// optional: a publish attestation or a non-GitHub builder states only some of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildIdentity {
    /// Source repository URL (`https://github.com/sigstore/sigstore-js`).
    pub repository: Option<String>,
    /// Workflow file path inside the repository (`.github/workflows/release.yml`).
    pub workflow: Option<String>,
    /// Event that started the build (`push`, `release`, `workflow_dispatch`).
    pub trigger: Option<String>,
    /// Git ref built (`refs/heads/main`, `refs/tags/v1.2.3`).
    pub git_ref: Option<String>,
    /// Git commit built (40 hex digits).
    pub commit: Option<String>,
    /// The builder: the SLSA `builder.id` in a statement, the runner environment
    /// (`github-hosted`, `self-hosted`) in a certificate.
    pub builder: Option<String>,
}

/// What the Fulcio signing certificate says, beyond the [`BuildIdentity`] fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertificateIdentity {
    /// The build identity read from the certificate's extensions.
    pub build: BuildIdentity,
    /// OIDC issuer (`https://token.actions.githubusercontent.com`), OID 1.3.6.1.4.1.57264.1.8
    /// (or the legacy .1.1).
    pub issuer: Option<String>,
    /// Subject alternative name: the signing identity (a workflow URI or an email).
    pub subject_alternative_name: Option<String>,
    /// Build signer URI, OID .1.9 (the workflow that signed, `…/release.yml@refs/heads/main`).
    pub build_signer_uri: Option<String>,
    /// Build config URI, OID .1.18 (the top-level workflow).
    pub build_config_uri: Option<String>,
    /// Run invocation URI, OID .1.21 (the CI run).
    pub run_invocation_uri: Option<String>,
    /// Source repository visibility at signing, OID .1.22 (`public`, `private`).
    pub repository_visibility: Option<String>,
    /// Certificate validity, start (seconds since the Unix epoch).
    pub not_before: i64,
    /// Certificate validity, end (seconds since the Unix epoch).
    pub not_after: i64,
}

const FULCIO: &str = "1.3.6.1.4.1.57264.1.";

/// Reads the Fulcio extensions. Values of OIDs .1.8 and later are DER UTF8Strings; .1.1 to
/// .1.6 are raw bytes (Fulcio's legacy encoding), used only when the newer one is absent.
pub(crate) fn from_certificate(certificate: &Certificate) -> CertificateIdentity {
    let mut legacy: [Option<String>; 7] = Default::default();
    let mut modern: [Option<String>; 23] = Default::default();
    let mut san = None;
    for extension in certificate.tbs_certificate.extensions.iter().flatten() {
        let oid = extension.extn_id.to_string();
        let value = extension.extn_value.as_bytes();
        if extension.extn_id == ObjectIdentifier::new_unwrap("2.5.29.17") {
            san = SubjectAltName::from_der(value).ok().and_then(|names| {
                names.0.into_iter().find_map(|name| match name {
                    GeneralName::UniformResourceIdentifier(uri) => Some(uri.to_string()),
                    GeneralName::Rfc822Name(email) => Some(email.to_string()),
                    _ => None,
                })
            });
            continue;
        }
        let Some(arc) = oid.strip_prefix(FULCIO).and_then(|rest| rest.parse::<usize>().ok()) else {
            continue;
        };
        if arc <= 6 {
            if let (Some(slot), Ok(text)) = (legacy.get_mut(arc), std::str::from_utf8(value)) {
                *slot = Some(text.to_owned());
            }
        } else if let (Some(slot), Ok(text)) = (modern.get_mut(arc), Utf8StringRef::from_der(value)) {
            *slot = Some(text.as_str().to_owned());
        }
    }
    let take = |slot: &mut Option<String>| slot.take();
    let repository =
        take(&mut modern[12]).or_else(|| legacy[5].take().map(|r| format!("https://github.com/{r}")));
    let build_config_uri = take(&mut modern[18]);
    let workflow = build_config_uri.as_deref().and_then(|uri| workflow_path(uri, repository.as_deref()));
    let validity = &certificate.tbs_certificate.validity;
    CertificateIdentity {
        build: BuildIdentity {
            trigger: take(&mut modern[20]).or_else(|| legacy[2].take()),
            git_ref: take(&mut modern[14]).or_else(|| legacy[6].take()),
            commit: take(&mut modern[13]).or_else(|| legacy[3].take()),
            builder: take(&mut modern[11]),
            repository,
            workflow,
        },
        issuer: take(&mut modern[8]).or_else(|| legacy[1].take()),
        subject_alternative_name: san,
        build_signer_uri: take(&mut modern[9]),
        build_config_uri,
        run_invocation_uri: take(&mut modern[21]),
        repository_visibility: take(&mut modern[22]),
        not_before: unix(validity.not_before.to_unix_duration()),
        not_after: unix(validity.not_after.to_unix_duration()),
    }
}

fn unix(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// `https://github.com/o/r/.github/workflows/x.yml@refs/tags/v1` -> `.github/workflows/x.yml`.
fn workflow_path(uri: &str, repository: Option<&str>) -> Option<String> {
    let without_ref = uri.split_once('@').map_or(uri, |(path, _)| path);
    if let Some(rest) = repository.and_then(|repo| without_ref.strip_prefix(repo)) {
        return rest.strip_prefix('/').map(str::to_owned);
    }
    // A repository URL of unknown shape: the workflow path starts at `.github/`.
    without_ref.find(".github/").and_then(|index| without_ref.get(index..)).map(str::to_owned)
}

/// What the in-toto statement says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Statement {
    pub(crate) predicate_type: String,
    pub(crate) subjects: Vec<Subject>,
    pub(crate) build: BuildIdentity,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Subject {
    pub(crate) name: Option<String>,
    /// (algorithm, lowercase hex)
    pub(crate) digests: Vec<(String, String)>,
}

pub(crate) const MAX_SUBJECTS: usize = 1024;

/// Reads an in-toto statement (v0.1 or v1) and the build identity of its SLSA predicate
/// (v1: `buildDefinition`; v0.2: `invocation.configSource`). Unknown predicates leave the
/// identity empty rather than failing: the publish attestations of npm and PyPI state none.
pub(crate) fn statement(value: &Value) -> Result<Statement, (String, String, String)> {
    let object = value.as_object().ok_or_else(|| (String::new(), "an object".into(), kind(value)))?;
    let statement_type = object.get("_type").and_then(Value::as_str).unwrap_or_default();
    if !statement_type.starts_with("https://in-toto.io/Statement/") {
        return Err((
            "_type".into(),
            "`https://in-toto.io/Statement/v1` or `/v0.1`".into(),
            format!("`{statement_type}`"),
        ));
    }
    let predicate_type = object
        .get("predicateType")
        .and_then(Value::as_str)
        .ok_or_else(|| ("predicateType".into(), "a string".into(), "none".into()))?
        .to_owned();
    let raw_subjects = object
        .get("subject")
        .and_then(Value::as_array)
        .ok_or_else(|| ("subject".into(), "an array".into(), "none".into()))?;
    if raw_subjects.len() > MAX_SUBJECTS {
        return Err((
            "subject".into(),
            format!("at most {MAX_SUBJECTS} subjects"),
            raw_subjects.len().to_string(),
        ));
    }
    let mut subjects = Vec::new();
    for (index, subject) in raw_subjects.iter().enumerate() {
        let digest = subject
            .get("digest")
            .and_then(Value::as_object)
            .ok_or_else(|| (format!("subject[{index}].digest"), "an object".into(), "none".into()))?;
        subjects.push(Subject {
            name: subject.get("name").and_then(Value::as_str).map(str::to_owned),
            digests: digest
                .iter()
                .take(32)
                .filter_map(|(algorithm, hex)| Some((algorithm.clone(), hex.as_str()?.to_ascii_lowercase())))
                .collect(),
        });
    }
    let predicate = object.get("predicate").unwrap_or(&Value::Null);
    let build = if predicate_type.starts_with("https://slsa.dev/provenance/v1") {
        slsa_v1(predicate)
    } else if predicate_type.starts_with("https://slsa.dev/provenance/v0.2") {
        slsa_v02(predicate)
    } else {
        BuildIdentity::default()
    };
    Ok(Statement { predicate_type, subjects, build })
}

fn kind(value: &Value) -> String {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
    .to_owned()
}

fn text(value: &Value, pointer: &str) -> Option<String> {
    value.pointer(pointer).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn slsa_v1(predicate: &Value) -> BuildIdentity {
    let workflow = "/buildDefinition/externalParameters/workflow";
    let repository = text(predicate, &format!("{workflow}/repository"));
    // The commit is the resolved dependency that is the source repository itself.
    let commit = predicate
        .pointer("/buildDefinition/resolvedDependencies")
        .and_then(Value::as_array)
        .and_then(|deps| {
            deps.iter().find(|dep| {
                let uri = dep.get("uri").and_then(Value::as_str).unwrap_or_default();
                repository.as_deref().is_none_or(|repo| uri.starts_with(&format!("git+{repo}@")))
            })
        })
        .and_then(|dep| text(dep, "/digest/gitCommit").or_else(|| text(dep, "/digest/sha1")));
    BuildIdentity {
        workflow: text(predicate, &format!("{workflow}/path")),
        git_ref: text(predicate, &format!("{workflow}/ref")),
        trigger: text(predicate, "/buildDefinition/internalParameters/github/event_name"),
        builder: text(predicate, "/runDetails/builder/id"),
        commit,
        repository,
    }
}

fn slsa_v02(predicate: &Value) -> BuildIdentity {
    // configSource.uri is `git+https://github.com/o/r@refs/heads/main`.
    let uri = text(predicate, "/invocation/configSource/uri");
    let (repository, git_ref) = match uri.as_deref().map(|u| u.strip_prefix("git+").unwrap_or(u)) {
        Some(rest) => match rest.split_once('@') {
            Some((repo, reference)) => (Some(repo.to_owned()), Some(reference.to_owned())),
            None => (Some(rest.to_owned()), None),
        },
        None => (None, None),
    };
    BuildIdentity {
        repository,
        git_ref,
        workflow: text(predicate, "/invocation/configSource/entryPoint"),
        commit: text(predicate, "/invocation/configSource/digest/sha1"),
        trigger: text(predicate, "/invocation/environment/GITHUB_EVENT_NAME"),
        builder: text(predicate, "/builder/id"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slsa_v02_statements_name_the_config_source() {
        // The shape npm's CLI wrote before SLSA v1 (npm/cli `lib/utils/provenance.js`).
        let value = serde_json::json!({
            "_type": "https://in-toto.io/Statement/v0.1",
            "subject": [{"name": "pkg:npm/a@1.0.0", "digest": {"sha512": "AB"}}],
            "predicateType": "https://slsa.dev/provenance/v0.2",
            "predicate": {
                "builder": {"id": "https://github.com/actions/runner"},
                "invocation": {
                    "configSource": {
                        "uri": "git+https://github.com/o/r@refs/heads/main",
                        "digest": {"sha1": "0123456789abcdef0123456789abcdef01234567"},
                        "entryPoint": ".github/workflows/publish.yml"
                    },
                    "environment": {"GITHUB_EVENT_NAME": "push"}
                }
            }
        });
        let statement = statement(&value).unwrap();
        assert_eq!(statement.subjects[0].digests, vec![("sha512".to_owned(), "ab".to_owned())]);
        assert_eq!(
            statement.build,
            BuildIdentity {
                repository: Some("https://github.com/o/r".into()),
                workflow: Some(".github/workflows/publish.yml".into()),
                trigger: Some("push".into()),
                git_ref: Some("refs/heads/main".into()),
                commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
                builder: Some("https://github.com/actions/runner".into()),
            }
        );
    }

    #[test]
    fn statements_of_the_wrong_shape_say_where() {
        let not_object = statement(&serde_json::json!([1])).unwrap_err();
        assert_eq!(not_object, (String::new(), "an object".to_owned(), "an array".to_owned()));
        let no_subject = statement(&serde_json::json!({
            "_type": "https://in-toto.io/Statement/v1", "predicateType": "x"
        }))
        .unwrap_err();
        assert_eq!(no_subject.0, "subject");
        let bad_digest = statement(&serde_json::json!({
            "_type": "https://in-toto.io/Statement/v1", "predicateType": "x", "subject": [{"name": "a"}]
        }))
        .unwrap_err();
        assert_eq!(bad_digest.0, "subject[0].digest");
    }

    #[test]
    fn workflow_paths_come_from_build_config_uris() {
        assert_eq!(
            workflow_path(
                "https://github.com/o/r/.github/workflows/x.yml@refs/tags/v1",
                Some("https://github.com/o/r")
            ),
            Some(".github/workflows/x.yml".into())
        );
        assert_eq!(
            workflow_path("https://gitlab.example/g/p/.github/workflows/x.yml@main", None),
            Some(".github/workflows/x.yml".into())
        );
        assert_eq!(workflow_path("https://example.com/pipeline", None), None);
    }
}
