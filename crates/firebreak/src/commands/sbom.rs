//! `firebreak sbom`: the dependency graph as CycloneDX 1.6 or SPDX 2.3 JSON.

use std::time::{Duration, SystemTime};

use crate::cli::{SbomArgs, SbomFormat};
use crate::exit::ExitStatus;
use crate::load::load;

/// The timestamp `--reproducible` uses when `SOURCE_DATE_EPOCH` is not set.
const REPRODUCIBLE_EPOCH: u64 = 0;

pub(super) fn run(args: &SbomArgs, progress: bool) -> miette::Result<ExitStatus> {
    let loaded = load(&args.input, progress);
    let status = super::report_inputs(&loaded);
    let timestamp = if args.reproducible {
        let epoch = std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .unwrap_or(REPRODUCIBLE_EPOCH);
        SystemTime::UNIX_EPOCH + Duration::from_secs(epoch)
    } else {
        SystemTime::now()
    };
    let options = firebreak_sbom::Options {
        tool_name: "firebreak".to_owned(),
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        timestamp: humantime::format_rfc3339_seconds(timestamp).to_string(),
        reproducible: args.reproducible,
    };
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
