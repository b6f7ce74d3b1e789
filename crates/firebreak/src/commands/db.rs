//! `firebreak db update` and `firebreak db status`.

use std::io::Read;
use std::time::Duration;

use camino::Utf8Path;
use firebreak_advisory::{Database, ImportReport, SourceInfo, Timestamp, ZipLimits};
use miette::{IntoDiagnostic, WrapErr};
use serde::Serialize;

use crate::cli::{DbCommand, DbStatusArgs, DbUpdateArgs, InventoryFormat};
use crate::exit::ExitStatus;
use crate::printer;

pub(super) fn run(command: &DbCommand) -> miette::Result<ExitStatus> {
    match command {
        DbCommand::Update(args) => update(args),
        DbCommand::Status(args) => status(args),
    }
}

fn update(args: &DbUpdateArgs) -> miette::Result<ExitStatus> {
    let path = match &args.db {
        Some(p) => p.clone(),
        None => super::advisories::default_path().ok_or_else(|| {
            miette::miette!(
                help = "pass `--db FILE` or set `FIREBREAK_DB`",
                "no data directory: neither `XDG_DATA_HOME` nor `HOME` is set"
            )
        })?,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_str().is_empty()) {
        fs_err::create_dir_all(dir).into_diagnostic().wrap_err("cannot create the database directory")?;
    }
    let mut db = Database::open(path.as_std_path())
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot open the advisory database `{path}`"))?;
    let now = super::scan::now()?;
    let mut status = ExitStatus::Success;
    for source in &args.source {
        let result = if source.starts_with("http://") || source.starts_with("https://") {
            update_from_url(&mut db, source, now, args.max_download)
        } else {
            update_from_path(&mut db, Utf8Path::new(source), now)
        };
        match result {
            Ok(Some(report)) => {
                printer::status(&format!(
                    "{source}: {} files, {} new, {} updated, {} unchanged, {} withdrawn, {} errors",
                    report.files,
                    report.inserted,
                    report.updated,
                    report.unchanged,
                    report.withdrawn,
                    report.errors.len()
                ));
                for error in report.errors.iter().take(20) {
                    printer::warning(&format!("skipped {error}"));
                }
                if report.errors.len() > 20 {
                    printer::warning(&format!("… and {} more skipped files", report.errors.len() - 20));
                }
                if !report.errors.is_empty() {
                    status = ExitStatus::Error;
                }
            }
            Ok(None) => printer::status(&format!("{source}: not modified since the last update")),
            Err(report) => {
                // Imports run in one transaction and downloads finish before it starts, so a
                // failed source leaves the database as it was.
                printer::error(
                    &report.wrap_err(format!("`{source}` was not imported; the database was not changed")),
                );
                status = ExitStatus::Error;
            }
        }
    }
    printer::status(&format!("database: {path}"));
    Ok(status)
}

fn update_from_path(
    db: &mut Database,
    path: &Utf8Path,
    now: Timestamp,
) -> miette::Result<Option<ImportReport>> {
    let source = SourceInfo { fetched_at: Some(now), ..SourceInfo::new(path.as_str(), path.as_str()) };
    let report = if path.is_dir() {
        db.import_dir_from(&source, path.as_std_path())
    } else {
        let bytes = firebreak_lockfile::read_bounded(path).map_err(miette::Report::new)?;
        import_bytes(db, &source, path.as_str(), &bytes)
    };
    report.into_diagnostic().wrap_err_with(|| format!("cannot import `{path}`")).map(Some)
}

/// A zip archive (by its magic bytes, not its name) or a single OSV JSON record.
fn import_bytes(
    db: &mut Database,
    source: &SourceInfo,
    name: &str,
    bytes: &[u8],
) -> Result<ImportReport, firebreak_advisory::StoreError> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        db.import_zip_from(source, bytes, &ZipLimits::default())
    } else {
        db.import_files(source, [(name, bytes)])
    }
}

fn update_from_url(
    db: &mut Database,
    url: &str,
    now: Timestamp,
    max_download: u64,
) -> miette::Result<Option<ImportReport>> {
    let previous =
        db.status().into_diagnostic()?.sources.into_iter().find(|s| s.name == url || s.location == url);
    // reqwest is built without a default crypto provider; ring is the one compiled in.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::blocking::Client::builder()
        .user_agent(concat!("firebreak/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(30))
        .timeout(Duration::from_secs(30 * 60))
        .build()
        .into_diagnostic()
        .wrap_err("cannot start the HTTP client")?;
    let mut request = client.get(url);
    if let Some(prev) = &previous {
        if let Some(etag) = &prev.etag {
            request = request.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        if let Some(modified) = &prev.last_modified {
            request = request.header(reqwest::header::IF_MODIFIED_SINCE, modified);
        }
    }
    let response = request.send().into_diagnostic().wrap_err_with(|| format!("cannot download `{url}`"))?;
    let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let etag = header(reqwest::header::ETAG);
    let last_modified = header(reqwest::header::LAST_MODIFIED);
    let status = response.status();
    if status == reqwest::StatusCode::NOT_MODIFIED {
        if let Some(mut prev) = previous {
            prev.fetched_at = Some(now);
            db.record_source(&prev).into_diagnostic()?;
        }
        return Ok(None);
    }
    if !status.is_success() {
        return Err(miette::miette!("cannot download `{url}`: the server answered {status}"));
    }
    if response.content_length().is_some_and(|n| n > max_download) {
        return Err(miette::miette!(
            help = "raise the limit with `--max-download BYTES` if the source is trusted",
            "`{url}` is over the {max_download}-byte download limit"
        ));
    }
    let mut bytes = Vec::new();
    response
        .take(max_download.saturating_add(1))
        .read_to_end(&mut bytes)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot download `{url}`"))?;
    if bytes.len() as u64 > max_download {
        return Err(miette::miette!("`{url}` is over the {max_download}-byte download limit"));
    }
    let source = SourceInfo { fetched_at: Some(now), etag, last_modified, ..SourceInfo::new(url, url) };
    let name = url.rsplit('/').next().unwrap_or(url);
    import_bytes(db, &source, name, &bytes)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot import `{url}`"))
        .map(Some)
}

#[derive(Serialize)]
struct StatusDoc {
    schema_version: u32,
    database: String,
    embedded: bool,
    records: u64,
    withdrawn: u64,
    updated: Option<String>,
    age_days: Option<u32>,
    stale: bool,
    sources: Vec<SourceDoc>,
    counts: Vec<CountDoc>,
}

#[derive(Serialize)]
struct SourceDoc {
    name: String,
    location: String,
    fetched_at: Option<String>,
    etag: Option<String>,
    records: u64,
}

#[derive(Serialize)]
struct CountDoc {
    ecosystem: String,
    kind: &'static str,
    records: u64,
}

fn status(args: &DbStatusArgs) -> miette::Result<ExitStatus> {
    let opened = super::advisories::open(args.db.as_deref())?;
    let now = super::scan::now()?;
    let status = opened.db.status().into_diagnostic().wrap_err("cannot read the advisory database")?;
    let info = super::advisories::describe(&opened, &status, now);
    let doc = StatusDoc {
        schema_version: 1,
        database: opened.name.clone(),
        embedded: opened.embedded,
        records: status.advisories,
        withdrawn: status.withdrawn,
        updated: info.updated.clone(),
        age_days: info.age_days,
        stale: info.stale,
        sources: status
            .sources
            .iter()
            .map(|s| SourceDoc {
                name: s.name.clone(),
                location: s.location.clone(),
                fetched_at: s.fetched_at.map(|t| t.to_string()),
                etag: s.etag.clone(),
                records: s.record_count,
            })
            .collect(),
        counts: status
            .counts
            .iter()
            .map(|c| CountDoc { ecosystem: c.ecosystem.clone(), kind: c.kind.as_str(), records: c.count })
            .collect(),
    };
    let text = match args.format {
        InventoryFormat::Json => {
            let mut s = serde_json::to_string_pretty(&doc).into_diagnostic()?;
            s.push('\n');
            s
        }
        InventoryFormat::Table => status_text(&doc),
    };
    super::write_output(None, text.as_bytes())?;
    if doc.stale {
        printer::warning(&format!(
            "the advisory database is {} days old; run `firebreak db update --source <osv export>`",
            doc.age_days.map_or_else(|| "of unknown age, or many".to_owned(), |d| d.to_string())
        ));
    }
    Ok(ExitStatus::Success)
}

fn status_text(doc: &StatusDoc) -> String {
    let mut out = format!(
        "database: {}{}\nrecords: {} ({} withdrawn)\nupdated: {}{}\n\nsources:\n",
        doc.database,
        if doc.embedded { " (built into this binary; `firebreak db update` replaces it)" } else { "" },
        doc.records,
        doc.withdrawn,
        doc.updated.as_deref().unwrap_or("unknown"),
        doc.age_days.map(|d| format!(" ({d} days ago)")).unwrap_or_default(),
    );
    for s in &doc.sources {
        out.push_str(&format!(
            "  {}  {} records  fetched {}{}\n",
            s.name,
            s.records,
            s.fetched_at.as_deref().unwrap_or("never"),
            if s.location != s.name { format!("  from {}", s.location) } else { String::new() },
        ));
    }
    out.push_str("\nrecords per ecosystem:\n");
    for c in &doc.counts {
        out.push_str(&format!("  {:<12} {:<14} {}\n", c.ecosystem, c.kind, c.records));
    }
    out
}
