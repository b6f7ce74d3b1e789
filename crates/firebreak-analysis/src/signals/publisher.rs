//! `new-publisher`, `maintainers-changed` and `maintainer-email-changed`: who publishes
//! and maintains the package, compared with earlier releases.
//!
//! Account takeovers show up here first: the axios attacker changed the maintainer
//! account's email to a Proton Mail address before publishing; ua-parser-js, coa and rc
//! were published from hijacked accounts; event-stream was handed to a new maintainer who
//! then added the payload.

use std::collections::BTreeSet;

use firebreak_core::{Category, Finding, Severity, Signal};
use firebreak_registry::{Account, Release};

use super::{ReleaseAnalyzer, ReleaseContext, describe, earlier_in_time};

/// Published by an account that never published this package before.
pub static NEW_PUBLISHER: Signal = Signal {
    id: "new-publisher",
    title: "published by an account that never published this package before",
    severity: Severity::Medium,
    category: Category::Signal,
    help: "the account that published this release published none of the earlier ones; maintainers change, \
           but a takeover looks the same. Check the project's announcements or repository for the new \
           maintainer",
};

/// The maintainer set changed since the previous release.
pub static MAINTAINERS_CHANGED: Signal = Signal {
    id: "maintainers-changed",
    title: "the maintainer set changed since the previous release",
    severity: Severity::Medium,
    category: Category::Signal,
    help: "accounts were added to or removed from the package's maintainers since the previous release; a new \
           maintainer who publishes soon after joining is how event-stream was compromised",
};

/// A maintainer's email changed.
pub static MAINTAINER_EMAIL_CHANGED: Signal = Signal {
    id: "maintainer-email-changed",
    title: "a maintainer's email address changed",
    severity: Severity::Medium,
    category: Category::Signal,
    help: "a maintainer account now shows another email address than on earlier releases; attackers who take \
           over an account change its email first so that the owner cannot recover it. A change to a \
           free-mail domain weighs more",
};

static SIGNALS: &[&Signal] = &[&NEW_PUBLISHER, &MAINTAINERS_CHANGED, &MAINTAINER_EMAIL_CHANGED];

/// Free-mail and anonymous-mail domains: an account moved to one of these can be created
/// by anyone. `*` at the end matches any top-level part (`gmx.de`, `gmx.net`).
pub const FREE_MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "yahoo.com",
    "ymail.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "proton.me",
    "protonmail.com",
    "protonmail.ch",
    "pm.me",
    "tutanota.com",
    "tuta.io",
    "gmx.*",
    "web.de",
    "mail.com",
    "mail.ru",
    "inbox.ru",
    "bk.ru",
    "list.ru",
    "yandex.*",
    "ya.ru",
    "qq.com",
    "163.com",
    "126.com",
    "sina.com",
    "foxmail.com",
    "zoho.com",
    "cock.li",
    "onionmail.org",
    "guerrillamail.com",
    "mailinator.com",
];

/// Whether an email address (or a bare domain) is on a free-mail domain.
pub fn is_free_mail(address: &str) -> bool {
    let domain =
        address.rsplit('@').next().unwrap_or(address).trim().trim_end_matches('.').to_ascii_lowercase();
    FREE_MAIL_DOMAINS.iter().any(|d| match d.strip_suffix('*') {
        Some(prefix) => domain.strip_prefix(prefix).is_some_and(|tld| !tld.is_empty() && !tld.contains('.')),
        None => domain == *d,
    })
}

/// The publisher and maintainer checks.
///
/// Weights: `new-publisher` medium; `maintainers-changed` medium when accounts were added,
/// low when accounts were only removed; `maintainer-email-changed` medium, high when the
/// new address is on a free-mail domain.
#[derive(Debug, Clone, Copy)]
pub struct Publisher;

fn key(account: &Account) -> String {
    account.name.trim().to_lowercase()
}

fn accounts(release: &Release) -> impl Iterator<Item = &Account> {
    release.maintainers.iter().chain(release.publisher.as_ref())
}

impl ReleaseAnalyzer for Publisher {
    fn signals(&self) -> &'static [&'static Signal] {
        SIGNALS
    }

    fn analyze(&self, cx: &ReleaseContext<'_>, out: &mut Vec<Finding>) {
        let earlier = earlier_in_time(cx);
        new_publisher(cx.release, &earlier, out);
        if let Some(previous) = earlier.last() {
            maintainers_changed(cx.release, previous, out);
        }
        email_changed(cx.release, &earlier, out);
    }
}

/// Who published a release: the account, else the trusted publisher that published it
/// through OIDC (crates.io records no account for those, `published_by` is null), so that
/// an account publishing after a run of trusted-publisher releases counts as new.
fn publisher_of(release: &Release) -> Option<Account> {
    release.publisher.clone().or_else(|| {
        let tp = release.trust.publisher.as_ref()?;
        let what = tp.repository.as_deref().or(tp.id.as_deref()).unwrap_or("");
        Some(Account {
            name: format!("trusted publisher {} {what}", tp.provider).trim_end().to_owned(),
            email: None,
        })
    })
}

fn new_publisher(release: &Release, earlier: &[&Release], out: &mut Vec<Finding>) {
    let Some(publisher) = &release.publisher else { return };
    let known: Vec<(&Release, Account)> =
        earlier.iter().filter_map(|r| publisher_of(r).map(|p| (*r, p))).collect();
    if known.is_empty() || known.iter().any(|(_, p)| key(p) == key(publisher)) {
        return;
    }
    let mut names: Vec<String> = Vec::new();
    for (r, p) in known.iter().rev() {
        if names.len() < 5 && !names.iter().any(|n| n.eq_ignore_ascii_case(&p.name)) {
            names.push(format!("{} (last: {})", p.name, describe(r)));
        }
    }
    let mut finding = Finding::new(
        &NEW_PUBLISHER,
        format!(
            "{} was published by `{}`, who published none of the {} earlier releases",
            release.version,
            publisher.name,
            earlier.len()
        ),
    )
    .evidence("publisher now", format!("{} ({})", publisher.name, describe(release)))
    .evidence("publishers before", names.join(", "));
    if let Some(email) = &publisher.email {
        finding = finding.evidence("publisher email", email.clone());
    }
    out.push(finding);
}

fn maintainers_changed(release: &Release, previous: &Release, out: &mut Vec<Finding>) {
    if release.maintainers.is_empty() || previous.maintainers.is_empty() {
        return;
    }
    let now: BTreeSet<String> = release.maintainers.iter().map(key).collect();
    let before: BTreeSet<String> = previous.maintainers.iter().map(key).collect();
    let added: Vec<&str> = now.difference(&before).map(String::as_str).collect();
    let removed: Vec<&str> = before.difference(&now).map(String::as_str).collect();
    if added.is_empty() && removed.is_empty() {
        return;
    }
    let mut parts = Vec::new();
    if !added.is_empty() {
        parts.push(format!("added {}", added.join(", ")));
    }
    if !removed.is_empty() {
        parts.push(format!("removed {}", removed.join(", ")));
    }
    let mut finding = Finding::new(
        &MAINTAINERS_CHANGED,
        format!(
            "the maintainers changed between {} and {}: {}",
            previous.version,
            release.version,
            parts.join("; ")
        ),
    )
    .severity(if added.is_empty() { Severity::Low } else { Severity::Medium })
    .evidence(
        "maintainers before",
        format!("{} in {}", before.iter().cloned().collect::<Vec<_>>().join(", "), describe(previous)),
    )
    .evidence(
        "maintainers now",
        format!("{} in {}", now.iter().cloned().collect::<Vec<_>>().join(", "), describe(release)),
    );
    if !added.is_empty() {
        finding = finding.evidence("added", added.join(", "));
    }
    if !removed.is_empty() {
        finding = finding.evidence("removed", removed.join(", "));
    }
    out.push(finding);
}

fn email_changed(release: &Release, earlier: &[&Release], out: &mut Vec<Finding>) {
    let mut seen = BTreeSet::new();
    for account in accounts(release) {
        let Some(email) = &account.email else { continue };
        if !seen.insert(key(account)) {
            continue;
        }
        // The most recent earlier release that shows this account with an email.
        let Some((before_release, before_email)) = earlier.iter().rev().find_map(|r| {
            accounts(r).find(|a| key(a) == key(account)).and_then(|a| a.email.as_ref()).map(|e| (*r, e))
        }) else {
            continue;
        };
        if before_email.trim().eq_ignore_ascii_case(email.trim()) {
            continue;
        }
        let free = is_free_mail(email);
        let mut message = format!(
            "the email of maintainer `{}` changed between {} and {}",
            account.name, before_release.version, release.version
        );
        if free {
            message.push_str(", to a free-mail address");
        }
        out.push(
            Finding::new(&MAINTAINER_EMAIL_CHANGED, message)
                .severity(if free { Severity::High } else { Severity::Medium })
                .evidence("account", account.name.clone())
                .evidence("email before", format!("{before_email} in {}", describe(before_release)))
                .evidence("email now", format!("{email} in {}", describe(release))),
        );
    }
}
