//! `firebreak proxy` as a process: the listening line, serving through it, SIGHUP reload
//! and a clean exit on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use firebreak_test::FixtureRegistry;

fn get(addr: &str, path: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").expect("write");
    let mut out = String::new();
    let _ = stream.read_to_string(&mut out);
    out
}

fn signal(pid: u32, name: &str) {
    let status = std::process::Command::new("kill").arg(format!("-{name}")).arg(pid.to_string()).status();
    assert!(status.is_ok_and(|s| s.success()), "kill -{name}");
}

#[cfg(unix)]
#[test]
fn the_proxy_prints_its_address_serves_reloads_and_stops() {
    let fx = FixtureRegistry::start(firebreak_test::registry_fixtures());
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = dir.path().join("firebreak.toml");
    fs_err::write(&policy, "").expect("policy");
    let audit = dir.path().join("audit.jsonl");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("firebreak"))
        .current_dir(dir.path())
        .env("HOME", dir.path().join("home"))
        .env_remove("FIREBREAK_CONFIG")
        .env_remove("FIREBREAK_DB")
        .env_remove("NPM_CONFIG_REGISTRY")
        .env_remove("npm_config_registry")
        .args(["proxy", "--listen", "127.0.0.1:0", "--npm-upstream", &fx.npm_url(), "--config"])
        .arg(&policy)
        .arg("--cache-dir")
        .arg(dir.path().join("cache"))
        .arg("--audit-log")
        .arg(&audit)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the proxy");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let next =
        |what: &str| rx.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| panic!("no line: {what}"));

    let first = next("listening");
    let addr = first
        .strip_prefix("firebreak proxy listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .to_owned();
    let ip_port: std::net::SocketAddr = addr.parse().expect("IP:PORT");
    assert_eq!(ip_port.ip().to_string(), "127.0.0.1");
    assert_ne!(ip_port.port(), 0);

    assert!(get(&addr, "/healthz").starts_with("HTTP/1.1 200"));
    let doc = get(&addr, "/npm/axios");
    assert!(doc.starts_with("HTTP/1.1 200"), "{doc}");
    // The embedded advisories know axios 1.14.1 as malicious.
    assert!(!doc.contains("\"1.14.1\":{"), "{doc}");
    assert!(doc.contains(&format!("http://{addr}/npm/axios/-/axios-1.14.0.tgz")));
    let blocked = get(&addr, "/npm/axios/-/axios-1.14.1.tgz");
    assert!(blocked.starts_with("HTTP/1.1 403"), "{blocked}");
    assert!(fs_err::read_to_string(&audit).expect("audit log").contains("\"decision\":\"blocked\""));

    let pid = child.id();
    fs_err::write(&policy, "[proxy]\nallow = [\"axios\"\n").expect("policy");
    signal(pid, "HUP");
    let line = next("reload failure");
    assert!(line.contains("policy reload failed, keeping the policy in force"), "{line}");
    fs_err::write(&policy, "[proxy]\nallow = [\"axios\"]\n").expect("policy");
    signal(pid, "HUP");
    let line = next("reload");
    assert!(line.contains("policy reloaded"), "{line}");
    assert!(get(&addr, "/npm/axios").contains("\"1.14.1\":{"));

    signal(pid, "TERM");
    let status = child.wait().expect("exit");
    assert!(status.success(), "{status:?}");
}
