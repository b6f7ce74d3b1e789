//! The input stage every command shares: paths -> discovery -> extraction -> one inventory,
//! with per-input errors collected rather than stopping the run.

use std::io::{IsTerminal, Read};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use camino::{Utf8Path, Utf8PathBuf};
use firebreak_core::Inventory;
use firebreak_lockfile::{
    Discovered, ExtractError, MAX_LOCKFILE_BYTES, NoFileSystem, RealFileSystem, Source, discover,
    extractor_by_hint,
};

use crate::cli::InputArgs;

/// One input that could not be read, kept for the report and the exit code.
#[derive(Debug)]
pub(crate) struct InputError {
    pub(crate) path: Utf8PathBuf,
    pub(crate) report: miette::Report,
}

/// Everything the input stage produced.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    pub(crate) inventory: Inventory,
    pub(crate) errors: Vec<InputError>,
    pub(crate) warnings: Vec<String>,
}

impl Loaded {
    fn fail(&mut self, path: &Utf8Path, report: impl Into<miette::Report>) {
        self.errors.push(InputError { path: path.to_owned(), report: report.into() });
    }
}

const STDIN_NAME: &str = "<stdin>";

/// Reads every input named on the command line.
pub(crate) fn load(input: &InputArgs, show_progress: bool) -> Loaded {
    let mut loaded = Loaded::default();
    let mut lockfiles: Vec<Discovered> = Vec::new();
    for path in &input.paths {
        if path.as_str() == "-" {
            load_stdin(input.format_hint.as_deref(), &mut loaded);
            continue;
        }
        let found = discover(path);
        for error in found.errors {
            let path = error.path().to_owned();
            loaded.fail(&path, error);
        }
        for (path, ecosystem) in found.unsupported {
            loaded.warnings.push(format!(
                "`{path}` is a {ecosystem} lockfile; firebreak does not read {ecosystem} yet, so its packages are not in the inventory"
            ));
        }
        for path in found.unclaimed {
            load_other_file(&path, &mut loaded);
        }
        if found.lockfiles.is_empty() && path.is_dir() {
            loaded.warnings.push(format!("no lockfile found under `{path}`"));
        }
        lockfiles.extend(found.lockfiles);
    }
    for result in extract_all(&lockfiles, show_progress) {
        match result {
            Ok(inventory) => loaded.inventory.extend(inventory),
            Err(error) => {
                let path = error.path().to_owned();
                loaded.fail(&path, error);
            }
        }
    }
    loaded
}

/// Extracts lockfiles on every core, keeping results in input order so output is
/// deterministic whatever the scheduling.
fn extract_all(lockfiles: &[Discovered], show_progress: bool) -> Vec<Result<Inventory, ExtractError>> {
    let results: Vec<Mutex<Option<Result<Inventory, ExtractError>>>> =
        lockfiles.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(lockfiles.len()).max(1);
    let progress = Progress::new(lockfiles.len() as u64, show_progress);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(found) = lockfiles.get(i) else { break };
                    let result = firebreak_lockfile::read_bounded(&found.path).and_then(|bytes| {
                        found.extractor.extract(&Source {
                            path: &found.path,
                            bytes: &bytes,
                            files: &RealFileSystem,
                        })
                    });
                    if let Ok(mut slot) = results[i].lock() {
                        *slot = Some(result);
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        while done.load(Ordering::Relaxed) < lockfiles.len() {
            progress.update(done.load(Ordering::Relaxed) as u64);
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    progress.finish();
    results
        .into_iter()
        .zip(lockfiles)
        .map(|(slot, found)| {
            slot.into_inner().ok().flatten().unwrap_or_else(|| {
                Err(ExtractError::Io {
                    path: found.path.clone(),
                    source: std::io::Error::other("extractor thread failed"),
                })
            })
        })
        .collect()
}

/// A progress bar on stderr that appears only when the run has taken a while and
/// stderr is a terminal: quick runs and pipes stay clean.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
}

impl Progress {
    fn new(total: u64, enabled: bool) -> Self {
        let enabled = enabled && std::io::stderr().is_terminal() && total > 1;
        let bar = enabled.then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(total),
                indicatif::ProgressDrawTarget::hidden(),
            );
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{spinner} reading lockfiles {pos}/{len} {wide_bar}")
            {
                bar.set_style(style);
            }
            bar
        });
        Progress { bar, started: Instant::now() }
    }

    fn update(&self, position: u64) {
        if let Some(bar) = &self.bar {
            if bar.is_hidden() && self.started.elapsed() > Duration::from_millis(300) {
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
            bar.set_position(position);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn load_stdin(hint: Option<&str>, loaded: &mut Loaded) {
    let stdin_path = Utf8Path::new(STDIN_NAME);
    let Some(hint) = hint else {
        loaded.fail(
            stdin_path,
            miette::miette!(
                help = "pass `--format-hint package-lock.json` (or another lockfile name, an extractor id, `cyclonedx` or `spdx`)",
                "reading stdin needs `--format-hint`: lockfile formats are told apart by file name"
            ),
        );
        return;
    };
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().take(MAX_LOCKFILE_BYTES + 1).read_to_end(&mut bytes) {
        loaded.fail(stdin_path, ExtractError::Io { path: stdin_path.to_owned(), source: e });
        return;
    }
    if bytes.len() as u64 > MAX_LOCKFILE_BYTES {
        loaded.fail(
            stdin_path,
            ExtractError::TooLarge {
                path: stdin_path.to_owned(),
                size: bytes.len() as u64,
                limit: MAX_LOCKFILE_BYTES,
            },
        );
        return;
    }
    if matches!(hint.to_ascii_lowercase().as_str(), "cyclonedx" | "spdx" | "sbom") {
        load_sbom(stdin_path, &bytes, loaded);
        return;
    }
    match extractor_by_hint(hint) {
        Some(extractor) => {
            match extractor.extract(&Source { path: stdin_path, bytes: &bytes, files: &NoFileSystem }) {
                Ok(inventory) => loaded.inventory.extend(inventory),
                Err(e) => loaded.fail(stdin_path, e),
            }
        }
        None => loaded.fail(
            stdin_path,
            miette::miette!(
                help = "use a lockfile name such as `pnpm-lock.yaml`, an extractor id such as `npm/package-lock`, or `cyclonedx`/`spdx`",
                "unknown `--format-hint` `{hint}`"
            ),
        ),
    }
}

/// A file named explicitly that no lockfile extractor claims: an SBOM, or an error.
fn load_other_file(path: &Utf8Path, loaded: &mut Loaded) {
    let bytes = match firebreak_lockfile::read_bounded(path) {
        Ok(bytes) => bytes,
        Err(e) => return loaded.fail(path, e),
    };
    if firebreak_sbom::looks_like_sbom(&bytes).is_some() {
        load_sbom(path, &bytes, loaded);
    } else {
        loaded.fail(path, ExtractError::UnknownFormat { path: path.to_owned() });
    }
}

fn load_sbom(path: &Utf8Path, bytes: &[u8], loaded: &mut Loaded) {
    match firebreak_sbom::read(bytes, path) {
        Ok(read) => {
            loaded.warnings.extend(read.warnings);
            loaded.inventory.extend(read.inventory);
        }
        Err(e) => loaded.fail(path, e),
    }
}
