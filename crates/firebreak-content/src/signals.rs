//! The content signals (shared/docs/SIGNALS.md, "Content"): one static per fact, so that
//! policy, reports and `explain` treat them like every other finding.

use firebreak_core::{Category, Severity, Signal};

macro_rules! signal {
    ($name:ident, $id:literal, $title:literal, $severity:ident, $help:literal) => {
        #[doc = $title]
        pub static $name: Signal = Signal {
            id: $id,
            title: $title,
            severity: Severity::$severity,
            category: Category::Signal,
            help: $help,
        };
    };
}

signal!(
    INTEGRITY_MISMATCH,
    "integrity-mismatch",
    "archive does not match the registry's hash",
    Critical,
    "the bytes fetched are not the bytes the registry recorded for this version: a tampered mirror, a \
     proxy or a cache serving something else. Nothing in the archive was analysed; do not install it"
);
signal!(
    INSTALL_TIME_CODE,
    "install-time-code",
    "code runs at install time",
    Medium,
    "an install hook (npm preinstall/install/postinstall, setup.py, build.rs) runs this code with the \
     installing user's rights before anyone reads it; every other finding inside it weighs more. Install \
     with scripts disabled unless the hook is expected (native builds)"
);
signal!(
    NETWORK_ACCESS,
    "network-access",
    "opens network connections",
    Low,
    "the code talks to the network (http, https, net, dns, fetch, sockets, urllib, requests); expected in \
     clients, suspicious in install hooks and in packages with no network purpose"
);
signal!(
    PROCESS_SPAWN,
    "process-spawn",
    "runs other programs",
    Low,
    "the code starts other programs (child_process, subprocess, os.system, Command); read what it runs"
);
signal!(
    PROCESS_SPAWN_HIDDEN,
    "process-spawn-hidden",
    "runs programs detached or hidden",
    High,
    "the code starts a program detached from the installer or with its output discarded, the way droppers \
     keep a payload running after `npm install` returns"
);
signal!(
    DOWNLOAD_AND_EXECUTE,
    "download-and-execute",
    "downloads and executes",
    High,
    "the same code fetches data from the network and executes it, or writes it to disk and runs it: how \
     a dropper installs its second stage. Legitimate native installers do this too (from their own \
     release host); check the host"
);
signal!(
    ENV_HARVEST,
    "env-harvest",
    "collects the environment",
    High,
    "the code serialises the whole environment or reads many secret-looking variables (tokens, keys): \
     CI secrets and registry tokens are what stealers take first"
);
signal!(
    CREDENTIAL_FILE_READ,
    "credential-file-read",
    "refers to credential files",
    Medium,
    "the code names files where credentials live (~/.npmrc, ~/.ssh, ~/.aws, .env, browser profiles, \
     wallets, /etc/passwd); a package rarely needs them"
);
signal!(
    EXFILTRATION_ENDPOINT,
    "exfiltration-endpoint",
    "contacts an exfiltration-style endpoint",
    High,
    "the code names a raw IP address, a paste site, a chat webhook (Discord, Telegram, Slack), or a \
     tunnelling or interaction-capture service: the usual places stolen data is sent"
);
signal!(
    DYNAMIC_CODE,
    "dynamic-code",
    "executes code built at run time",
    Medium,
    "eval, Function, vm, exec or compile of a computed string, or a require/import of a computed name: \
     the code that runs is not the code you can read. Decoded or decrypted input weighs most"
);
signal!(
    OBFUSCATED_CODE,
    "obfuscated-code",
    "obfuscated code",
    High,
    "the code carries obfuscator signatures (hex identifiers, rotated string arrays), dense escapes or a \
     hidden very long line; published libraries seldom hide their source"
);
signal!(
    ENCODED_PAYLOAD,
    "encoded-payload",
    "carries an encoded payload",
    Medium,
    "a large base64, hex or high-entropy literal, or encrypted data decoded at run time: a payload kept \
     out of sight of a reader"
);
signal!(
    PERSISTENCE,
    "persistence",
    "installs itself to run later",
    High,
    "the code names autostart places (LaunchAgents, systemd units, cron, Windows Run keys, startup \
     folders, shell profiles) or ships a .pth file with code that runs at every Python start"
);
signal!(
    SELF_MODIFICATION,
    "self-modification",
    "deletes or rewrites itself",
    High,
    "the code deletes its own file or rewrites its package manifest after running, removing the evidence \
     (plain-crypto-js replaced its package.json after the postinstall ran)"
);
signal!(
    WORM_BEHAVIOUR,
    "worm-behaviour",
    "publishes packages or harvests publishing tokens",
    Critical,
    "the code publishes packages, reads registry or GitHub tokens, or creates repositories and CI \
     workflows: how Shai-Hulud spread from one maintainer to the next"
);
signal!(
    BUNDLED_BINARY,
    "bundled-binary",
    "ships an executable binary",
    Low,
    "the package carries a compiled executable (ELF, PE, Mach-O) that no reader can review; expected in \
     platform packages of native tools, unusual elsewhere"
);
signal!(
    PHANTOM_DEPENDENCY,
    "phantom-dependency",
    "declared dependency never imported",
    Medium,
    "the manifest declares a dependency that no file of the package imports: it is there for its install \
     hook (axios 1.14.1 declared plain-crypto-js and never used it)"
);
signal!(
    CAPABILITY_ADDED,
    "capability-added",
    "new capability since the previous release",
    Medium,
    "this release can do something the previous one could not; new capabilities in a patch release weigh \
     most"
);
signal!(
    NETWORK_INTERCEPTION,
    "network-interception",
    "hooks network or wallet functions",
    High,
    "the code replaces fetch, XMLHttpRequest or a wallet provider's methods so that it sees, and can \
     rewrite, what the page sends: how the September 2025 chalk/debug releases swapped crypto addresses"
);
signal!(
    DESTRUCTIVE_WRITE,
    "destructive-write",
    "walks the file system and overwrites or deletes",
    Critical,
    "the code lists directories from the current, parent, home or root directory and writes over or \
     deletes what it finds (node-ipc 10.1.1 overwrote files for users it geolocated)"
);
signal!(
    PARSE_FALLBACK,
    "parse-fallback",
    "source the parser rejected",
    Info,
    "a file did not parse, so only token-level checks ran on it; minified or newer syntax can cause this, \
     so can deliberate malformation"
);
signal!(
    ARCHIVE_ANOMALY,
    "archive-anomaly",
    "archive entries that were not read",
    Medium,
    "the archive holds entries firebreak skipped: links, devices, paths escaping the package root or \
     files over the size limits. Package managers may handle them differently"
);
signal!(
    YARA_MATCH,
    "yara-match",
    "a YARA rule matched",
    Medium,
    "a YARA rule, built in or from `--rules`, matched a file of the package; the rule's meta `severity` \
     weighs it and `verdict = \"malicious\"` makes the package malicious. The evidence names the rule, \
     its namespace, the file, the matched string, line and snippet"
);

signal!(
    MALICIOUS_CONTENT,
    "malicious-content",
    "content analysis says malicious",
    Critical,
    "the package's files, read without running them, behave like malware: a deciding combination (an \
     install hook that downloads and runs code, harvests secrets and sends them out, hides a payload). \
     `firebreak inspect NAME@VERSION` shows every finding with file and line. `[content] block` decides \
     whether it fails the run"
);
signal!(
    SUSPICIOUS_CONTENT,
    "suspicious-content",
    "content analysis says suspicious",
    Medium,
    "the package's files add up to enough risky behaviour (install-time code, network, process spawning, \
     obfuscation) to deserve a person's review before installing, without a combination that marks \
     malware. `firebreak inspect NAME@VERSION` shows the findings; `[content] block = \"suspicious\"` \
     fails the run on it"
);

/// Every content signal.
pub static SIGNALS: &[&Signal] = &[
    &INTEGRITY_MISMATCH,
    &INSTALL_TIME_CODE,
    &NETWORK_ACCESS,
    &PROCESS_SPAWN,
    &PROCESS_SPAWN_HIDDEN,
    &DOWNLOAD_AND_EXECUTE,
    &ENV_HARVEST,
    &CREDENTIAL_FILE_READ,
    &EXFILTRATION_ENDPOINT,
    &DYNAMIC_CODE,
    &OBFUSCATED_CODE,
    &ENCODED_PAYLOAD,
    &PERSISTENCE,
    &SELF_MODIFICATION,
    &WORM_BEHAVIOUR,
    &BUNDLED_BINARY,
    &PHANTOM_DEPENDENCY,
    &CAPABILITY_ADDED,
    &NETWORK_INTERCEPTION,
    &DESTRUCTIVE_WRITE,
    &PARSE_FALLBACK,
    &ARCHIVE_ANOMALY,
    &YARA_MATCH,
    &MALICIOUS_CONTENT,
    &SUSPICIOUS_CONTENT,
];
