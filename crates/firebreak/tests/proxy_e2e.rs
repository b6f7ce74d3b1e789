//! The real package managers (npm, pnpm, pip, cargo) against the end-to-end fixture upstream
//! (fixtures/proxy, served on 127.0.0.1 with release times relative to now).
//!
//! Each scenario takes the [`Registries`] the clients are pointed at: [`direct`] gives the
//! fixture upstream itself, and [`start_proxy`] puts `firebreak proxy` in front of it, so a
//! scenario runs through the proxy by changing that one call. Straight from the upstream
//! the clients install the young releases (axios 1.14.1 with plain-crypto-js, detectkit
//! 1.4.3, logwise 0.3.3): that proves the fixture sets the trap a three-day cooldown must
//! catch.
//!
//! Every client runs with scripts disabled, a fresh cache and configuration in a temporary
//! directory, and only 127.0.0.1 to talk to. A missing client is a failure that says which,
//! never a skipped test.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use firebreak_test::{FixtureRegistry, Outage};
use serde_json::Value;

// ---------------------------------------------------------------------------------------
// Where the clients are pointed

/// The registry URLs the clients are given.
#[derive(Debug, Clone)]
struct Registries {
    /// npm and pnpm `registry=`.
    npm: String,
    /// pip `--index-url` (a PEP 503/691 simple index).
    pypi_simple: String,
    /// cargo `sparse+` index URL (without the `sparse+`).
    cargo_index: String,
}

fn upstream() -> FixtureRegistry {
    FixtureRegistry::start(firebreak_test::proxy_fixtures())
}

/// The fixture upstream itself.
fn direct(up: &FixtureRegistry) -> Registries {
    Registries {
        npm: up.npm_url(),
        pypi_simple: format!("{}simple/", up.pypi_url()),
        cargo_index: up.crates_index_url(),
    }
}

/// A running `firebreak proxy` in front of a fixture upstream; killed when dropped.
struct ProxyHandle {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    origin: String,
    /// Config, cache and audit log.
    dir: tempfile::TempDir,
    /// Everything the proxy wrote to stderr so far.
    stderr: Arc<Mutex<Vec<String>>>,
}

impl ProxyHandle {
    /// The proxy's routes, as its contract gives them.
    fn registries(&self) -> Registries {
        Registries {
            npm: format!("{}/npm/", self.origin),
            pypi_simple: format!("{}/pypi/simple/", self.origin),
            cargo_index: format!("{}/cargo/index/", self.origin),
        }
    }

    /// The audit log, one JSON object a line.
    fn audit_log(&self) -> String {
        fs_err::read_to_string(self.dir.path().join("audit.jsonl")).unwrap_or_default()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().map(|l| l.join("\n")).unwrap_or_default()
    }
}

impl Drop for ProxyHandle {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `firebreak proxy` on a free port in front of `up`, with `policy` as its
/// `firebreak.toml`, and waits for its `firebreak proxy listening on http://IP:PORT` line.
fn start_proxy(up: &FixtureRegistry, policy: &str) -> ProxyHandle {
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = dir.path().join("firebreak.toml");
    fs_err::write(&config, policy).expect("write the policy");
    let mut child = Command::new(env!("CARGO_BIN_EXE_firebreak"))
        .current_dir(dir.path())
        .arg("proxy")
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--config")
        .arg(&config)
        .arg("--cache-dir")
        .arg(dir.path().join("cache"))
        .arg("--npm-upstream")
        .arg(up.npm_url())
        .arg("--pypi-upstream")
        .arg(format!("{}simple/", up.pypi_url()))
        .arg("--cargo-upstream")
        .arg(up.crates_index_url())
        .arg("--cargo-api-upstream")
        .arg(up.crates_api_url())
        .arg("--audit-log")
        .arg(dir.path().join("audit.jsonl"))
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("XDG_CACHE_HOME", dir.path().join("xdg-cache"))
        .env("FIREBREAK_NO_REGISTRY", "1")
        .env_remove("FIREBREAK_CONFIG")
        .env_remove("FIREBREAK_TODAY")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn firebreak proxy");
    let stderr = child.stderr.take().expect("piped stderr");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(origin) = line.strip_prefix("firebreak proxy listening on ") {
                let _ = tx.send(origin.trim().to_owned());
            }
            if let Ok(mut l) = sink.lock() {
                l.push(line);
            }
        }
    });
    let origin = match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(origin) => origin,
        Err(_) => {
            let _ = child.kill();
            let status = child.wait().ok();
            let said = lines.lock().map(|l| l.join("\n")).unwrap_or_default();
            panic!(
                "firebreak proxy did not say where it listens within 30 s (exit: {status:?}); stderr:\n{said}"
            );
        }
    };
    ProxyHandle { child, origin, dir, stderr: lines }
}

// ---------------------------------------------------------------------------------------
// The clients

/// A client program from PATH, or a failure that says what is missing.
fn tool(names: &[&str]) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in names {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "`{}` not found on PATH: the proxy end-to-end tests run the real package managers \
         (npm, pnpm, pip, cargo); install it (.ci/run installs pnpm with `npm install -g`)",
        names.join("` or `")
    );
}

/// One client run: exit code and everything it printed.
struct ClientRun {
    what: String,
    code: Option<i32>,
    output: String,
}

impl ClientRun {
    fn assert_ok(&self) -> &Self {
        assert_eq!(self.code, Some(0), "{} failed:\n{}", self.what, self.output);
        self
    }

    fn assert_failed(&self) -> &Self {
        assert!(self.code.is_some_and(|c| c != 0), "{} should have failed:\n{}", self.what, self.output);
        self
    }
}

/// Runs a client with a clean environment: nothing from the developer's registry
/// configuration, HOME in the scratch directory, no CI detection.
fn run_client(what: String, mut cmd: Command, home: &Path) -> ClientRun {
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        let upper = key.to_ascii_uppercase();
        if upper.starts_with("NPM_CONFIG_") || upper.starts_with("PNPM_") || upper.starts_with("PIP_") {
            cmd.env_remove(&key);
        }
    }
    for var in
        ["CI", "CARGO_TARGET_DIR", "RUSTFLAGS", "CARGO_BUILD_TARGET", "CARGO_REGISTRIES_CRATES_IO_PROTOCOL"]
    {
        cmd.env_remove(var);
    }
    // Anything not meant for 127.0.0.1 goes to a proxy that refuses connections, so a
    // misconfigured client fails here instead of reaching a real registry.
    for var in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"] {
        cmd.env(var, "http://127.0.0.1:9");
    }
    for var in ["NO_PROXY", "no_proxy"] {
        cmd.env(var, "127.0.0.1,localhost");
    }
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .stdin(Stdio::null());
    let started = Instant::now();
    let out = cmd.output().unwrap_or_else(|e| panic!("run {what}: {e}"));
    let output = format!(
        "--- stdout\n{}\n--- stderr\n{}\n--- {:.1} s",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        started.elapsed().as_secs_f64()
    );
    ClientRun { what, code: out.status.code(), output }
}

/// A scratch project: `project/` holds the manifest, `home/` the client's caches and config.
struct Workspace {
    root: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Workspace {
        let root = tempfile::tempdir().expect("temporary directory");
        fs_err::create_dir_all(root.path().join("project")).expect("project directory");
        fs_err::create_dir_all(root.path().join("home")).expect("home directory");
        Workspace { root }
    }

    fn project(&self) -> PathBuf {
        self.root.path().join("project")
    }

    fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }

    fn write(&self, name: &str, text: &str) {
        fs_err::write(self.project().join(name), text).expect("write a project file");
    }

    /// Empties the clients' caches, so the next run has to ask the registry again.
    fn forget_caches(&self) {
        let _ = fs_err::remove_dir_all(self.home());
        fs_err::create_dir_all(self.home()).expect("home directory");
        for generated in
            ["node_modules", "package-lock.json", "pnpm-lock.yaml", "Cargo.lock", "site-packages"]
        {
            let path = self.project().join(generated);
            if path.is_dir() {
                let _ = fs_err::remove_dir_all(&path);
            } else {
                let _ = fs_err::remove_file(&path);
            }
        }
    }
}

fn package_json(deps: &[(&str, &str)]) -> String {
    let deps: serde_json::Map<String, Value> =
        deps.iter().map(|(n, r)| ((*n).to_owned(), Value::String((*r).to_owned()))).collect();
    serde_json::json!({"name": "e2e-project", "version": "1.0.0", "private": true, "dependencies": deps})
        .to_string()
}

/// `npm <args>` in the project, scripts off, its own cache and an otherwise empty config.
fn npm(ws: &Workspace, reg: &Registries, args: &[&str]) -> ClientRun {
    let home = ws.home();
    let npmrc = home.join("npmrc");
    fs_err::write(&npmrc, format!("registry={}\n", reg.npm)).expect("write npmrc");
    let mut cmd = Command::new(tool(&["npm"]));
    cmd.current_dir(ws.project())
        .args(args)
        .args(["--ignore-scripts", "--no-audit", "--no-fund", "--no-update-notifier", "--fetch-retries=0"])
        .arg(format!("--registry={}", reg.npm))
        .arg(format!("--userconfig={}", npmrc.display()))
        .arg(format!("--globalconfig={}", home.join("global-npmrc").display()))
        .arg(format!("--cache={}", home.join("npm-cache").display()))
        .env("NPM_CONFIG_USERCONFIG", &npmrc);
    run_client(format!("npm {}", args.join(" ")), cmd, &home)
}

/// `pnpm install` in the project, scripts off, its own store and cache.
fn pnpm_install(ws: &Workspace, reg: &Registries) -> ClientRun {
    let home = ws.home();
    let npmrc = home.join("npmrc");
    fs_err::write(&npmrc, format!("registry={}\n", reg.npm)).expect("write npmrc");
    let mut cmd = Command::new(tool(&["pnpm"]));
    cmd.current_dir(ws.project())
        .args(["install", "--ignore-scripts", "--no-frozen-lockfile", "--reporter=append-only"])
        .arg(format!("--registry={}", reg.npm))
        .arg(format!("--store-dir={}", home.join("pnpm-store").display()))
        .arg(format!("--config.cache-dir={}", home.join("pnpm-cache").display()))
        .arg("--config.update-notifier=false")
        // pnpm's own cooldown stays off: the policy under test is the proxy's.
        .arg("--config.minimum-release-age=0")
        .arg("--config.fetch-retries=0")
        .env("NPM_CONFIG_USERCONFIG", &npmrc);
    run_client("pnpm install".to_owned(), cmd, &home)
}

/// `pip install --no-deps --target <project>/site-packages REQUIREMENT`, no cache, no config.
fn pip_install(ws: &Workspace, reg: &Registries, requirement: &str) -> ClientRun {
    let home = ws.home();
    let mut cmd = Command::new(tool(&["pip", "pip3"]));
    cmd.current_dir(ws.project())
        .args(["install", "--no-deps", "--no-cache-dir", "--disable-pip-version-check", "--no-input"])
        .args(["--only-binary=:all:", "--root-user-action=ignore", "--retries=0", "--timeout=10"])
        .arg("--target")
        .arg(ws.project().join("site-packages"))
        .arg("--index-url")
        .arg(&reg.pypi_simple)
        .arg(requirement)
        .env("PIP_CONFIG_FILE", if cfg!(windows) { "NUL" } else { "/dev/null" });
    run_client(format!("pip install {requirement}"), cmd, &home)
}

/// `cargo fetch` of a crate depending on `dependency` (`logwise = "0.3"`), crates.io
/// replaced by the registry in a fresh CARGO_HOME.
fn cargo_fetch(ws: &Workspace, reg: &Registries, dependency: &str) -> ClientRun {
    let home = ws.home();
    let cargo_home = home.join("cargo");
    fs_err::create_dir_all(&cargo_home).expect("CARGO_HOME");
    fs_err::write(
        cargo_home.join("config.toml"),
        format!(
            "[source.crates-io]\nreplace-with = \"under-test\"\n\n[source.under-test]\nregistry = \"sparse+{}\"\n\n\
             [net]\nretry = 0\n\n[http]\ntimeout = 10\n",
            reg.cargo_index
        ),
    )
    .expect("write cargo config");
    fs_err::create_dir_all(ws.project().join("src")).expect("src");
    ws.write("src/lib.rs", "");
    ws.write(
        "Cargo.toml",
        &format!(
            "[package]\nname = \"e2e-consumer\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [dependencies]\n{dependency}\n\n[workspace]\n"
        ),
    );
    let mut cmd = Command::new(tool(&["cargo"]));
    cmd.current_dir(ws.project())
        .args(["fetch", "--manifest-path", "Cargo.toml"])
        .env("CARGO_HOME", &cargo_home);
    run_client(format!("cargo fetch ({dependency})"), cmd, &home)
}

// ---------------------------------------------------------------------------------------
// What got installed

/// `name -> version` of every package under `node_modules/` (read from each package.json;
/// nothing installed is run).
fn npm_installed(ws: &Workspace) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let root = ws.project().join("node_modules");
    let Ok(entries) = fs_err::read_dir(&root) else { return out };
    let mut dirs = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('@') {
            for scoped in fs_err::read_dir(entry.path()).into_iter().flatten().filter_map(Result::ok) {
                dirs.push(scoped.path());
            }
        } else if !name.starts_with('.') {
            dirs.push(entry.path());
        }
    }
    for dir in dirs {
        let Ok(text) = fs_err::read_to_string(dir.join("package.json")) else { continue };
        let Ok(manifest) = serde_json::from_str::<Value>(&text) else { continue };
        if let (Some(name), Some(version)) = (manifest["name"].as_str(), manifest["version"].as_str()) {
            out.insert(name.to_owned(), version.to_owned());
        }
    }
    out
}

/// The `name@version` directories pnpm wrote into its virtual store (`@scope+name@1.0.0`).
fn pnpm_installed(ws: &Workspace) -> Vec<String> {
    let mut out: Vec<String> = fs_err::read_dir(ws.project().join("node_modules/.pnpm"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains('@') && n != "lock.yaml")
        .collect();
    out.sort();
    out
}

/// The `*.dist-info` directories pip installed.
fn pip_installed(ws: &Workspace) -> Vec<String> {
    let mut out: Vec<String> = fs_err::read_dir(ws.project().join("site-packages"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".dist-info").map(str::to_owned))
        .collect();
    out.sort();
    out
}

/// The versions of `name` in the Cargo.lock cargo wrote, and whether each `.crate` file is
/// in the download cache.
fn cargo_locked(ws: &Workspace, name: &str) -> Vec<(String, bool)> {
    let lock = fs_err::read_to_string(ws.project().join("Cargo.lock")).unwrap_or_default();
    let mut out = Vec::new();
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{name}\"")
            && let Some(version) = lines.next().and_then(|l| l.trim().strip_prefix("version = \""))
        {
            let version = version.trim_end_matches('"').to_owned();
            let file = format!("{name}-{version}.crate");
            let cached =
                walk_files(&ws.home().join("cargo/registry/cache")).iter().any(|p| p.ends_with(&file));
            out.push((version, cached));
        }
    }
    out
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs_err::read_dir(dir).into_iter().flatten().filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk_files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A package-lock.json (v3) that pins `name@version` to its registry tarball, with the
/// integrity recorded in the fixture packument. npm ci reads it without asking for the
/// packument and fetches the tarball from the configured registry (npm moves
/// `registry.npmjs.org` URLs there), which is what a locked project does behind a proxy.
fn lock_pinning(name: &str, version: &str) -> String {
    let packument = firebreak_test::proxy_fixtures().join("registry.npmjs.org").join(name).join("index.json");
    let doc: Value = serde_json::from_str(&fs_err::read_to_string(&packument).expect("fixture packument"))
        .expect("fixture packument is JSON");
    let dist = &doc["versions"][version]["dist"];
    serde_json::json!({
        "name": "e2e-project",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": true,
        "packages": {
            "": {"name": "e2e-project", "version": "1.0.0", "dependencies": {name: version}},
            format!("node_modules/{name}"): {
                "version": version,
                "resolved": dist["tarball"],
                "integrity": dist["integrity"],
                "license": "MIT",
            },
        },
    })
    .to_string()
}

const POSTINSTALL_ECHO: &str = "plain-crypto-js postinstall would run here";

// ---------------------------------------------------------------------------------------
// Straight from the upstream: the trap is set

#[test]
fn npm_from_the_upstream_installs_the_young_axios_and_its_new_dependency() {
    let up = upstream();
    let ws = Workspace::new();
    ws.write(
        "package.json",
        &package_json(&[("axios", "^1.14.0"), ("@tootallnate/once", ">=2"), ("ms", "2.1.3")]),
    );
    let run = npm(&ws, &direct(&up), &["install"]);
    run.assert_ok();
    let installed = npm_installed(&ws);
    assert_eq!(installed.get("axios").map(String::as_str), Some("1.14.1"), "{installed:?}\n{}", run.output);
    assert_eq!(installed.get("plain-crypto-js").map(String::as_str), Some("4.2.1"), "{installed:?}");
    assert_eq!(installed.get("@tootallnate/once").map(String::as_str), Some("3.0.0"), "{installed:?}");
    assert_eq!(installed.get("ms").map(String::as_str), Some("2.1.3"), "{installed:?}");
    assert!(!run.output.contains(POSTINSTALL_ECHO), "an install script ran:\n{}", run.output);
    // npm 11 and pnpm 10 both ask for the full packument here (`Accept: application/json`),
    // not the abbreviated one: a proxy has to filter both forms (the bench asks for the
    // abbreviated one).
    assert!(!up.requests_to("/registry.npmjs.org/axios").is_empty(), "{:?}", up.requests());
    assert_eq!(up.requests_to("/registry.npmjs.org/plain-crypto-js/-/plain-crypto-js-4.2.1.tgz").len(), 1);
}

#[test]
fn pnpm_from_the_upstream_installs_the_young_axios_and_its_new_dependency() {
    let up = upstream();
    let ws = Workspace::new();
    ws.write("package.json", &package_json(&[("axios", "^1.14.0"), ("@tootallnate/once", ">=2")]));
    let run = pnpm_install(&ws, &direct(&up));
    run.assert_ok();
    let installed = pnpm_installed(&ws);
    assert_eq!(
        installed,
        ["@tootallnate+once@3.0.0", "axios@1.14.1", "plain-crypto-js@4.2.1"],
        "{}",
        run.output
    );
    assert!(!run.output.contains(POSTINSTALL_ECHO), "an install script ran:\n{}", run.output);
    // pnpm escapes the scope separator as `%2F` (npm as `%2f`): the proxy sees both.
    assert!(
        up.requests().iter().any(|r| r.path == "/registry.npmjs.org/@tootallnate%2Fonce" && r.status == 200)
    );
}

#[test]
fn pip_from_the_upstream_installs_the_young_release() {
    let up = upstream();
    let ws = Workspace::new();
    let run = pip_install(&ws, &direct(&up), "detectkit");
    run.assert_ok();
    assert_eq!(pip_installed(&ws), ["detectkit-1.4.3"], "{}", run.output);
    // pip read the PEP 691 JSON page (the form with upload times).
    let asked = up.requests_to("/pypi.org/simple/detectkit/");
    assert!(
        asked
            .iter()
            .any(|r| r.header("accept").is_some_and(|a| a.contains("application/vnd.pypi.simple.v1+json"))),
        "{asked:?}"
    );
}

#[test]
fn cargo_from_the_upstream_fetches_the_young_release() {
    let up = upstream();
    let ws = Workspace::new();
    let run = cargo_fetch(&ws, &direct(&up), "logwise = \"0.3\"");
    run.assert_ok();
    assert_eq!(cargo_locked(&ws, "logwise"), [("0.3.3".to_owned(), true)], "{}", run.output);
    assert_eq!(up.requests_to("/static.crates.io/crates/logwise/0.3.3/download").len(), 1);
}

#[test]
fn npm_ci_of_a_locked_exact_pin_fetches_the_tarball_from_the_configured_registry() {
    // The locked path the proxy must answer with its explanation: no packument is read.
    let up = upstream();
    let ws = Workspace::new();
    ws.write("package.json", &package_json(&[("ms", "2.1.3")]));
    ws.write("package-lock.json", &lock_pinning("ms", "2.1.3"));
    let run = npm(&ws, &direct(&up), &["ci"]);
    run.assert_ok();
    assert_eq!(npm_installed(&ws).get("ms").map(String::as_str), Some("2.1.3"), "{}", run.output);
    assert!(up.requests_to("/registry.npmjs.org/ms").is_empty(), "{:?}", up.requests());
    assert_eq!(up.requests_to("/registry.npmjs.org/ms/-/ms-2.1.3.tgz").len(), 1, "{:?}", up.requests());
}

#[test]
fn clients_fail_while_the_upstream_is_down() {
    // The outage switch reaches the real clients: without a cache in between they fail.
    let up = upstream();
    let reg = direct(&up);
    up.set_outage(Outage::Refused);
    let ws = Workspace::new();
    ws.write("package.json", &package_json(&[("axios", "^1.14.0")]));
    npm(&ws, &reg, &["install"]).assert_failed();
    pip_install(&Workspace::new(), &reg, "detectkit").assert_failed();

    up.set_outage(Outage::Unavailable);
    let run = cargo_fetch(&Workspace::new(), &reg, "logwise = \"0.3\"");
    run.assert_failed();
    assert!(run.output.contains("503"), "{}", run.output);

    up.set_outage(Outage::None);
    ws.forget_caches();
    npm(&ws, &reg, &["install"]).assert_ok();
}

// ---------------------------------------------------------------------------------------
// Through `firebreak proxy` with a three-day cooldown. The embedded advisories already
// block axios 1.14.1 and plain-crypto-js; ms 2.1.3, @tootallnate/once 3.0.0, detectkit
// 1.4.3 and logwise 0.3.3 are held back by the cooldown alone (logwise's publish time comes
// from the crates.io versions API: the fixture index lines carry no `pubtime`).

const COOLDOWN: &str = "[registry]\nmin_release_age = \"3d\"\n";

fn cooldown_allowing(allow: &[&str]) -> String {
    let entries: Vec<String> = allow.iter().map(|a| format!("\"{a}\"")).collect();
    format!("{COOLDOWN}\n[proxy]\nallow = [{}]\n", entries.join(", "))
}

/// The proxy's explanation names the rule that blocked the release.
fn names_the_cooldown(output: &str) -> bool {
    ["min_release_age", "release-too-young"].iter().any(|rule| output.contains(rule))
}

#[test]
fn npm_through_the_proxy_resolves_axios_to_the_release_older_than_the_cooldown() {
    let up = upstream();
    let proxy = start_proxy(&up, COOLDOWN);
    let ws = Workspace::new();
    ws.write("package.json", &package_json(&[("axios", "^1.14.0"), ("@tootallnate/once", ">=2")]));
    let run = npm(&ws, &proxy.registries(), &["install"]);
    run.assert_ok();
    let installed = npm_installed(&ws);
    assert_eq!(
        installed.get("axios").map(String::as_str),
        Some("1.14.0"),
        "{installed:?}\n{}\nproxy:\n{}",
        run.output,
        proxy.stderr()
    );
    assert_eq!(installed.get("@tootallnate/once").map(String::as_str), Some("2.0.0"), "{installed:?}");
    assert!(!installed.contains_key("plain-crypto-js"), "{installed:?}");
    assert!(up.requests_to("/registry.npmjs.org/axios/-/axios-1.14.1.tgz").is_empty(), "{:?}", up.requests());
    assert!(up.requests_to("/registry.npmjs.org/plain-crypto-js/-/plain-crypto-js-4.2.1.tgz").is_empty());
}

#[test]
fn pnpm_through_the_proxy_resolves_axios_to_the_release_older_than_the_cooldown() {
    let up = upstream();
    let proxy = start_proxy(&up, COOLDOWN);
    let ws = Workspace::new();
    ws.write("package.json", &package_json(&[("axios", "^1.14.0"), ("@tootallnate/once", ">=2")]));
    let run = pnpm_install(&ws, &proxy.registries());
    run.assert_ok();
    assert_eq!(pnpm_installed(&ws), ["@tootallnate+once@2.0.0", "axios@1.14.0"], "{}", run.output);
}

#[test]
fn a_blocked_exact_pin_fails_with_the_proxys_explanation() {
    let up = upstream();
    let proxy = start_proxy(&up, COOLDOWN);
    let reg = proxy.registries();

    // A locked project fetches the tarball directly: the 403 body reaches npm's output.
    let ws = Workspace::new();
    ws.write("package.json", &package_json(&[("ms", "2.1.3")]));
    ws.write("package-lock.json", &lock_pinning("ms", "2.1.3"));
    let run = npm(&ws, &reg, &["ci"]);
    run.assert_failed();
    assert!(run.output.contains("403"), "{}", run.output);
    assert!(names_the_cooldown(&run.output), "the rule is not named:\n{}", run.output);
    assert!(npm_installed(&ws).is_empty());
    let audit = proxy.audit_log();
    assert!(
        audit.lines().any(|l| l.contains("\"decision\":\"blocked\"") && l.contains("2.1.3")),
        "no blocked decision for ms 2.1.3 in the audit log:\n{audit}"
    );

    // Unlocked, the pinned version is not offered at all.
    let ws = Workspace::new();
    ws.write("package.json", &package_json(&[("ms", "2.1.3")]));
    npm(&ws, &reg, &["install"]).assert_failed();
}

#[test]
fn allow_listed_packages_pass_the_cooldown() {
    let up = upstream();
    let proxy = start_proxy(&up, &cooldown_allowing(&["ms@2.1.3", "@tootallnate/*"]));
    let reg = proxy.registries();
    let ws = Workspace::new();
    ws.write("package.json", &package_json(&[("ms", "2.1.3")]));
    ws.write("package-lock.json", &lock_pinning("ms", "2.1.3"));
    npm(&ws, &reg, &["ci"]).assert_ok();
    assert_eq!(npm_installed(&ws).get("ms").map(String::as_str), Some("2.1.3"));

    // A scope allowed as a whole; axios, not on the list, is still held back.
    let ws = Workspace::new();
    ws.write("package.json", &package_json(&[("@tootallnate/once", ">=2"), ("axios", "^1.14.0")]));
    let run = npm(&ws, &reg, &["install"]);
    run.assert_ok();
    let installed = npm_installed(&ws);
    assert_eq!(installed.get("@tootallnate/once").map(String::as_str), Some("3.0.0"), "{installed:?}");
    assert_eq!(installed.get("axios").map(String::as_str), Some("1.14.0"), "{installed:?}");
}

#[test]
fn an_upstream_outage_is_served_from_the_proxys_cache() {
    let up = upstream();
    let proxy = start_proxy(&up, COOLDOWN);
    let reg = proxy.registries();
    let ws = Workspace::new();
    ws.write("package.json", &package_json(&[("axios", "^1.14.0"), ("@tootallnate/once", ">=2")]));
    npm(&ws, &reg, &["install"]).assert_ok();

    for outage in [Outage::Unavailable, Outage::Refused] {
        up.set_outage(outage);
        up.clear_log();
        ws.forget_caches();
        let run = npm(&ws, &reg, &["install"]);
        run.assert_ok();
        let installed = npm_installed(&ws);
        assert_eq!(installed.get("axios").map(String::as_str), Some("1.14.0"), "{outage:?}: {}", run.output);
        assert_eq!(installed.get("@tootallnate/once").map(String::as_str), Some("2.0.0"), "{outage:?}");
        // The answers came from the proxy: the upstream served nothing meanwhile.
        assert!(up.requests().iter().all(|r| r.status != 200), "{outage:?}: {:?}", up.requests());
    }
    up.set_outage(Outage::None);
}

// ---------------------------------------------------------------------------------------
// pip through the proxy

#[test]
fn pip_through_the_proxy_resolves_detectkit_to_the_release_older_than_the_cooldown() {
    let up = upstream();
    let proxy = start_proxy(&up, COOLDOWN);
    let ws = Workspace::new();
    let run = pip_install(&ws, &proxy.registries(), "detectkit");
    run.assert_ok();
    assert_eq!(pip_installed(&ws), ["detectkit-1.4.2"], "{}\nproxy:\n{}", run.output, proxy.stderr());
    // pip asked the proxy for PEP 691 JSON, and the proxy asked the upstream the same way.
    let asked = up.requests_to("/pypi.org/simple/detectkit/");
    assert!(!asked.is_empty(), "{:?}", up.requests());
    assert!(
        asked.iter().all(|r| r.header("accept") == Some("application/vnd.pypi.simple.v1+json")),
        "{asked:?}"
    );
    assert!(
        up.requests().iter().all(|r| !r.path.ends_with("detectkit-1.4.3-py3-none-any.whl")),
        "the young wheel was fetched: {:?}",
        up.requests()
    );
}

#[test]
fn a_blocked_exact_pin_fails_in_pip_with_the_proxys_explanation() {
    let up = upstream();
    let proxy = start_proxy(&up, COOLDOWN);
    let ws = Workspace::new();
    let run = pip_install(&ws, &proxy.registries(), "detectkit==1.4.3");
    run.assert_failed();
    assert!(pip_installed(&ws).is_empty(), "{}", run.output);
    // pip prints the yank reason of the exactly pinned release, then the reason phrase
    // of the refused download: both are the proxy's sentence.
    let output = run.output.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(names_the_cooldown(&output), "the rule is not named:\n{}", run.output);
    assert!(output.contains("403"), "{}", run.output);
    assert!(
        output.contains("add \"detectkit@1.4.3\" to `allow` in the `[proxy]` table of firebreak.toml"),
        "the exemption is not named:\n{}",
        run.output
    );
    assert!(up.requests().iter().all(|r| !r.path.ends_with("detectkit-1.4.3-py3-none-any.whl")));
    let audit = proxy.audit_log();
    assert!(
        audit.lines().any(|l| l.contains("\"decision\":\"blocked\"")
            && l.contains("\"request\":\"artifact\"")
            && l.contains("1.4.3")),
        "no blocked download of detectkit 1.4.3 in the audit log:\n{audit}"
    );
}

#[test]
fn an_allow_listed_pypi_release_passes_the_cooldown() {
    let up = upstream();
    let proxy = start_proxy(&up, &cooldown_allowing(&["detectkit@1.4.3"]));
    let ws = Workspace::new();
    let run = pip_install(&ws, &proxy.registries(), "detectkit==1.4.3");
    run.assert_ok();
    assert_eq!(pip_installed(&ws), ["detectkit-1.4.3"], "{}", run.output);
    let ws = Workspace::new();
    let run = pip_install(&ws, &proxy.registries(), "detectkit");
    run.assert_ok();
    assert_eq!(pip_installed(&ws), ["detectkit-1.4.3"], "{}", run.output);
}

#[test]
fn an_upstream_outage_is_served_to_pip_from_the_proxys_cache() {
    let up = upstream();
    let proxy = start_proxy(&up, COOLDOWN);
    let reg = proxy.registries();
    let ws = Workspace::new();
    pip_install(&ws, &reg, "detectkit").assert_ok();

    for outage in [Outage::Unavailable, Outage::Refused] {
        up.set_outage(outage);
        up.clear_log();
        ws.forget_caches();
        let run = pip_install(&ws, &reg, "detectkit");
        run.assert_ok();
        assert_eq!(pip_installed(&ws), ["detectkit-1.4.2"], "{outage:?}: {}", run.output);
        assert!(up.requests().iter().all(|r| r.status != 200), "{outage:?}: {:?}", up.requests());
    }
    up.set_outage(Outage::None);
}

// ---------------------------------------------------------------------------------------
// cargo through the proxy

#[test]
fn cargo_through_the_proxy_locks_the_release_older_than_the_cooldown() {
    let up = upstream();
    let proxy = start_proxy(&up, COOLDOWN);
    let ws = Workspace::new();
    let run = cargo_fetch(&ws, &proxy.registries(), "logwise = \"0.3\"");
    run.assert_ok();
    assert_eq!(
        cargo_locked(&ws, "logwise"),
        [("0.3.2".to_owned(), true)],
        "{}\nproxy:\n{}",
        run.output,
        proxy.stderr()
    );
    // The .crate came through the proxy, and the young one was never fetched.
    assert_eq!(up.requests_to("/static.crates.io/crates/logwise/0.3.2/download").len(), 1);
    assert!(up.requests_to("/static.crates.io/crates/logwise/0.3.3/download").is_empty());
    // The publish times came from the versions API.
    assert!(!up.requests_to("/crates.io/api/v1/crates/logwise/versions").is_empty(), "{:?}", up.requests());
    let audit = proxy.audit_log();
    assert!(
        audit.lines().any(|l| l.contains("\"ecosystem\":\"cargo\"")
            && l.contains("\"version\":\"0.3.3\"")
            && l.contains("\"decision\":\"blocked\"")),
        "{audit}"
    );
}

#[test]
fn a_blocked_exact_cargo_pin_fails_with_the_proxys_explanation() {
    let up = upstream();
    let proxy = start_proxy(&up, COOLDOWN);
    let reg = proxy.registries();

    // Unlocked, the pinned release is there only as yanked: cargo will not pick it.
    let ws = Workspace::new();
    let run = cargo_fetch(&ws, &reg, "logwise = \"=0.3.3\"");
    run.assert_failed();
    assert!(run.output.contains("0.3.3 is yanked"), "{}", run.output);

    // A project locked to it before the proxy (the lockfile made straight from the
    // upstream) downloads it, and cargo prints the proxy's 403 body.
    let ws = Workspace::new();
    cargo_fetch(&ws, &direct(&up), "logwise = \"=0.3.3\"").assert_ok();
    assert_eq!(cargo_locked(&ws, "logwise"), [("0.3.3".to_owned(), true)]);
    fs_err::remove_dir_all(ws.home()).expect("forget the cargo home");
    fs_err::create_dir_all(ws.home()).expect("home directory");
    up.clear_log();
    let run = cargo_fetch(&ws, &reg, "logwise = \"=0.3.3\"");
    run.assert_failed();
    assert!(run.output.contains("403"), "{}", run.output);
    assert!(names_the_cooldown(&run.output), "the rule is not named:\n{}", run.output);
    assert!(run.output.contains("\"logwise@0.3.3\" to `allow`"), "no exemption:\n{}", run.output);
    assert!(up.requests_to("/static.crates.io/crates/logwise/0.3.3/download").is_empty());
    let audit = proxy.audit_log();
    assert!(
        audit.lines().any(|l| l.contains("\"request\":\"artifact\"")
            && l.contains("\"version\":\"0.3.3\"")
            && l.contains("\"decision\":\"blocked\"")),
        "{audit}"
    );
}

#[test]
fn an_allow_listed_crate_version_passes_the_cooldown() {
    let up = upstream();
    let proxy = start_proxy(&up, &cooldown_allowing(&["logwise@0.3.3"]));
    let ws = Workspace::new();
    let run = cargo_fetch(&ws, &proxy.registries(), "logwise = \"0.3\"");
    run.assert_ok();
    assert_eq!(cargo_locked(&ws, "logwise"), [("0.3.3".to_owned(), true)], "{}", run.output);
    assert_eq!(up.requests_to("/static.crates.io/crates/logwise/0.3.3/download").len(), 1);
}

#[test]
fn a_cargo_fetch_during_an_upstream_outage_is_served_from_the_proxys_cache() {
    let up = upstream();
    let proxy = start_proxy(&up, COOLDOWN);
    let reg = proxy.registries();
    cargo_fetch(&Workspace::new(), &reg, "logwise = \"0.3\"").assert_ok();

    for outage in [Outage::Unavailable, Outage::Refused] {
        up.set_outage(outage);
        up.clear_log();
        let ws = Workspace::new();
        let run = cargo_fetch(&ws, &reg, "logwise = \"0.3\"");
        run.assert_ok();
        assert_eq!(cargo_locked(&ws, "logwise"), [("0.3.2".to_owned(), true)], "{outage:?}: {}", run.output);
        assert!(up.requests().iter().all(|r| r.status != 200), "{outage:?}: {:?}", up.requests());
    }
    up.set_outage(Outage::None);
}
