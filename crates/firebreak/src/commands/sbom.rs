//! `firebreak sbom`: the dependency graph as CycloneDX 1.6 or SPDX 2.3 JSON.

use std::time::SystemTime;

use firebreak_sbom::{Options, Timestamp};

use crate::cli::{SbomArgs, SbomFormat};
use crate::exit::ExitStatus;
use crate::load::load;

/// The timestamp `--reproducible` uses when `SOURCE_DATE_EPOCH` is not set.
const REPRODUCIBLE_EPOCH: i64 = 0;

pub(super) fn run(args: &SbomArgs, progress: bool) -> miette::Result<ExitStatus> {
    let loaded = load(&args.input, progress);
    let status = super::report_inputs(&loaded);
    let source_date_epoch =
        std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.trim().parse::<i64>().ok());
    let timestamp = match source_date_epoch {
        Some(epoch) => Timestamp::from_unix(epoch),
        None if args.reproducible => Timestamp::from_unix(REPRODUCIBLE_EPOCH),
        None => Timestamp::from_unix(
            SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64),
        ),
    };
    let mut options =
        Options::new(env!("CARGO_PKG_VERSION"), timestamp).name(&project_name(&args.input.paths));
    if args.reproducible {
        options = options.reproducible();
    }
    let text = match args.format {
        SbomFormat::Cyclonedx => firebreak_sbom::cyclonedx::write(&loaded.inventory, &options),
        SbomFormat::Spdx => firebreak_sbom::spdx::write(&loaded.inventory, &options),
    };
    super::write_output(args.output.as_deref(), text.as_bytes())?;
    if let Some(path) = &args.output {
        crate::printer::status(&format!("wrote {} components to `{path}`", loaded.inventory.packages.len()));
    }
    Ok(status)
}

/// The project's name for a document with several roots: the directory scanned, or the
/// directory holding the lockfile named.
fn project_name(inputs: &[camino::Utf8PathBuf]) -> String {
    let name = inputs.first().and_then(|input| {
        let dir = if input.extension().is_some() { input.parent()? } else { input.as_path() };
        dir.file_name().map(str::to_owned)
    });
    name.unwrap_or_else(|| "project".to_owned())
}
