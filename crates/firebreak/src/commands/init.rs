//! `firebreak init`: writes the commented default policy.

use miette::{IntoDiagnostic, WrapErr};

use crate::cli::InitArgs;
use crate::exit::ExitStatus;
use crate::printer;

pub(super) fn run(args: &InitArgs) -> miette::Result<ExitStatus> {
    let path =
        if args.path.is_dir() { args.path.join(firebreak_policy::FILE_NAME) } else { args.path.clone() };
    if path.exists() && !args.force {
        return Err(miette::miette!(
            help = "pass `--force` to overwrite it, or edit it",
            "`{path}` already exists"
        ));
    }
    fs_err::write(&path, firebreak_policy::DEFAULT_POLICY)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot write `{path}`"))?;
    printer::status(&format!("wrote `{path}`"));
    Ok(ExitStatus::Success)
}
