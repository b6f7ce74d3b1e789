//! Operations: Prometheus metrics and the JSON-lines audit log.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

/// Upper bounds of the upstream latency histogram, in seconds.
const BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Debug, Default)]
struct Counters {
    requests: BTreeMap<(&'static str, u16), u64>,
    decisions: BTreeMap<(String, &'static str), u64>,
    cache: BTreeMap<(&'static str, &'static str), u64>,
    latency_buckets: Vec<u64>,
    latency_sum: f64,
    latency_count: u64,
}

/// The proxy's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    counters: Mutex<Counters>,
}

impl Metrics {
    fn with<R>(&self, f: impl FnOnce(&mut Counters) -> R) -> R {
        f(&mut self.counters.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// One request answered on `route` with `status`.
    pub fn request(&self, route: &'static str, status: u16) {
        self.with(|c| *c.requests.entry((route, status)).or_default() += 1);
    }

    /// One decision by `rule` (empty: no rule applied).
    pub fn decision(&self, rule: &str, allowed: bool) {
        let rule = if rule.is_empty() { "none" } else { rule.split(' ').next().unwrap_or(rule) };
        let outcome = if allowed { "allowed" } else { "blocked" };
        self.with(|c| *c.decisions.entry((rule.to_owned(), outcome)).or_default() += 1);
    }

    /// A cache lookup for `kind` (`document`, `artifact`).
    pub fn cache(&self, kind: &'static str, hit: bool) {
        self.with(|c| *c.cache.entry((kind, if hit { "hit" } else { "miss" })).or_default() += 1);
    }

    /// The time one upstream request took.
    pub fn upstream_latency(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        self.with(|c| {
            if c.latency_buckets.len() != BUCKETS.len() {
                c.latency_buckets = vec![0; BUCKETS.len()];
            }
            for (count, bound) in c.latency_buckets.iter_mut().zip(BUCKETS) {
                if seconds <= *bound {
                    *count += 1;
                }
            }
            c.latency_sum += seconds;
            c.latency_count += 1;
        });
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        self.with(|c| {
            let mut out = String::new();
            out.push_str("# HELP firebreak_proxy_requests_total Requests answered, by route and status.\n");
            out.push_str("# TYPE firebreak_proxy_requests_total counter\n");
            for ((route, status), n) in &c.requests {
                let _ = writeln!(
                    out,
                    "firebreak_proxy_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
            out.push_str("# HELP firebreak_proxy_decisions_total Release decisions, by rule and outcome.\n");
            out.push_str("# TYPE firebreak_proxy_decisions_total counter\n");
            for ((rule, outcome), n) in &c.decisions {
                let rule = rule.replace(['"', '\\', '\n'], "_");
                let _ = writeln!(
                    out,
                    "firebreak_proxy_decisions_total{{rule=\"{rule}\",decision=\"{outcome}\"}} {n}"
                );
            }
            out.push_str("# HELP firebreak_proxy_cache_total Cache lookups, by kind and result.\n");
            out.push_str("# TYPE firebreak_proxy_cache_total counter\n");
            for ((kind, result), n) in &c.cache {
                let _ =
                    writeln!(out, "firebreak_proxy_cache_total{{kind=\"{kind}\",result=\"{result}\"}} {n}");
            }
            out.push_str("# HELP firebreak_proxy_upstream_request_seconds Upstream request latency.\n");
            out.push_str("# TYPE firebreak_proxy_upstream_request_seconds histogram\n");
            for (i, bound) in BUCKETS.iter().enumerate() {
                let n = c.latency_buckets.get(i).copied().unwrap_or(0);
                let _ =
                    writeln!(out, "firebreak_proxy_upstream_request_seconds_bucket{{le=\"{bound}\"}} {n}");
            }
            let _ = writeln!(
                out,
                "firebreak_proxy_upstream_request_seconds_bucket{{le=\"+Inf\"}} {}",
                c.latency_count
            );
            let _ = writeln!(out, "firebreak_proxy_upstream_request_seconds_sum {}", c.latency_sum);
            let _ = writeln!(out, "firebreak_proxy_upstream_request_seconds_count {}", c.latency_count);
            out
        })
    }
}

/// One line of the audit log.
#[derive(Debug, Serialize)]
pub struct AuditRecord<'a> {
    /// RFC 3339 UTC.
    pub time: String,
    /// The client's address.
    pub client: String,
    /// `npm`, `pypi`, `cargo`.
    pub ecosystem: &'a str,
    /// The package.
    pub package: &'a str,
    /// The version.
    pub version: &'a str,
    /// What the client asked for: `document` (the version was withheld from it) or
    /// `artifact` (a download).
    pub request: &'a str,
    /// `allowed` or `blocked`.
    pub decision: &'a str,
    /// The rule that decided (empty when none applied).
    pub rule: &'a str,
    /// Why, in one sentence.
    pub reason: &'a str,
    /// When `on_unavailable` decided: which rule and which way.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback: Option<&'a str>,
}

/// The JSON-lines audit log: one line per decision, appended and flushed as it is made.
#[derive(Debug)]
pub struct AuditLog {
    file: Mutex<std::fs::File>,
}

impl AuditLog {
    /// Opens `path` for appending (created when missing).
    pub fn open(path: &Path) -> std::io::Result<AuditLog> {
        let file = fs_err::OpenOptions::new().create(true).append(true).open(path)?;
        Ok(AuditLog { file: Mutex::new(file.into_parts().0) })
    }

    /// Appends one record.
    pub fn write(&self, record: &AuditRecord<'_>) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(record).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        file.write_all(&line)?;
        file.flush()
    }
}

/// The client address for the audit log.
pub(crate) fn client_label(addr: Option<SocketAddr>) -> String {
    addr.map_or_else(|| "unknown".to_owned(), |a| a.to_string())
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for a Unix time in milliseconds.
pub(crate) fn rfc3339_millis(unix_millis: i64) -> String {
    let secs = unix_millis.div_euclid(1000);
    let millis = unix_millis.rem_euclid(1000);
    let (y, m, d) = firebreak_core::calendar::civil_from_days(secs.div_euclid(86_400));
    let day = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z", day / 3600, day % 3600 / 60, day % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_render_as_prometheus_text() {
        let m = Metrics::default();
        m.request("npm-document", 200);
        m.decision("release-too-young", false);
        m.decision("known-malicious MAL-1", false);
        m.cache("document", true);
        m.upstream_latency(Duration::from_millis(30));
        let text = m.render();
        assert!(
            text.contains("firebreak_proxy_requests_total{route=\"npm-document\",status=\"200\"} 1"),
            "{text}"
        );
        assert!(text.contains("{rule=\"known-malicious\",decision=\"blocked\"} 1"), "{text}");
        assert!(text.contains("firebreak_proxy_upstream_request_seconds_bucket{le=\"0.025\"} 0"), "{text}");
        assert!(text.contains("firebreak_proxy_upstream_request_seconds_bucket{le=\"0.05\"} 1"), "{text}");
        assert!(text.contains("firebreak_proxy_upstream_request_seconds_count 1"), "{text}");
    }

    #[test]
    fn times() {
        assert_eq!(rfc3339_millis(1_774_916_518_168), "2026-03-31T00:21:58.168Z");
    }
}
