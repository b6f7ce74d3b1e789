//! `db update` from directories, zips and a local HTTP server with validators; `db status`;
//! `scan` against the resulting database and against the embedded snapshot.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use assert_cmd::Command;
use common::{repo, run};

mod common;

/// The binary with its own data directory, so downloads land in a test's temp dir.
fn firebreak(data_home: &Path) -> Command {
    let mut cmd = common::firebreak();
    cmd.env("XDG_DATA_HOME", data_home).env("HOME", data_home);
    cmd
}

/// An osv.dev-style `all.zip` of the embedded snapshot's npm records.
fn npm_zip() -> Vec<u8> {
    let dir = repo().join("crates/firebreak-advisory/data/osv/npm");
    let mut paths: Vec<PathBuf> =
        fs_err::read_dir(&dir).expect("snapshot dir").map(|e| e.expect("entry").path()).collect();
    paths.sort();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for path in paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        zip.start_file(name, options).expect("entry");
        zip.write_all(&fs_err::read(&path).expect("read record")).expect("write");
    }
    zip.finish().expect("finish").into_inner()
}

/// Promises `body.len() * 2` bytes, sends `body`, and hangs up: a dropped connection.
fn serve_truncated(body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/npm/all.zip", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        if let Some(Ok(mut stream)) = listener.incoming().next() {
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                line.clear();
            }
            let _ = write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len() * 2);
            let _ = stream.write_all(&body);
        }
    });
    url
}

/// Serves `body` at any path with an ETag; answers 304 to a matching `If-None-Match`.
/// Returns the base URL and the log of request heads.
fn serve(body: Vec<u8>, requests: usize) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/npm/all.zip", listener.local_addr().expect("addr"));
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&log);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let cached = head.to_ascii_lowercase().contains("if-none-match: \"v1\"");
            seen.lock().expect("log").push(head);
            if cached {
                let _ = stream
                    .write_all(b"HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 0\r\n\r\n");
            } else {
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nETag: \"v1\"\r\nContent-Type: application/zip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(&body);
            }
        }
    });
    (url, log)
}

#[test]
fn update_over_http_uses_validators_and_scan_reads_the_result() {
    let home = tempfile::tempdir().expect("tempdir");
    let (url, log) = serve(npm_zip(), 2);
    let r = run(firebreak(home.path()).args(["db", "update", "--source", &url]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("33 new"), "{}", r.stderr);
    let db = home.path().join("firebreak/advisories.sqlite3");
    assert!(db.is_file(), "written to the data directory");

    let r = run(firebreak(home.path()).args(["db", "update", "--source", &url]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("not modified"), "{}", r.stderr);
    let heads = log.lock().expect("log").clone();
    assert_eq!(heads.len(), 2);
    assert!(heads[1].to_ascii_lowercase().contains("if-none-match: \"v1\""), "{}", heads[1]);

    let r = run(firebreak(home.path()).args(["db", "status", "--format", "json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(doc["records"], 33);
    assert_eq!(doc["embedded"], false);
    assert_eq!(doc["stale"], false);
    assert_eq!(doc["sources"][0]["etag"], "\"v1\"");

    // The downloaded database holds only npm records: the Cargo vulnerability of the demo
    // is not found, which shows scan read this database and not the embedded one.
    let r = run(firebreak(home.path()).args(["scan", "examples/demo/rust-service", "--format", "json"]));
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(doc["database"]["records"], 33, "{}", r.stdout);
    assert_eq!(doc["summary"]["findings"], 0, "{}", r.stdout);
}

#[test]
fn update_from_a_directory_collects_bad_files_and_imports_the_rest() {
    let home = tempfile::tempdir().expect("tempdir");
    let src = tempfile::tempdir().expect("tempdir");
    let nested = src.path().join("osv/malicious/npm/plain-crypto-js");
    fs_err::create_dir_all(&nested).expect("mkdir");
    fs_err::copy(
        repo().join("crates/firebreak-advisory/data/osv/npm/MAL-2026-2306.json"),
        nested.join("MAL-2026-2306.json"),
    )
    .expect("copy");
    fs_err::write(src.path().join("broken.json"), "{\"id\": \"X\", \"modified\": 3}").expect("write");
    let db = home.path().join("custom.sqlite3");
    let r =
        run(firebreak(home.path()).args(["db", "update", "--db"]).arg(&db).arg("--source").arg(src.path()));
    assert_eq!(r.code, 2, "a skipped file makes the run exit 2: {}", r.stderr);
    assert!(r.stderr.contains("1 new") && r.stderr.contains("broken.json"), "{}", r.stderr);
    let r = run(firebreak(home.path()).args(["db", "status", "--db"]).arg(&db));
    assert!(r.stdout.contains("records: 1"), "{}", r.stdout);
}

#[test]
fn scan_with_the_embedded_snapshot_says_how_old_it_is() {
    let home = tempfile::tempdir().expect("tempdir");
    let r = run(firebreak(home.path()).args(["scan", "examples/demo/rust-service"]));
    assert_eq!(r.code, 1, "regex 1.5.4 is a high-severity vulnerability: {}", r.stdout);
    assert!(
        r.stdout.contains("error[known-vulnerability]: regex@1.5.4 is affected by GHSA-m5pq-gvj9-9vr8"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("= fixed in: 1.5.5"), "{}", r.stdout);
    assert!(r.stdout.contains("advisories: embedded snapshot (59 records"), "{}", r.stdout);
    assert!(r.stdout.contains("warning[stale-database]"), "{}", r.stdout);
}

#[test]
fn a_missing_explicit_database_is_an_error() {
    let home = tempfile::tempdir().expect("tempdir");
    let r =
        run(firebreak(home.path()).args(["scan", "examples/demo/rust-service", "--db", "no/such.sqlite3"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no advisory database at `no/such.sqlite3`"), "{}", r.stderr);
}

#[test]
fn a_dropped_download_or_truncated_zip_leaves_the_database_as_it_was() {
    let home = tempfile::tempdir().expect("tempdir");
    let db = home.path().join("a.sqlite3");
    let first = repo().join("crates/firebreak-advisory/data/osv/npm/MAL-2026-2306.json");
    let r = run(firebreak(home.path()).args(["db", "update", "--db"]).arg(&db).arg("--source").arg(&first));
    assert_eq!(r.code, 0, "{}", r.stderr);

    let url = serve_truncated(npm_zip());
    let r = run(firebreak(home.path()).args(["db", "update", "--db"]).arg(&db).args(["--source", &url]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("the database was not changed"), "{}", r.stderr);

    let zip = npm_zip();
    let truncated = home.path().join("all.zip");
    fs_err::write(&truncated, &zip[..zip.len() / 2]).expect("write");
    let r =
        run(firebreak(home.path()).args(["db", "update", "--db"]).arg(&db).arg("--source").arg(&truncated));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("the database was not changed"), "{}", r.stderr);

    let r = run(firebreak(home.path()).args(["db", "status", "--format", "json", "--db"]).arg(&db));
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(doc["records"], 1, "still only the first import");
}

#[test]
fn a_file_that_is_not_a_database_is_an_error() {
    let home = tempfile::tempdir().expect("tempdir");
    let db = home.path().join("not-a-db.sqlite3");
    fs_err::write(&db, "this is not SQLite, just text that is long enough to have a header page")
        .expect("write");
    let r = run(firebreak(home.path()).args(["scan", "examples/demo/rust-service", "--db"]).arg(&db));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not-a-db.sqlite3"), "{}", r.stderr);
}
