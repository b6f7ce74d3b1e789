//! `package-typosquat` and `dependency-typosquat`: names that are a near miss of a
//! popular package of the same ecosystem.
//!
//! `crossenv` (for `cross-env`), `jeIlyfish` (for `jellyfish`), `electorn`, `discordi.py`,
//! `rustdecimal` (for `rust_decimal`): typosquats are the most common malicious package on
//! every registry, and a release that adds one as a dependency is how they reach people
//! who never typed the name.
//!
//! The popular lists are data (`data/popular/*.txt`, one name a line, most popular first;
//! see the README there for where each came from). A name that is itself on its
//! ecosystem's list is never reported: popular packages are often near misses of each
//! other (`color`/`colors`, `react-is`/`react-dom`).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::OnceLock;

use firebreak_core::{Category, Ecosystem, Finding, Severity, Signal, normalize_name};

use super::{ReleaseAnalyzer, ReleaseContext};

/// The package's own name is a near miss of a popular package.
pub static PACKAGE_TYPOSQUAT: Signal = Signal {
    id: "package-typosquat",
    title: "package name is a near miss of a popular package",
    severity: Severity::Medium,
    category: Category::Signal,
    help: "this package's name differs from a much more popular package's by a typo, a separator, a scope or \
           a look-alike character; check that you meant this package and not the popular one",
};

/// A dependency's name is a near miss of a popular package.
pub static DEPENDENCY_TYPOSQUAT: Signal = Signal {
    id: "dependency-typosquat",
    title: "a new dependency's name is a near miss of a popular package",
    severity: Severity::Medium,
    category: Category::Signal,
    help: "this release depends on a package whose name differs from a popular package's by a typo, a \
           separator, a scope or a look-alike character; a maintainer rarely mistypes a dependency, an \
           attacker who publishes through their account does it on purpose",
};

static SIGNALS: &[&Signal] = &[&PACKAGE_TYPOSQUAT];

/// How a name misses a popular one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TyposquatKind {
    /// Only letter case differs (`jsonstream` for `JSONStream`).
    Case,
    /// Only separators differ (`cross_env`, `crossenv` for `cross-env`).
    Separator,
    /// Look-alike characters (`rn` for `m`, `0` for `o`, `1` for `l`).
    Homoglyph,
    /// A scope folded into the name or the name folded under a scope (`babel-core` for
    /// `@babel/core`, `@babel/core-js` for `babel-core-js`).
    Scope,
    /// An optimal-string-alignment (restricted Damerau–Levenshtein) distance of this many
    /// edits: 1 for names of 5 to 9 characters, up to 2 from 10 on.
    EditDistance(u8),
}

impl TyposquatKind {
    /// The kebab-case name used in evidence.
    pub fn as_str(self) -> &'static str {
        match self {
            TyposquatKind::Case => "letter case",
            TyposquatKind::Separator => "separators",
            TyposquatKind::Homoglyph => "look-alike characters",
            TyposquatKind::Scope => "scope",
            TyposquatKind::EditDistance(_) => "edit distance",
        }
    }
}

impl fmt::Display for TyposquatKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TyposquatKind::EditDistance(n) => write!(f, "{n} edit{}", if *n == 1 { "" } else { "s" }),
            other => f.write_str(other.as_str()),
        }
    }
}

/// A popular name that a checked name misses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TyposquatMatch {
    /// The popular name, as listed.
    pub popular: String,
    /// How the names differ.
    pub kind: TyposquatKind,
    /// Its rank in the list (1 = most popular).
    pub rank: usize,
}

#[derive(Debug)]
struct Entry {
    name: String,
    lower: String,
    chars: usize,
    mask: u64,
    histogram: Histogram,
}

/// A list of popular package names of one ecosystem, prepared for near-miss lookups:
/// exact-form indexes for the case, separator, look-alike and scope rules, and names by
/// length for the edit-distance rule, so that a lookup aligns only a few candidates.
#[derive(Debug)]
pub struct PopularNames {
    ecosystem: Ecosystem,
    entries: Vec<Entry>,
    exact: HashSet<String>,
    by_lower: HashMap<String, usize>,
    by_compact: HashMap<String, usize>,
    by_skeleton: HashMap<String, usize>,
    /// Scoped names folded into one (`@babel/core` as `babel-core`, `babelcore`, `babel.core`).
    by_folded: HashMap<String, usize>,
    by_length: Vec<Vec<usize>>,
}

/// Names longer than this are not compared (no registry allows them; bounds the work).
const MAX_NAME: usize = 214;

fn folds(scope: &str, base: &str) -> [String; 3] {
    [format!("{scope}-{base}"), format!("{scope}{base}"), format!("{scope}.{base}")]
}

impl PopularNames {
    /// Reads one name a line, most popular first; blank lines and `#` comments are skipped.
    pub fn parse(ecosystem: Ecosystem, text: &str) -> PopularNames {
        let mut list = PopularNames {
            ecosystem,
            entries: Vec::new(),
            exact: HashSet::new(),
            by_lower: HashMap::new(),
            by_compact: HashMap::new(),
            by_skeleton: HashMap::new(),
            by_folded: HashMap::new(),
            by_length: Vec::new(),
        };
        for line in text.lines() {
            let name = line.trim();
            if name.is_empty() || name.starts_with('#') || name.len() > MAX_NAME {
                continue;
            }
            if !list.exact.insert(normalize_name(ecosystem, name)) {
                continue;
            }
            let i = list.entries.len();
            let lower = name.to_lowercase();
            // The first (most popular) name wins each key.
            list.by_lower.entry(lower.clone()).or_insert(i);
            list.by_compact.entry(compact(&lower)).or_insert(i);
            list.by_skeleton.entry(skeleton(&lower)).or_insert(i);
            if let Some((scope, base)) = split_scope(&lower) {
                for folded in folds(&scope, &base) {
                    list.by_folded.entry(folded).or_insert(i);
                }
            }
            let chars = lower.chars().count();
            if list.by_length.len() <= chars {
                list.by_length.resize_with(chars + 1, Vec::new);
            }
            if let Some(bucket) = list.by_length.get_mut(chars) {
                bucket.push(i);
            }
            list.entries.push(Entry {
                name: name.to_owned(),
                chars,
                mask: mask(&lower),
                histogram: histogram(&lower),
                lower,
            });
        }
        list
    }

    /// The ecosystem the names belong to.
    pub fn ecosystem(&self) -> Ecosystem {
        self.ecosystem
    }

    /// How many names the list holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The names, most popular first.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.name.as_str())
    }

    /// Whether `name` is on the list (compared the way the registry compares names).
    pub fn contains(&self, name: &str) -> bool {
        self.exact.contains(&normalize_name(self.ecosystem, name))
    }

    /// The popular name `name` is a near miss of, if any; `None` for a name on the list,
    /// a name shorter than 5 characters that is not a case, separator, look-alike or scope
    /// variant, and an unrelated name. The closest kind wins, then the most popular name.
    pub fn near_miss(&self, name: &str) -> Option<TyposquatMatch> {
        let name = name.trim();
        if name.is_empty() || name.len() > MAX_NAME || self.contains(name) {
            return None;
        }
        let lower = name.to_lowercase();
        let compact_name = compact(&lower);
        let mut candidates: Vec<(TyposquatKind, usize)> = Vec::new();
        if let Some(&i) = self.by_lower.get(&lower) {
            candidates.push((TyposquatKind::Case, i));
        }
        if compact_name.len() >= 3
            && let Some(&i) = self.by_compact.get(&compact_name)
        {
            candidates.push((TyposquatKind::Separator, i));
        }
        if compact_name.len() >= 4
            && let Some(&i) = self.by_skeleton.get(&skeleton(&lower))
        {
            candidates.push((TyposquatKind::Homoglyph, i));
        }
        match split_scope(&lower) {
            // `@babel/core-js` for `babel-core-js`. The popular name itself under any other
            // scope (`@types/react`, `@tiptap/react` for `react`) is how scopes are used, not a
            // squat: measured on npm's high-impact packages it was most of the false positives.
            Some((scope, base)) => {
                if let Some(i) =
                    folds(&scope, &base).into_iter().filter_map(|f| self.by_lower.get(&f).copied()).min()
                {
                    candidates.push((TyposquatKind::Scope, i));
                }
            }
            // `babel-core` for `@babel/core`.
            None => {
                if let Some(&i) = self.by_folded.get(&lower) {
                    candidates.push((TyposquatKind::Scope, i));
                }
            }
        }
        if let Some(found) = self.closest_by_edits(&lower) {
            candidates.push(found);
        }
        let (kind, i) = candidates.into_iter().min()?;
        let entry = self.entries.get(i)?;
        Some(TyposquatMatch { popular: entry.name.clone(), kind, rank: i + 1 })
    }

    fn closest_by_edits(&self, lower: &str) -> Option<(TyposquatKind, usize)> {
        let chars = lower.chars().count();
        if chars < 5 {
            return None;
        }
        let name_mask = mask(lower);
        // Only the scope's owner can publish under a scope, so two names of one scope are
        // never a third party's squat (`@types/ejs` and `@types/jest`).
        let name_scope =
            lower.strip_prefix('@').and_then(|rest| rest.split_once('/')).map(|(scope, _)| scope);
        let name_histogram = histogram(lower);
        let mut best: Option<(TyposquatKind, usize)> = None;
        for length in chars.saturating_sub(2)..=chars + 2 {
            for &i in self.by_length.get(length).map_or(&[][..], Vec::as_slice) {
                let Some(entry) = self.entries.get(i) else { continue };
                let entry_scope = entry
                    .lower
                    .strip_prefix('@')
                    .and_then(|rest| rest.split_once('/'))
                    .map(|(scope, _)| scope);
                if name_scope.is_some() && name_scope == entry_scope {
                    continue;
                }
                if let Some(kind) = edit_kind(lower, chars, name_mask, &name_histogram, entry)
                    && best.is_none_or(|b| (kind, i) < b)
                {
                    best = Some((kind, i));
                }
            }
        }
        best
    }
}

/// Lowercase without `-`, `_` and `.`.
fn compact(lower: &str) -> String {
    lower.chars().filter(|c| !matches!(c, '-' | '_' | '.')).collect()
}

/// Look-alike characters folded to one spelling, separators dropped.
fn skeleton(lower: &str) -> String {
    let folded: String = compact(lower)
        .chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | '|' | 'i' => 'l',
            '3' => 'e',
            '5' => 's',
            '$' => 's',
            '@' => 'a',
            _ => c,
        })
        .collect();
    folded.replace("rn", "m").replace("vv", "w").replace("cl", "d")
}

/// `@scope/name` split in two.
fn split_scope(lower: &str) -> Option<(String, String)> {
    let rest = lower.strip_prefix('@')?;
    let (scope, base) = rest.split_once('/')?;
    Some((scope.to_owned(), base.to_owned()))
}

/// Character counts in 64 buckets: each edit changes the summed difference of two
/// histograms by at most 2 (a transposition by 0), so half that difference is a lower
/// bound of the edit distance that rejects most candidates without aligning them.
type Histogram = [u8; 64];

fn histogram(text: &str) -> Histogram {
    let mut h = [0u8; 64];
    for c in text.chars() {
        if let Some(slot) = h.get_mut(c as usize % 64) {
            *slot = slot.saturating_add(1);
        }
    }
    h
}

/// The characters present, one bit per bucket: each edit changes at most two bits.
fn mask(text: &str) -> u64 {
    text.chars().fold(0u64, |m, c| m | 1u64 << (c as u32 % 64))
}

fn edit_kind(a: &str, la: usize, ma: u64, ha: &Histogram, entry: &Entry) -> Option<TyposquatKind> {
    let lb = entry.chars;
    let shortest = la.min(lb);
    if shortest < 5 {
        return None;
    }
    let limit = if shortest >= 10 { 2 } else { 1 };
    if la.abs_diff(lb) > limit || ((ma ^ entry.mask).count_ones() as usize).div_ceil(2) > limit {
        return None;
    }
    let difference: usize =
        ha.iter().zip(entry.histogram.iter()).map(|(x, y)| usize::from(x.abs_diff(*y))).sum();
    if difference.div_ceil(2) > limit {
        return None;
    }
    let d = osa_distance(a, &entry.lower, limit)?;
    u8::try_from(d).ok().filter(|d| *d >= 1).map(TyposquatKind::EditDistance)
}

/// The optimal-string-alignment distance (insertions, deletions, substitutions and
/// transpositions of adjacent characters), or `None` once it exceeds `limit`.
pub fn osa_distance(a: &str, b: &str, limit: usize) -> Option<usize> {
    if a.is_ascii() && b.is_ascii() {
        osa(a.as_bytes(), b.as_bytes(), limit)
    } else {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        osa(&a, &b, limit)
    }
}

fn osa<T: PartialEq>(a: &[T], b: &[T], limit: usize) -> Option<usize> {
    let width = b.len() + 1;
    // Three rolling rows: two back (for transpositions), previous, current.
    let mut two_back = vec![0usize; width];
    let mut previous: Vec<usize> = (0..width).collect();
    let mut current = vec![0usize; width];
    for i in 1..=a.len() {
        current[0] = i;
        let mut row_min = current[0];
        for j in 1..width {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut value = (previous[j] + 1).min(current[j - 1] + 1).min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                value = value.min(two_back[j - 2] + 1);
            }
            current[j] = value;
            row_min = row_min.min(value);
        }
        if row_min > limit {
            return None;
        }
        std::mem::swap(&mut two_back, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    let d = previous[width - 1];
    (d <= limit).then_some(d)
}

/// The shipped popular-name list of `ecosystem` (`None` for Go, which has none).
pub fn popular_names(ecosystem: Ecosystem) -> Option<&'static PopularNames> {
    static NPM: OnceLock<PopularNames> = OnceLock::new();
    static PYPI: OnceLock<PopularNames> = OnceLock::new();
    static CRATES: OnceLock<PopularNames> = OnceLock::new();
    let (cell, text) = match ecosystem {
        Ecosystem::Npm => (&NPM, include_str!("../../data/popular/npm.txt")),
        Ecosystem::PyPI => (&PYPI, include_str!("../../data/popular/pypi.txt")),
        Ecosystem::CratesIo => (&CRATES, include_str!("../../data/popular/crates.txt")),
        Ecosystem::Go => return None,
    };
    Some(cell.get_or_init(|| PopularNames::parse(ecosystem, text)))
}

/// The popular package `name` is a near miss of, by the shipped list of its ecosystem.
pub fn typosquat_target(ecosystem: Ecosystem, name: &str) -> Option<TyposquatMatch> {
    popular_names(ecosystem)?.near_miss(name)
}

fn typosquat_finding(signal: &'static Signal, what: &str, name: &str, m: &TyposquatMatch) -> Finding {
    let mut finding = Finding::new(
        signal,
        format!("{what} `{name}` looks like the popular package `{}` ({})", m.popular, m.kind),
    )
    .evidence("name", name)
    .evidence("popular package", m.popular.clone())
    .evidence("difference", m.kind.as_str())
    .evidence("popularity rank", m.rank.to_string());
    if let TyposquatKind::EditDistance(n) = m.kind {
        finding = finding.evidence("edit distance", n.to_string());
    }
    finding
}

/// `package-typosquat` for a package's own name, by the shipped list.
pub fn package_typosquat(ecosystem: Ecosystem, name: &str) -> Option<Finding> {
    let m = typosquat_target(ecosystem, name)?;
    Some(typosquat_finding(&PACKAGE_TYPOSQUAT, "the package name", name, &m))
}

/// `dependency-typosquat` for a dependency's name, by the shipped list.
pub fn dependency_typosquat(ecosystem: Ecosystem, dependency: &str) -> Option<Finding> {
    let m = typosquat_target(ecosystem, dependency)?;
    Some(typosquat_finding(&DEPENDENCY_TYPOSQUAT, "the dependency", dependency, &m))
}

/// `package-typosquat` as an analyzer on the release's own package.
#[derive(Debug, Clone, Copy)]
pub struct PackageTyposquat;

impl ReleaseAnalyzer for PackageTyposquat {
    fn signals(&self) -> &'static [&'static Signal] {
        SIGNALS
    }

    fn analyze(&self, cx: &ReleaseContext<'_>, out: &mut Vec<Finding>) {
        let Some(ecosystem) = cx.history.ecosystem else { return };
        out.extend(package_typosquat(ecosystem, &cx.history.name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osa_counts_transpositions_as_one() {
        assert_eq!(osa_distance("lodash", "lodahs", 2), Some(1));
        assert_eq!(osa_distance("lodash", "lodash", 2), Some(0));
        assert_eq!(osa_distance("lodash", "ldoahs", 1), None);
        assert_eq!(osa_distance("", "abc", 3), Some(3));
    }
}
