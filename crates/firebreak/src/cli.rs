use camino::Utf8PathBuf;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// firebreak: a software supply-chain defense.
///
/// Reads every lockfile in a repository (npm, yarn, pnpm, bun, Cargo, PyPI, Go) into one
/// dependency graph and writes it out as a table, JSON, or a CycloneDX/SPDX SBOM.
#[derive(Debug, Parser)]
#[command(name = "firebreak", version, propagate_version = true, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// When to colour output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true, env = "FIREBREAK_COLOR")]
    pub(crate) color: ColorChoice,
    /// Print only errors.
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Read lockfiles (or SBOMs) into one dependency graph and list it.
    Inventory(InventoryArgs),
    /// Write the dependency graph as a CycloneDX 1.6 or SPDX 2.3 JSON SBOM.
    Sbom(SbomArgs),
    /// Check every package against advisories and lockfile hygiene, decide by the
    /// policy, and report. Exit 0: nothing blocked; 1: the policy blocked; 2: an error.
    Scan(ScanArgs),
    /// Check one package version against every registry signal and advisory, and explain
    /// the verdict: `axios@1.14.1`, `pypi:requests@2.31.0`, `cargo:serde@1.0.0`, or a purl.
    /// Exit 0: allowed; 1: the policy blocks it; 2: an error.
    Check(CheckArgs),
    /// Write a commented default policy file (`firebreak.toml`).
    Init(InitArgs),
    /// Manage the advisory database: import OSV exports, show what it holds.
    #[command(subcommand)]
    Db(DbCommand),
    /// Print the documentation of a signal (a finding's id), or list them all.
    Explain(ExplainArgs),
    /// Analyse a package's contents without running them: what it can do at install time
    /// and at run time, and a verdict (malicious, suspicious, clean). Takes an archive
    /// (.tgz, .tar.gz, .zip, .whl, .crate), an unpacked package directory, or a registry
    /// package (`axios@1.14.1`, `pypi:requests@2.31.0`, `pkg:cargo/serde@1.0.0`), whose
    /// archive is downloaded and checked against the registry's digest before it is read.
    /// Exit 0: nothing blocked; 1: the policy blocks the verdict (`[content] block`, by
    /// default malicious); 2: an error.
    Inspect(InspectArgs),
    /// Compare two releases of a package: files, manifest, and what the new one can do
    /// that the old one could not. Each side is an archive, a directory or a registry
    /// package (`axios@1.14.0 axios@1.14.1`). Exit 0: nothing blocked; 1: the policy blocks
    /// the new release's verdict, scored with its capability delta (`[content] block`, by
    /// default malicious); 2: an error.
    Diff(DiffArgs),
    /// Run a registry proxy that serves only what the policy allows: blocked versions
    /// are removed from package documents and their downloads refused with the reason.
    /// Clients use `registry=http://ADDR/npm/` (npm) or the sparse index
    /// `sparse+http://ADDR/cargo/index/` (cargo). Runs until SIGINT or SIGTERM; SIGHUP
    /// re-reads the policy file.
    Proxy(ProxyArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ProxyArgs {
    /// Address to listen on (`127.0.0.1:4873`; port 0 picks a free port). The proxy
    /// prints `firebreak proxy listening on http://IP:PORT` to stderr once it accepts
    /// connections.
    #[arg(long, value_name = "ADDR")]
    pub(crate) listen: std::net::SocketAddr,
    /// The policy file; by default `firebreak.toml` in the current directory, else the
    /// built-in defaults.
    #[arg(long, value_name = "FILE", env = "FIREBREAK_CONFIG")]
    pub(crate) config: Option<Utf8PathBuf>,
    /// Where upstream documents and verified artifacts are cached (default: the user's
    /// cache directory).
    #[arg(long, value_name = "DIR")]
    pub(crate) cache_dir: Option<Utf8PathBuf>,
    /// The upstream npm registry.
    #[arg(long, value_name = "URL", default_value = "https://registry.npmjs.org/")]
    pub(crate) npm_upstream: String,
    /// The upstream PyPI simple index.
    #[arg(long, value_name = "URL", default_value = "https://pypi.org/simple/")]
    pub(crate) pypi_upstream: String,
    /// The upstream crates.io sparse index.
    #[arg(long, value_name = "URL", default_value = "https://index.crates.io/")]
    pub(crate) cargo_upstream: String,
    /// The upstream crates.io web API, asked for the publish times of index entries
    /// that carry no `pubtime`.
    #[arg(long, value_name = "URL", default_value = "https://crates.io/")]
    pub(crate) cargo_api_upstream: String,
    /// Append one JSON line per decision to this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) audit_log: Option<Utf8PathBuf>,
    /// Extra CA certificates (PEM) trusted for the upstream connections, on top of the
    /// system's (a corporate TLS-inspecting proxy).
    #[arg(long, value_name = "FILE")]
    pub(crate) extra_ca: Option<Utf8PathBuf>,
    /// Serve HTTPS with this certificate chain (PEM); needs `--tls-key`.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub(crate) tls_cert: Option<Utf8PathBuf>,
    /// The private key (PEM) of `--tls-cert`.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<Utf8PathBuf>,
    /// The advisory database (see `scan --db`).
    #[arg(long, value_name = "FILE", env = "FIREBREAK_DB")]
    pub(crate) db: Option<Utf8PathBuf>,
    /// Send clients' `Authorization` headers upstream instead of the credentials from
    /// the user's configuration (documents are then cached per credential).
    #[arg(long)]
    pub(crate) forward_authorization: bool,
}

/// Output formats of `inspect` and `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum InspectFormat {
    /// A verdict, its reasons and the capabilities per phase.
    Human,
    /// The full analysis.
    Json,
    /// SARIF 2.1.0: one result per finding, located at its file and line in the package
    /// (for `diff`: the new release's findings and the delta's).
    Sarif,
}

/// Ecosystems whose packages `inspect` and `diff` fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PackageEcosystem {
    Npm,
    Pypi,
    Cargo,
}

/// Where `inspect` and `diff` find registry packages.
#[derive(Debug, Args)]
pub(crate) struct FetchArgs {
    /// The ecosystem of `name@version` arguments without a prefix (`pypi:`, `cargo:`,
    /// `pkg:…` name theirs). Paths that exist are always read from disk.
    #[arg(long, value_enum, default_value_t = PackageEcosystem::Npm)]
    pub(crate) ecosystem: PackageEcosystem,
    /// The PyPI file to analyse (`name-1.0-cp312-cp312-manylinux_2_17_x86_64.whl`). By
    /// default the source distribution, else a pure-Python wheel (`*-none-any.whl`).
    #[arg(long, value_name = "NAME")]
    pub(crate) file: Option<String>,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// Package archives (npm .tgz, PyPI sdist .tar.gz/.zip or wheel, .crate), unpacked
    /// package directories, or registry packages (`axios@1.14.1`, `pypi:requests@2.31.0`,
    /// `pkg:npm/axios@1.14.0`; without a version, the latest release).
    #[arg(value_name = "PATH|PKG@VERSION", required = true)]
    pub(crate) paths: Vec<String>,
    /// The digest the registry lists for the archive (`sha512-…` SRI, or hex sha256 as
    /// PyPI and crates.io give it): checked before anything is unpacked.
    #[arg(long, value_name = "DIGEST")]
    pub(crate) integrity: Option<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = InspectFormat::Human)]
    pub(crate) format: InspectFormat,
    /// Write the report to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<Utf8PathBuf>,
    /// Also list every finding, not only the reasons for the verdict (human format).
    #[arg(long, short = 'v')]
    pub(crate) verbose: bool,
    /// The policy file whose `[content] block`, `[signals]` and `[[ignore]]` decide the
    /// exit code; by default `firebreak.toml` in the current directory, else the defaults.
    #[arg(long, value_name = "FILE", env = "FIREBREAK_CONFIG")]
    pub(crate) config: Option<Utf8PathBuf>,
    /// Exit 0 even when the policy blocks (errors still exit 2).
    #[arg(long)]
    pub(crate) exit_zero: bool,
    /// YARA rules to run beside the built-in set: a `.yar`/`.yara` file, or a directory
    /// whose `.yar` and `.yara` files are all read (repeatable). A file that does not
    /// compile is reported with its line and the run exits 2 after the rest.
    #[arg(long, value_name = "PATH")]
    pub(crate) rules: Vec<Utf8PathBuf>,
    #[command(flatten)]
    pub(crate) fetch: FetchArgs,
}

#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// The older release (an archive, an unpacked package directory or `name@version`).
    #[arg(value_name = "OLD")]
    pub(crate) old: String,
    /// The newer release.
    #[arg(value_name = "NEW")]
    pub(crate) new: String,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = InspectFormat::Human)]
    pub(crate) format: InspectFormat,
    /// Write the report to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<Utf8PathBuf>,
    /// YARA rules to run beside the built-in set: a `.yar`/`.yara` file, or a directory
    /// whose `.yar` and `.yara` files are all read (repeatable). A file that does not
    /// compile is reported with its line and the run exits 2 after the rest.
    #[arg(long, value_name = "PATH")]
    pub(crate) rules: Vec<Utf8PathBuf>,
    /// The policy file whose `[content] block`, `[signals]` and `[[ignore]]` decide the
    /// exit code from the newer release's verdict (its capability delta included); by
    /// default `firebreak.toml` in the current directory, else the defaults.
    #[arg(long, value_name = "FILE", env = "FIREBREAK_CONFIG")]
    pub(crate) config: Option<Utf8PathBuf>,
    /// Exit 0 even when the policy blocks (errors still exit 2).
    #[arg(long)]
    pub(crate) exit_zero: bool,
    #[command(flatten)]
    pub(crate) fetch: FetchArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The signal id (`known-malicious`, `lockfile-untrusted-host` …).
    pub(crate) id: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ScanFormat::Human)]
    pub(crate) format: ScanFormat,
    /// Write the report to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<Utf8PathBuf>,
    /// The policy file; by default `firebreak.toml` in the first scanned directory, else
    /// the built-in defaults.
    #[arg(long, value_name = "FILE", env = "FIREBREAK_CONFIG")]
    pub(crate) config: Option<Utf8PathBuf>,
    /// The advisory database (a SQLite file written by `firebreak db update`); by default
    /// the one in the data directory, else the snapshot built into the binary.
    #[arg(long, value_name = "FILE", env = "FIREBREAK_DB")]
    pub(crate) db: Option<Utf8PathBuf>,
    /// Also list findings the policy ignored (human format).
    #[arg(long)]
    pub(crate) show_ignored: bool,
    /// Exit 0 even when the policy blocks (for pipelines that upload SARIF and gate
    /// elsewhere); errors still exit 2.
    #[arg(long)]
    pub(crate) exit_zero: bool,
    /// Skip the registry signals (publishing trust, anomalies, cooldown): advisories and
    /// lockfile hygiene only, no network.
    #[arg(long, env = "FIREBREAK_NO_REGISTRY", value_parser = clap::builder::FalseyValueParser::new())]
    pub(crate) no_registry: bool,
    /// Also analyse the contents of every registry package: download its archive (within
    /// the policy's `[content] budget`), check it against the registry's digest, read it
    /// without running it, and report `malicious-content` / `suspicious-content`. Verdicts
    /// are cached by archive digest. `[content] deep = true` makes it the default.
    #[arg(long)]
    pub(crate) deep: bool,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Package versions: `axios@1.14.1`, `@scope/name@1.0.0`, `pypi:requests@2.31.0`,
    /// `cargo:serde@1.0.0`, `pkg:npm/axios@1.14.1`. Without a version, the highest release.
    #[arg(value_name = "PKG@VERSION", required = true)]
    pub(crate) packages: Vec<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ScanFormat::Human)]
    pub(crate) format: ScanFormat,
    /// Write the report to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<Utf8PathBuf>,
    /// The policy file; by default `firebreak.toml` in the current directory, else the
    /// built-in defaults.
    #[arg(long, value_name = "FILE", env = "FIREBREAK_CONFIG")]
    pub(crate) config: Option<Utf8PathBuf>,
    /// The advisory database (see `scan --db`).
    #[arg(long, value_name = "FILE", env = "FIREBREAK_DB")]
    pub(crate) db: Option<Utf8PathBuf>,
    /// Also list findings the policy ignored (human format).
    #[arg(long)]
    pub(crate) show_ignored: bool,
    /// Skip content analysis (by default `check` downloads each version's archive,
    /// verifies it and analyses it).
    #[arg(long)]
    pub(crate) no_content: bool,
    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
}

/// Where registry documents come from. Registry URLs and credentials are read from the
/// user's own configuration (`.npmrc`, pip's config and `PIP_INDEX_URL`, cargo's config).
#[derive(Debug, Args)]
pub(crate) struct RegistryArgs {
    /// Use only the registry cache, never the network; packages not in it are reported as
    /// not checked.
    #[arg(long, env = "FIREBREAK_OFFLINE", value_parser = clap::builder::FalseyValueParser::new())]
    pub(crate) offline: bool,
    /// Override a registry: `npm=URL`, `pypi=URL` (the JSON API base), `cargo=URL` (a
    /// sparse index). Repeatable.
    #[arg(long = "registry", value_name = "ECOSYSTEM=URL")]
    pub(crate) registries: Vec<String>,
    /// The registry cache directory; by default `$XDG_CACHE_HOME/firebreak/registry`.
    #[arg(long, value_name = "DIR", env = "FIREBREAK_CACHE_DIR")]
    pub(crate) cache_dir: Option<Utf8PathBuf>,
    /// Send at most this many registry requests in one run.
    #[arg(long, value_name = "N", default_value_t = 20_000)]
    pub(crate) max_requests: u32,
    /// Registry requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub(crate) jobs: usize,
    /// Reuse a cached registry document younger than this many seconds without asking the
    /// registry; 0 revalidates every document.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub(crate) max_age: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ScanFormat {
    /// rustc-style text and a summary line.
    Human,
    /// The versioned JSON report (`schema_version` 1).
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// Markdown, for pull-request comments and job summaries.
    Markdown,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Where to write it (a directory or a file path).
    #[arg(value_name = "PATH", default_value = ".")]
    pub(crate) path: Utf8PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct InputArgs {
    /// Directories to walk (honouring .gitignore), lockfiles, CycloneDX/SPDX JSON files,
    /// or `-` for stdin (with `--format-hint`).
    #[arg(value_name = "PATH", default_value = ".")]
    pub(crate) paths: Vec<Utf8PathBuf>,
    /// The format of stdin input: an extractor id (`npm/package-lock`), a lockfile name
    /// (`yarn.lock`), `cyclonedx` or `spdx`.
    #[arg(long, value_name = "HINT")]
    pub(crate) format_hint: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct InventoryArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = InventoryFormat::Table)]
    pub(crate) format: InventoryFormat,
    /// Write the output to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<Utf8PathBuf>,
    /// Explain why packages with this name are present: the shortest chain from a root.
    #[arg(long, value_name = "NAME")]
    pub(crate) why: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum InventoryFormat {
    /// A readable table and a summary line.
    Table,
    /// The versioned JSON document (`schema_version` 1).
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct SbomArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// SBOM standard to write.
    #[arg(long, short = 'f', value_enum, default_value_t = SbomFormat::Cyclonedx)]
    pub(crate) format: SbomFormat,
    /// Write the SBOM to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<Utf8PathBuf>,
    /// Fix the timestamp and derive the serial number from the content, so the same
    /// input gives byte-identical output. Uses `SOURCE_DATE_EPOCH` when set.
    #[arg(long)]
    pub(crate) reproducible: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SbomFormat {
    /// CycloneDX 1.6 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    Spdx,
}

#[derive(Debug, Subcommand)]
pub(crate) enum DbCommand {
    /// Import an OSV export into the database: a directory of OSV JSON files (the layout of
    /// ossf/malicious-packages or github/advisory-database), an osv.dev `all.zip`, or a
    /// single record, from a path or an http(s) URL. URLs are fetched with the validators
    /// of the last download, so an unchanged export is not downloaded again.
    Update(DbUpdateArgs),
    /// Show the database's sources, record counts per ecosystem and kind, and age.
    Status(DbStatusArgs),
}

#[derive(Debug, Args)]
pub(crate) struct DbUpdateArgs {
    /// Paths or URLs to import (repeatable).
    #[arg(long, short = 's', value_name = "PATH|URL", required = true)]
    pub(crate) source: Vec<String>,
    /// The database file (created if missing); by default in the data directory.
    #[arg(long, value_name = "FILE", env = "FIREBREAK_DB")]
    pub(crate) db: Option<Utf8PathBuf>,
    /// Download at most this many bytes per URL.
    #[arg(long, value_name = "BYTES", default_value_t = 2 * 1024 * 1024 * 1024)]
    pub(crate) max_download: u64,
}

#[derive(Debug, Args)]
pub(crate) struct DbStatusArgs {
    /// The database file; by default the one in the data directory, else the embedded
    /// snapshot.
    #[arg(long, value_name = "FILE", env = "FIREBREAK_DB")]
    pub(crate) db: Option<Utf8PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = InventoryFormat::Table)]
    pub(crate) format: InventoryFormat,
}
