//! Deciding whether a record affects one package version, and merging the records that
//! describe the same issue.
//!
//! Range events are evaluated as the OSV specification's evaluation algorithm says
//! (<https://ossf.github.io/osv-schema/#evaluation>): sort the events by version, walk them,
//! `introduced` (with `"0"` as the beginning of time) turns "affected" on, `fixed` (at or
//! below the version) and `last_affected` (strictly below the version) turn it off, and a
//! `limit` at or below the version puts the version outside the range.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use firebreak_core::{Ecosystem, Version, normalize_name};

use crate::Timestamp;
use crate::index::EntryRanges;
use crate::osv::{Affected, Brief, Event, Kind, RangeType, Record};
use crate::severity::Severity;

/// Parses a version the way OSV records write them for `ecosystem`.
///
/// OSV writes Go versions without the leading `v` (`0.13.0`) and lockfiles write them with
/// it; both are accepted. Records also carry shortened versions (`1.0`, `0.1`) in npm and
/// crates.io ranges; those are padded with `.0` parts, which is what their authors meant.
pub fn parse_version(ecosystem: Ecosystem, input: &str) -> Option<Version> {
    let text = input.trim();
    if text.is_empty() {
        return None;
    }
    if ecosystem == Ecosystem::Go {
        let with_v = if text.starts_with('v') { text.to_owned() } else { format!("v{text}") };
        return Version::parse(ecosystem, &with_v).ok().or_else(|| {
            let padded = pad_release(with_v.strip_prefix('v')?)?;
            Version::parse(ecosystem, &format!("v{padded}")).ok()
        });
    }
    Version::parse(ecosystem, text).ok().or_else(|| match ecosystem {
        Ecosystem::Npm | Ecosystem::CratesIo => Version::parse(ecosystem, &pad_release(text)?).ok(),
        _ => None,
    })
}

/// `1` -> `1.0.0`, `1.2` -> `1.2.0`, `1.2-beta` -> `1.2.0-beta`; `None` if it is not that shape.
fn pad_release(text: &str) -> Option<String> {
    let split = text.find(['-', '+']).unwrap_or(text.len());
    let (release, rest) = text.split_at(split);
    let parts: Vec<&str> = release.split('.').collect();
    if parts.is_empty()
        || parts.len() >= 3
        || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let mut out = release.to_owned();
    for _ in parts.len()..3 {
        out.push_str(".0");
    }
    out.push_str(rest);
    Some(out)
}

fn cmp(a: &Version, b: &Version) -> Ordering {
    a.partial_cmp(b).unwrap_or(Ordering::Equal)
}

/// The ecosystem an OSV ecosystem string names, ignoring a release suffix (`Debian:12`).
pub fn osv_ecosystem(osv: &str) -> Option<Ecosystem> {
    match osv.split(':').next().unwrap_or_default() {
        "npm" => Some(Ecosystem::Npm),
        "PyPI" => Some(Ecosystem::PyPI),
        "crates.io" => Some(Ecosystem::CratesIo),
        "Go" => Some(Ecosystem::Go),
        _ => None,
    }
}

/// Why a version is affected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The version is listed in `affected[].versions`.
    Listed,
    /// The version falls in a `SEMVER` or `ECOSYSTEM` range.
    Range(RangeType),
}

/// A record's verdict on one package version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// How the version was found affected.
    pub reason: Reason,
    /// The lowest `fixed` version above the matched version that the record does not call
    /// affected, if any.
    pub fixed: Option<String>,
}

/// A range event with its version parsed.
enum Parsed {
    Introduced(Option<Version>),
    Fixed(Version),
    LastAffected(Version),
    Limit(Version),
}

impl Parsed {
    /// `None` sorts first: that is `introduced: "0"`.
    fn version(&self) -> Option<&Version> {
        match self {
            Parsed::Introduced(v) => v.as_ref(),
            Parsed::Fixed(v) | Parsed::LastAffected(v) | Parsed::Limit(v) => Some(v),
        }
    }
}

fn parse_events(ecosystem: Ecosystem, events: &[Event]) -> Option<Vec<Parsed>> {
    let mut parsed = Vec::with_capacity(events.len());
    for event in events {
        parsed.push(match event {
            Event::Introduced(v) if v.trim() == "0" => Parsed::Introduced(None),
            Event::Introduced(v) => Parsed::Introduced(Some(parse_version(ecosystem, v)?)),
            Event::Fixed(v) => Parsed::Fixed(parse_version(ecosystem, v)?),
            Event::LastAffected(v) => Parsed::LastAffected(parse_version(ecosystem, v)?),
            Event::Limit(v) if v.trim() == "*" => continue,
            Event::Limit(v) => Parsed::Limit(parse_version(ecosystem, v)?),
        });
    }
    // Stable: events at one version keep the record's order.
    parsed.sort_by(|a, b| match (a.version(), b.version()) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => cmp(x, y),
    });
    Some(parsed)
}

/// Evaluates one range. `None`: the range cannot be evaluated (a version in it does not
/// parse in the ecosystem's grammar), which is treated as "does not match".
fn in_range(events: &[Parsed], version: &Version) -> bool {
    if events.iter().any(|e| matches!(e, Parsed::Limit(l) if cmp(version, l) != Ordering::Less)) {
        return false;
    }
    let mut affected = false;
    for event in events {
        match event {
            Parsed::Introduced(None) => affected = true,
            Parsed::Introduced(Some(i)) if cmp(version, i) != Ordering::Less => affected = true,
            Parsed::Fixed(f) if cmp(version, f) != Ordering::Less => affected = false,
            Parsed::LastAffected(l) if cmp(version, l) == Ordering::Greater => affected = false,
            _ => {}
        }
    }
    affected
}

fn versions_equal(ecosystem: Ecosystem, listed: &str, version: &str, parsed: Option<&Version>) -> bool {
    if listed.trim() == version.trim() {
        return true;
    }
    match (parsed, parse_version(ecosystem, listed)) {
        (Some(v), Some(l)) => cmp(v, &l) == Ordering::Equal,
        _ => false,
    }
}

/// Whether `affected` names this package (ecosystem and normalised name).
pub fn names_package(affected: &Affected, ecosystem: Ecosystem, normalized_name: &str) -> bool {
    affected.package.as_ref().is_some_and(|p| {
        osv_ecosystem(&p.ecosystem) == Some(ecosystem)
            && normalize_name(ecosystem, &p.name) == normalized_name
    })
}

/// Whether `record` affects `name@version` in `ecosystem`. Withdrawn records never match.
///
/// The fix reported is the lowest `fixed` version above `version`, among the record's ranges
/// for this package, that the record does not itself call affected. Overlapping ranges are
/// common: GHSA-r683-j2x4-v87g has `>=1.0 <3.1.1` next to `<2.6.7`, so 2.6.6 is fixed by
/// 3.1.1, not 2.6.7; GHSA-wcg3-cvx6-7396 has an open `>=0.1` next to `>=0.2.7 <0.2.23`, so
/// there is no fix at all.
pub fn affects(record: &Record, ecosystem: Ecosystem, name: &str, version: &str) -> Option<Hit> {
    if record.is_withdrawn() {
        return None;
    }
    let entries = package_entries(record, ecosystem, &normalize_name(ecosystem, name));
    entries_affect(&entries, ecosystem, version, parse_version(ecosystem, version).as_ref())
}

/// The version data of the record's entries naming this package, in the record's order:
/// what the store's index row for the package holds.
fn package_entries(record: &Record, ecosystem: Ecosystem, normalized: &str) -> Vec<EntryRanges> {
    record.affected.iter().filter(|a| names_package(a, ecosystem, normalized)).map(EntryRanges::of).collect()
}

/// [`affects`] on the version data of a record's entries for one package (`parsed` is
/// `parse_version(ecosystem, version)`): the store judges its index rows with this, so a
/// scan and a parsed record give the same answer.
pub(crate) fn entries_affect(
    entries: &[EntryRanges],
    ecosystem: Ecosystem,
    version: &str,
    parsed: Option<&Version>,
) -> Option<Hit> {
    // Several entries for one package (GHSA-73qr-pfmq-6rp8 lists coa per release line): the
    // first entry that matches gives the reason.
    let reason = entries.iter().find_map(|e| entry_hit(e, ecosystem, version, parsed))?;
    let mut candidates: Vec<Version> = Vec::new();
    if let Some(v) = parsed {
        for (_, events) in entries.iter().flat_map(|e| e.ranges.iter()) {
            let Some(events) = parse_events(ecosystem, events) else { continue };
            candidates.extend(events.into_iter().filter_map(|e| match e {
                Parsed::Fixed(f) if cmp(&f, v) == Ordering::Greater => Some(f),
                _ => None,
            }));
        }
    }
    candidates.sort_by(cmp);
    let fixed = candidates
        .into_iter()
        .find(|c| {
            let text = c.to_string();
            !entries.iter().any(|e| entry_hit(e, ecosystem, &text, Some(c)).is_some())
        })
        .map(|f| display_fix(ecosystem, &f));
    Some(Hit { reason, fixed })
}

/// Whether one entry covers the version, and how. Its ranges are the `SEMVER` and
/// `ECOSYSTEM` ones only ([`EntryRanges`]); other types never match.
fn entry_hit(
    entry: &EntryRanges,
    ecosystem: Ecosystem,
    version: &str,
    parsed: Option<&Version>,
) -> Option<Reason> {
    let ranges = entry.ranges.iter().map(|(kind, events)| (*kind, events.as_slice()));
    hit_in(&entry.versions, ranges, ecosystem, version, parsed)
}

/// [`entry_hit`] on the parts of an entry.
fn hit_in<'a>(
    versions: &[String],
    mut ranges: impl Iterator<Item = (RangeType, &'a [Event])>,
    ecosystem: Ecosystem,
    version: &str,
    parsed: Option<&Version>,
) -> Option<Reason> {
    if versions.iter().any(|l| versions_equal(ecosystem, l, version, parsed)) {
        return Some(Reason::Listed);
    }
    let v = parsed?;
    ranges.find_map(|(kind, events)| {
        if !matches!(kind, RangeType::Semver | RangeType::Ecosystem) {
            return None;
        }
        let events = parse_events(ecosystem, events)?;
        in_range(&events, v).then_some(Reason::Range(kind))
    })
}

fn display_fix(ecosystem: Ecosystem, v: &Version) -> String {
    let text = v.to_string();
    // OSV writes Go fixes without `v`; the lockfile side writes `v`, so answer in that form.
    if ecosystem == Ecosystem::Go { text } else { text.trim_start_matches('v').to_owned() }
}

/// One issue affecting a package version: every record about it merged into one.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Match {
    /// The id to show: a `MAL-` id for malware, else a `GHSA-` id, else the first id.
    pub id: String,
    /// Ids of every merged record, `id` first.
    pub record_ids: Vec<String>,
    /// Aliases of the merged records that are not record ids (CVE ids, …), sorted.
    pub aliases: Vec<String>,
    /// `Malicious` when any merged record reports malware.
    pub kind: Kind,
    /// Summary of the record named by `id`.
    pub summary: Option<String>,
    /// The worst severity of the merged records.
    pub severity: Option<Severity>,
    /// The lowest version above the matched one that every merged record calls fixed;
    /// `None` when any of them knows no fix (malware usually has none).
    pub fixed: Option<String>,
    /// Newest `modified` of the merged records.
    pub modified: Timestamp,
    /// Earliest `published` of the merged records.
    pub published: Option<Timestamp>,
    /// How the version was found affected (by the record named by `id`).
    pub reason: Reason,
    /// A link for humans: the first `ADVISORY` reference of the record named by `id`, else
    /// its first reference of any type.
    pub url: Option<String>,
    /// The `references` of the record named by `id`, carried along so that a report does
    /// not read and parse that record a second time.
    pub references: Vec<crate::osv::Reference>,
}

impl Match {
    /// Every id this issue is known by: record ids then aliases.
    pub fn all_ids(&self) -> impl Iterator<Item = &str> {
        self.record_ids.iter().chain(self.aliases.iter()).map(String::as_str)
    }
}

fn id_rank(id: &str) -> u8 {
    if id.starts_with("MAL-") {
        0
    } else if id.starts_with("GHSA-") {
        1
    } else {
        2
    }
}

/// Matches `records` against one package version and merges records that share an id or an
/// alias (a `MAL-` record aliasing a GHSA that aliases a CVE becomes one [`Match`]).
///
/// Sorted: malware first, then by severity (worst first), then by id.
pub fn match_records<'a>(
    records: impl IntoIterator<Item = &'a Record>,
    ecosystem: Ecosystem,
    name: &str,
    version: &str,
) -> Vec<Match> {
    let normalized = normalize_name(ecosystem, name);
    let parsed = parse_version(ecosystem, version);
    let hits: Vec<(Brief, Vec<EntryRanges>, Hit)> = records
        .into_iter()
        .filter(|r| !r.is_withdrawn())
        .filter_map(|r| {
            let entries = package_entries(r, ecosystem, &normalized);
            let hit = entries_affect(&entries, ecosystem, version, parsed.as_ref())?;
            Some((Brief::of(r), entries, hit))
        })
        .collect();
    merge_hits(hits.iter().map(|(brief, entries, hit)| Judged { brief, entries, hit }), ecosystem)
}

/// One record that affects a package version: what merging reads of it, its version data
/// for the package, and its verdict.
pub(crate) struct Judged<'a> {
    pub(crate) brief: &'a Brief,
    pub(crate) entries: &'a [EntryRanges],
    pub(crate) hit: &'a Hit,
}

/// [`match_records`] after the verdicts: merges the records that affect one package version
/// by shared ids, in the order given, and sorts the result.
pub(crate) fn merge_hits<'a>(hits: impl IntoIterator<Item = Judged<'a>>, ecosystem: Ecosystem) -> Vec<Match> {
    let hits: Vec<Judged<'a>> = hits.into_iter().collect();
    // Union-find over hits: two hits join when their id sets intersect.
    let mut parent: Vec<usize> = (0..hits.len()).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent.get(i).is_some_and(|&p| p != i) {
            let p = parent.get(i).copied().unwrap_or(i);
            let grand = parent.get(p).copied().unwrap_or(p);
            if let Some(slot) = parent.get_mut(i) {
                *slot = grand;
            }
            i = p;
        }
        i
    }
    let mut owner: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, judged) in hits.iter().enumerate() {
        for id in judged.brief.ids() {
            match owner.get(id) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    if a != b
                        && let Some(slot) = parent.get_mut(a)
                    {
                        *slot = b;
                    }
                }
                None => {
                    owner.insert(id, i);
                }
            }
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<usize>> = std::collections::BTreeMap::new();
    for i in 0..hits.len() {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(i);
    }
    let mut out: Vec<Match> =
        groups.into_values().filter_map(|members| merge(&hits, &members, ecosystem)).collect();
    out.sort_by(|a, b| {
        a.kind
            .cmp(&b.kind)
            .then_with(|| {
                let (sa, sb) =
                    (a.severity.as_ref().map(Severity::badness), b.severity.as_ref().map(Severity::badness));
                sb.cmp(&sa)
            })
            .then_with(|| a.id.cmp(&b.id))
    });
    out
}

fn advisory_url(brief: &Brief) -> Option<String> {
    let refs = &brief.references;
    refs.iter().find(|r| r.kind == "ADVISORY").or_else(|| refs.first()).map(|r| r.url.clone())
}

fn merge(hits: &[Judged<'_>], members: &[usize], ecosystem: Ecosystem) -> Option<Match> {
    let group: Vec<&Judged<'_>> = members.iter().filter_map(|&i| hits.get(i)).collect();
    let kind = if group.iter().any(|j| j.brief.kind == Kind::Malicious) {
        Kind::Malicious
    } else {
        Kind::Vulnerability
    };
    let primary = group
        .iter()
        .filter(|j| kind == Kind::Vulnerability || j.brief.kind == Kind::Malicious)
        .min_by(|a, b| (id_rank(&a.brief.id), &a.brief.id).cmp(&(id_rank(&b.brief.id), &b.brief.id)))?;
    let mut record_ids: Vec<String> = vec![primary.brief.id.clone()];
    let mut others: Vec<String> =
        group.iter().map(|j| j.brief.id.clone()).filter(|id| *id != primary.brief.id).collect();
    others.sort_by(|a, b| (id_rank(a), a).cmp(&(id_rank(b), b)));
    others.dedup();
    record_ids.extend(others);
    let aliases: BTreeSet<String> = group
        .iter()
        .flat_map(|j| j.brief.aliases.iter().cloned())
        .filter(|a| !record_ids.contains(a))
        .collect();
    let severity = group
        .iter()
        .filter_map(|j| j.brief.severity.as_ref())
        .max_by(|a, b| a.badness().cmp(&b.badness()).then_with(|| a.rank_key().cmp(&b.rank_key())))
        .cloned();
    // The fix is the lowest of the records' fixes that none of the merged records calls
    // affected; a record that knows no fix (malware usually has none) leaves none.
    let fixed = if group.iter().all(|j| j.hit.fixed.is_some()) {
        let mut candidates: Vec<(Option<Version>, String)> = group
            .iter()
            .filter_map(|j| j.hit.fixed.clone())
            .map(|f| (parse_version(ecosystem, &f), f))
            .collect();
        candidates.sort_by(|(a, x), (b, y)| match (a, b) {
            (Some(a), Some(b)) => cmp(a, b),
            _ => x.cmp(y),
        });
        candidates
            .into_iter()
            .find(|(parsed, f)| {
                group.iter().all(|j| entries_affect(j.entries, ecosystem, f, parsed.as_ref()).is_none())
            })
            .map(|(_, f)| f)
    } else {
        None
    };
    let modified = group.iter().map(|j| j.brief.modified).max().unwrap_or(primary.brief.modified);
    let published = group.iter().filter_map(|j| j.brief.published).min();
    Some(Match {
        id: primary.brief.id.clone(),
        record_ids,
        aliases: aliases.into_iter().collect(),
        kind,
        summary: primary.brief.summary.clone(),
        severity,
        fixed,
        modified,
        published,
        reason: primary.hit.reason.clone(),
        url: advisory_url(primary.brief),
        references: primary.brief.references.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding() {
        assert_eq!(pad_release("1.0").as_deref(), Some("1.0.0"));
        assert_eq!(pad_release("0").as_deref(), Some("0.0.0"));
        assert_eq!(pad_release("1.2-beta").as_deref(), Some("1.2.0-beta"));
        assert_eq!(pad_release("1.2.3"), None);
        assert_eq!(pad_release("x.1"), None);
        assert!(parse_version(Ecosystem::CratesIo, "0.1").is_some());
        assert!(parse_version(Ecosystem::Go, "0.13.0").is_some());
        assert!(parse_version(Ecosystem::Go, "v0.13.0").is_some());
        assert_eq!(parse_version(Ecosystem::Go, "0.13.0"), parse_version(Ecosystem::Go, "v0.13.0"));
    }

    fn events(list: &[(&str, &str)]) -> Vec<Event> {
        list.iter()
            .map(|(k, v)| match *k {
                "introduced" => Event::Introduced((*v).into()),
                "fixed" => Event::Fixed((*v).into()),
                "last_affected" => Event::LastAffected((*v).into()),
                _ => Event::Limit((*v).into()),
            })
            .collect()
    }

    fn check(list: &[(&str, &str)], version: &str) -> bool {
        let parsed = parse_events(Ecosystem::Npm, &events(list)).unwrap();
        in_range(&parsed, &parse_version(Ecosystem::Npm, version).unwrap())
    }

    #[test]
    fn evaluation_algorithm() {
        let r = [
            ("introduced", "1.0.0"),
            ("fixed", "1.2.0"),
            ("introduced", "2.0.0"),
            ("last_affected", "2.1.0"),
        ];
        assert!(!check(&r, "0.9.0"));
        assert!(check(&r, "1.0.0"));
        assert!(check(&r, "1.1.9"));
        assert!(!check(&r, "1.2.0"));
        assert!(check(&r, "2.1.0"));
        assert!(!check(&r, "2.1.1"));
        // Events out of order in the record are sorted first.
        assert!(check(&[("fixed", "2.0.0"), ("introduced", "0")], "1.9.9"));
        assert!(!check(&[("fixed", "2.0.0"), ("introduced", "0")], "2.0.0"));
        let limited = [("introduced", "0"), ("limit", "3.0.0")];
        assert!(check(&limited, "2.9.9"));
        assert!(!check(&limited, "3.0.0"));
    }
}
