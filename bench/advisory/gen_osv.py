#!/usr/bin/env python3
"""Synthetic, schema-valid OSV 1.7 records and matching inventories, for the advisory
benchmark (bench/advisory.sh).

Writes into OUT:
  osv/<ecosystem>/<ID>.json      one record per file, pretty-printed like osv.dev's export
  zip/<ecosystem>/all.zip        the same records, flat `<ID>.json` entries (osv.dev layout)
  Cargo.lock                     lockfile v4, --packages crates from the crates.io name pool
  requirements.txt               --pins `name==version` lines from the PyPI name pool
  stats.json                     counts per ecosystem and kind

Ecosystems: npm 40 %, PyPI 20 %, crates.io 20 %, Go 20 % of --records.
Two record shapes, as in the real feeds:
  MAL-YYYY-N   malicious-packages style: `versions` list (or `introduced: 0` for a package
               that is malware in every version), CWE-506, mostly typosquat names that no
               inventory uses, some compromised popular names.
  GHSA-xxxx    GitHub style: SEMVER/ECOSYSTEM ranges with introduced/fixed/last_affected
               (one or two intervals, sometimes no fix), CVE alias, CVSS v3.1 vector and its
               label, CWE ids, references; names drawn from a popular pool with a Zipf-like
               weight so that popular packages carry many advisories.
Inventories pick names from the same pools (biased towards popular ones) and versions from
the same distribution as the range bounds, so matches happen as they would in real life.
Deterministic for a given --seed. Python 3 standard library only.

Usage: gen_osv.py OUT [--records 500000] [--packages 10000] [--pins 10000] [--seed 1]
                      [--no-zip] [--no-dir]
"""
import argparse
import bisect
import itertools
import json
import math
import multiprocessing
import os
import random
import time
import zipfile

ECOSYSTEMS = [("npm", 0.40), ("PyPI", 0.20), ("crates.io", 0.20), ("Go", 0.20)]
MAL_SHARE = {"npm": 0.85, "PyPI": 0.70, "crates.io": 0.30, "Go": 0.20}
POOL = {"npm": 60000, "PyPI": 30000, "crates.io": 30000, "Go": 30000}
GHSA_ALPHABET = "23456789cfghjmpqrvwx"
SYLLABLES = (
    "ab ac ad al am an ar as at ba be bi bo bu ca ce ci co cu da de di do du el en er es "
    "fa fe fi fo fu ga ge gi go gu ha he hi ho hu il in is it ja jo ka ke ki ko ku la le li "
    "lo lu ma me mi mo mu na ne ni no nu ol on or os pa pe pi po pu ra re ri ro ru sa se si "
    "so su ta te ti to tu ul un ur us va ve vi vo wa we wi xa xe yo za ze zo"
).split()
WORDS = (
    "the a an attacker remote local crafted request response header payload buffer parser "
    "input output value string path file directory archive stream token session cookie user "
    "server client library function method option allows causes leads to denial of service "
    "memory exhaustion overflow injection traversal bypass escalation disclosure arbitrary "
    "code execution when processing untrusted data via specially this issue is fixed in version "
    "affected versions do not properly validate sanitize limit check bounds before using"
).split()
SUFFIX = {"npm": ["js", "util", "core", "cli", "plugin", "loader", "parser", "types"],
          "PyPI": ["py", "lib", "tools", "client", "sdk", "utils", "core"],
          "crates.io": ["rs", "core", "derive", "macros", "sys", "utils", "codec"],
          "Go": ["go", "kit", "sdk", "api", "client", "core"]}
CWES = ["CWE-20", "CWE-22", "CWE-79", "CWE-89", "CWE-94", "CWE-400", "CWE-502", "CWE-770",
        "CWE-787", "CWE-918", "CWE-1321", "CWE-200", "CWE-287", "CWE-352"]
CWE_506 = {"cweId": "CWE-506", "name": "Embedded Malicious Code",
           "description": "The product contains code that appears to be malicious in nature."}

# CVSS v3.1 base metric weights (specification section 7.4).
AV = {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}
AC = {"L": 0.77, "H": 0.44}
PR_U = {"N": 0.85, "L": 0.62, "H": 0.27}
PR_C = {"N": 0.85, "L": 0.68, "H": 0.5}
UI = {"N": 0.85, "R": 0.62}
CIA = {"H": 0.56, "L": 0.22, "N": 0.0}


def roundup(x):
    i = round(x * 100000)
    return i / 100000.0 if i % 10000 == 0 else (math.floor(i / 10000) + 1) / 10.0


def cvss31(rng):
    m = {"AV": rng.choice("NNNNALP"), "AC": rng.choice("LLLH"), "PR": rng.choice("NNLH"),
         "UI": rng.choice("NNR"), "S": rng.choice("UUUC"), "C": rng.choice("HHLN"),
         "I": rng.choice("HLLN"), "A": rng.choice("HHLN")}
    iss = 1 - (1 - CIA[m["C"]]) * (1 - CIA[m["I"]]) * (1 - CIA[m["A"]])
    if m["S"] == "U":
        impact = 6.42 * iss
    else:
        impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15
    pr = (PR_C if m["S"] == "C" else PR_U)[m["PR"]]
    expl = 8.22 * AV[m["AV"]] * AC[m["AC"]] * pr * UI[m["UI"]]
    if impact <= 0:
        score = 0.0
    elif m["S"] == "U":
        score = roundup(min(impact + expl, 10))
    else:
        score = roundup(min(1.08 * (impact + expl), 10))
    label = ("LOW" if score < 4 else "MODERATE" if score < 7 else "HIGH" if score < 9 else "CRITICAL")
    if score == 0:
        label = "LOW"
    vector = "CVSS:3.1/" + "/".join(f"{k}:{m[k]}" for k in ("AV", "AC", "PR", "UI", "S", "C", "I", "A"))
    return vector, label


def version(rng):
    major = rng.choices([0, 1, 2, 3, 4, 5, 6], [30, 30, 15, 10, 7, 5, 3])[0]
    return (major, rng.randint(0, 25), rng.randint(0, 15))


def vtext(v):
    return f"{v[0]}.{v[1]}.{v[2]}"


def bump(v, rng):
    """A version strictly above v."""
    r = rng.random()
    if r < 0.5:
        return (v[0], v[1], v[2] + rng.randint(1, 4))
    if r < 0.85:
        return (v[0], v[1] + rng.randint(1, 3), rng.randint(0, 3))
    return (v[0] + 1, rng.randint(0, 3), rng.randint(0, 3))


def name_pool(eco, n, rng):
    seen, out = set(), []
    while len(out) < n:
        k = rng.choice([2, 2, 3, 3, 4])
        base = "".join(rng.choice(SYLLABLES) for _ in range(k))
        r = rng.random()
        if r < 0.35:
            name = f"{base}-{rng.choice(SUFFIX[eco])}"
        elif r < 0.5 and eco == "npm":
            name = f"@{rng.choice(SYLLABLES)}{rng.choice(SYLLABLES)}/{base}"
        elif r < 0.6 and eco == "PyPI":
            name = f"{base.capitalize()}_{rng.choice(SUFFIX[eco])}"
        else:
            name = base
        if eco == "crates.io":
            name = name.replace("@", "").replace("/", "-")
        if eco == "Go":
            org = "".join(rng.choice(SYLLABLES) for _ in range(2))
            host = rng.choice(["github.com", "github.com", "github.com", "gitlab.com", "golang.org/x"])
            name = f"{host}/{name}" if host == "golang.org/x" else f"{host}/{org}/{name}"
        key = name.lower().replace("_", "-")
        if key not in seen:
            seen.add(key)
            out.append(name)
    return out


def typosquat(name, rng):
    """A name close to a popular one (what most malicious-packages records look like)."""
    r = rng.random()
    tail = name.rsplit("/", 1)
    head, last = (tail[0] + "/", tail[1]) if len(tail) == 2 else ("", tail[0])
    if r < 0.3 and len(last) > 3:
        i = rng.randrange(1, len(last) - 1)
        last = last[:i] + last[i + 1] + last[i] + last[i + 2:]
    elif r < 0.6:
        last = last + rng.choice(["-js", "s", "2", "-dev", "-lib", "x", "-utils", "-sdk"])
    else:
        last = rng.choice(["node-", "py-", "get-", "the-", "real-"]) + last
    return head + last + ("" if rng.random() < 0.7 else str(rng.randint(1, 999)))


def zipf_cdf(n, s=1.0, q=100):
    """Zipf-Mandelbrot weights (rank + q)^-s: with q = 100 the most popular of 30,000 names
    gets ~0.2 % of the records (~120 of 70,000), about what the busiest real packages have."""
    acc, out = 0.0, []
    for i in range(1, n + 1):
        acc += (i + q) ** -s
        out.append(acc)
    return out


def pick(rng, pool, cdf):
    return pool[min(bisect.bisect_left(cdf, rng.random() * cdf[-1]), len(pool) - 1)]


def timestamp(rng, after=None):
    base = 1514764800 if after is None else after  # 2018-01-01
    end = 1796000000  # 2026-11
    t = rng.randint(base, max(base, end))
    s = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))
    if rng.random() < 0.2:
        s += f".{rng.randint(0, 999999):06d}"
    return t, s + "Z"


def words(rng, lo, hi):
    n = rng.randint(lo, hi)
    text = " ".join(rng.choice(WORDS) for _ in range(n))
    return text[0].upper() + text[1:] + "."


def ghsa_id(rng):
    return "GHSA-" + "-".join("".join(rng.choice(GHSA_ALPHABET) for _ in range(4)) for _ in range(3))


def purl(eco, name):
    kind = {"npm": "npm", "PyPI": "pypi", "crates.io": "cargo", "Go": "golang"}[eco]
    return f"pkg:{kind}/{name.replace('@', '%40')}"


def ranges_for(eco, rng):
    """One to two affected intervals, as SEMVER (or ECOSYSTEM) events."""
    r = rng.random()
    a = version(rng)
    f = bump(a, rng)
    if r < 0.35:
        events = [{"introduced": "0"}, {"fixed": vtext(f)}]
    elif r < 0.60:
        events = [{"introduced": vtext(a)}, {"fixed": vtext(f)}]
    elif r < 0.72:
        events = [{"introduced": vtext(a)}, {"last_affected": vtext(f)}]
    elif r < 0.94:
        a2 = bump(bump(f, rng), rng)
        f2 = bump(a2, rng)
        events = [{"introduced": "0"}, {"fixed": vtext(f)}, {"introduced": vtext(a2)}, {"fixed": vtext(f2)}]
    else:
        events = [{"introduced": vtext(a)}]
    if eco == "PyPI":
        kind = "ECOSYSTEM"
    else:
        kind = "SEMVER" if rng.random() < 0.7 else "ECOSYSTEM"
    return [{"type": kind, "events": events}]


def mal_record(eco, seq, name, rng, listed=None):
    pub_t, pub = timestamp(rng)
    _, mod = timestamp(rng, pub_t)
    affected = {"package": {"ecosystem": eco, "name": name}}
    if listed is not None:
        affected["versions"] = listed
    elif rng.random() < 0.3:
        affected["ranges"] = [{"type": "SEMVER", "events": [{"introduced": "0"}]}]
    else:
        vs = sorted({version(rng) for _ in range(rng.choice([1, 1, 1, 2, 3]))})
        affected["versions"] = [vtext(v) for v in vs]
    affected["database_specific"] = {"cwes": [CWE_506]}
    src = rng.choice(["ghsa-malware", "ossf-package-analysis", "socketdev", "amazon-inspector"])
    rec = {
        "modified": mod,
        "published": pub,
        "schema_version": "1.7.0",
        "id": f"MAL-{pub[:4]}-{seq}",
        "summary": f"Malicious code in {name} ({eco})",
        "details": "\n---\n_-= Per source details. Do not edit below this line.=-_\n\n"
                   f"## Source: {src} ({rng.getrandbits(256):064x})\n"
                   "The package contains code that downloads and runs a second-stage payload and "
                   "sends environment variables, SSH keys and registry tokens to a remote host. "
                   "Any computer that has this package installed or running should be considered "
                   "fully compromised. All secrets and keys stored on that computer should be "
                   "rotated immediately from a different computer.\n",
        "affected": [affected],
        "references": [{"type": "REPORT", "url": f"https://example.org/reports/{seq}"}],
        "database_specific": {"malicious-packages-origins": [
            {"source": src, "sha256": f"{rng.getrandbits(256):064x}", "modified_time": mod}]},
    }
    if rng.random() < 0.1:
        rec["aliases"] = [ghsa_id(rng)]
    if rng.random() < 0.005:
        rec["withdrawn"] = mod
    return rec


def ghsa_record(eco, name, rng, extra_names):
    pub_t, pub = timestamp(rng)
    _, mod = timestamp(rng, pub_t)
    gid = ghsa_id(rng)
    vector, label = cvss31(rng)
    year = pub[:4]
    cve = f"CVE-{year}-{rng.randint(1000, 59999)}"
    affected = []
    for n in [name] + extra_names:
        entry = {"package": {"ecosystem": eco, "name": n, "purl": purl(eco, n)}, "ranges": ranges_for(eco, rng)}
        if rng.random() < 0.1:
            entry["ecosystem_specific"] = {"affected_functions": [f"{n}::parse"]}
        affected.append(entry)
    rec = {
        "schema_version": "1.7.0",
        "id": gid,
        "modified": mod,
        "published": pub,
        "aliases": [cve],
        "summary": words(rng, 6, 14),
        "details": "\n\n".join(words(rng, 20, 60) for _ in range(rng.randint(2, 5))),
        "severity": [{"type": "CVSS_V3", "score": vector}],
        "affected": affected,
        "references": [
            {"type": "ADVISORY", "url": f"https://nvd.nist.gov/vuln/detail/{cve}"},
            {"type": "WEB", "url": f"https://example.org/{name}/security/advisories/{gid}"},
            {"type": "PACKAGE", "url": f"https://example.org/packages/{name}"},
        ],
        "database_specific": {"cwe_ids": rng.sample(CWES, rng.randint(1, 2)), "severity": label,
                              "github_reviewed": True, "github_reviewed_at": mod, "nvd_published_at": pub},
    }
    if rng.random() < 0.3:
        rec["references"].append({"type": "FIX", "url": f"https://example.org/{name}/commit/"
                                                         f"{rng.getrandbits(160):040x}"})
    if rng.random() < 0.005:
        rec["withdrawn"] = mod
    return rec


def inventory_names(rng, pool, n):
    """n distinct names, biased towards the popular end of the pool."""
    weights = [(i + 1) ** -0.5 for i in range(len(pool))]
    cdf = list(itertools.accumulate(weights))
    chosen, seen = [], set()
    while len(chosen) < n:
        name = pick(rng, pool, cdf)
        if name not in seen:
            seen.add(name)
            chosen.append(name)
    return chosen


def cargo_lock(rng, pool, n):
    names = inventory_names(rng, pool, int(n * 0.97))
    pkgs = [(nm, version(rng)) for nm in names]
    for nm in rng.sample(names, n - len(names)):  # a second major line of some crates
        pkgs.append((nm, (rng.randint(7, 9), rng.randint(0, 9), rng.randint(0, 9))))
    pkgs.sort(key=lambda p: (p[0], p[1]))
    counts = {}
    for nm, _ in pkgs:
        counts[nm] = counts.get(nm, 0) + 1

    def spec(p):
        return p[0] if counts[p[0]] == 1 else f"{p[0]} {vtext(p[1])}"

    lines = ["# This file is automatically @generated by Cargo.", "# It is not intended for manual editing.",
             "version = 4", ""]
    root_deps = sorted({spec(p) for p in rng.sample(pkgs, 60)})
    lines += ["[[package]]", 'name = "bench-root"', 'version = "0.1.0"', "dependencies = ["]
    lines += [f' "{d}",' for d in root_deps] + ["]", ""]
    for i, p in enumerate(pkgs):
        lines += ["[[package]]", f'name = "{p[0]}"', f'version = "{vtext(p[1])}"',
                  'source = "registry+https://github.com/rust-lang/crates.io-index"',
                  f'checksum = "{rng.getrandbits(256):064x}"']
        deps = sorted({spec(q) for q in rng.sample(pkgs, rng.choice([0, 0, 1, 2, 3, 5])) if q != p})
        if deps:
            lines += ["dependencies = ["] + [f' "{d}",' for d in deps] + ["]"]
        lines.append("")
    return "\n".join(lines), len(pkgs)


def generate(job):
    """One ecosystem's records, in its own process with its own seeded generator."""
    out, eco, n, seed, index, write_dir, write_zip = job
    rng = random.Random(f"{seed}-{eco}")
    pool = name_pool(eco, POOL[eco], rng)
    cdf = zipf_cdf(len(pool))
    d = os.path.join(out, "osv", eco)
    if write_dir:
        os.makedirs(d, exist_ok=True)
    zf = None
    if write_zip:
        os.makedirs(os.path.join(out, "zip", eco), exist_ok=True)
        zf = zipfile.ZipFile(os.path.join(out, "zip", eco, "all.zip"), "w",
                             compression=zipfile.ZIP_DEFLATED, compresslevel=6)
    st = {"malicious": 0, "vulnerability": 0, "withdrawn": 0, "bytes": 0}
    ids = set()
    seq = itertools.count(index * 1000000 + 1)
    for _ in range(n):
        if rng.random() < MAL_SHARE[eco]:
            popular = rng.random() < 0.1
            name = pick(rng, pool, cdf) if popular else typosquat(rng.choice(pool), rng)
            rec = mal_record(eco, next(seq), name, rng)
            st["malicious"] += 1
        else:
            name = pick(rng, pool, cdf)
            # crates.io records name one crate (the RustSec layout keys a file by crate)
            extra = [] if eco == "crates.io" or rng.random() > 0.05 else [rng.choice(pool)]
            extra = [e for e in extra if e != name]
            rec = ghsa_record(eco, name, rng, extra)
            while rec["id"] in ids:
                rec["id"] = ghsa_id(rng)
            st["vulnerability"] += 1
        ids.add(rec["id"])
        st["withdrawn"] += "withdrawn" in rec
        data = (json.dumps(rec, indent=2) + "\n").encode()
        st["bytes"] += len(data)
        if write_dir:
            with open(os.path.join(d, rec["id"] + ".json"), "wb") as f:
                f.write(data)
        if zf is not None:
            zf.writestr(rec["id"] + ".json", data)
    if zf is not None:
        zf.close()
    return eco, st


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--records", type=int, default=500000)
    ap.add_argument("--packages", type=int, default=10000)
    ap.add_argument("--pins", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-zip", action="store_true")
    ap.add_argument("--no-dir", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    jobs, given = [], 0
    for i, (eco, share) in enumerate(ECOSYSTEMS):
        n = round(args.records * share) if i + 1 < len(ECOSYSTEMS) else args.records - given
        given += n
        jobs.append((args.out, eco, n, args.seed, i, not args.no_dir, not args.no_zip))
    # One process per ecosystem: the output only depends on the seed, not on scheduling.
    with multiprocessing.Pool(len(jobs)) as workers:
        results = workers.map_async(generate, jobs)
        # The inventories meanwhile; the pools are rebuilt from the same per-ecosystem seeds.
        rng = random.Random(f"{args.seed}-inventory")
        crates = name_pool("crates.io", POOL["crates.io"], random.Random(f"{args.seed}-crates.io"))
        lock, n_pkgs = cargo_lock(rng, crates, args.packages)
        with open(os.path.join(args.out, "Cargo.lock"), "w") as f:
            f.write(lock)
        pypi = name_pool("PyPI", POOL["PyPI"], random.Random(f"{args.seed}-PyPI"))
        pins = inventory_names(rng, pypi, args.pins)
        with open(os.path.join(args.out, "requirements.txt"), "w") as f:
            f.write("".join(f"{nm}=={vtext(version(rng))}\n" for nm in pins))
        stats = dict(results.get())
    stats["inventory"] = {"Cargo.lock packages": n_pkgs, "requirements pins": len(pins)}
    with open(os.path.join(args.out, "stats.json"), "w") as f:
        json.dump(stats, f, indent=2)
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
