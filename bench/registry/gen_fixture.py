#!/usr/bin/env python3
"""Synthetic npm project and registry for the registry-signals scan benchmark.

Writes, deterministically (seeded):

  OUT/project/package-lock.json    lockfileVersion 3, N packages (default 1,500), all hoisted
  OUT/tree/registry.npmjs.org/<name>   one full packument per package (`@scope%2fname` for
                                       scoped names), served by `FixtureRegistry`
  OUT/tree/registry.npmjs.org/-/npm/v1/attestations/<name>@<version>
                                   for every release whose `dist.attestations` names one
  OUT/stats.json                   the size distribution of the packuments

Shapes follow the real registry: each version object carries name, version, description,
keywords, scripts, dependencies, devDependencies, repository, bugs, homepage, license,
gitHead, `dist` {integrity, shasum, tarball, fileCount, unpackedSize, signatures, and
`attestations` for recent releases of packages that publish provenance}, `_npmUser`
(with `trustedPublisher` for OIDC publishes), maintainers and `_npmOperationalInternal`;
the document has dist-tags, `time`, maintainers, readme.

Size distribution: versions per package are log-normal (median 24), clamped to 5..300,
plus a tail of ~1% of packages with 600..3,000 versions (the `@types/node`/`typescript`
kind, several MB each). Releases with provenance reuse one real npm attestations document
(Sigstore bundles of `@playwright/cli@0.1.1`) and its tarball digest, so the provenance
check runs the full verification.

Usage: gen_fixture.py OUT [N] [SEED]
"""

import base64
import hashlib
import json
import math
import os
import random
import statistics
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ATTESTATIONS = os.path.join(
    REPO, "crates/firebreak-provenance/tests/fixtures/npm-playwright-cli-0.1.1.attestations.json"
)
# The registry's dist.integrity of @playwright/cli@0.1.1: the subject of ATTESTATIONS.
ATTESTED_INTEGRITY = (
    "sha512-9k11ZfDwAfMVDDIuEVW1Wvs8SoDNXIY1dNQ+9C9/SS8ZmElkcxesu5eoL7vNa96ntibUGaq1TM2qQoqvdl/I9g=="
)
REGISTRY = "https://registry.npmjs.org"
DAY = 86400
# 2026-11-29T00:00:00Z, the pinned FIREBREAK_TODAY of the benchmark.
TODAY = 1795910400

SYLLABLES = ["ba", "co", "de", "fi", "ga", "hu", "jo", "ka", "lu", "mi", "no", "pa", "qui", "ro",
             "su", "ta", "vi", "wo", "xe", "yu", "ze", "bri", "cla", "dro", "fle", "glo", "pre",
             "stra", "tro", "zen"]
WORDS = ["fast", "tiny", "util", "parser", "stream", "async", "config", "loader", "plugin", "core",
         "cli", "color", "path", "glob", "json", "http", "test", "types", "polyfill", "string"]
SCRIPT_NAMES = ["test", "build", "lint", "prepublishOnly", "coverage", "format", "prepare", "docs"]
DEV_DEPS = ["mocha", "jest", "eslint", "typescript", "prettier", "rollup", "tap", "nyc", "chai",
            "@types/node", "babel-cli", "webpack", "tsd", "ava", "xo", "c8"]


def iso(t):
    import datetime
    dt = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def sentence(rng, n):
    return " ".join(rng.choice(WORDS + SYLLABLES) for _ in range(n))


def make_names(rng, n):
    names, seen = [], set()
    while len(names) < n:
        base = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if rng.random() < 0.3:
            base += "-" + rng.choice(WORDS)
        name = f"@{rng.choice(SYLLABLES)}{rng.choice(SYLLABLES)}/{base}" if rng.random() < 0.12 else base
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def version_count(rng):
    if rng.random() < 0.01:
        return rng.randint(600, 3000)
    return max(5, min(300, int(round(math.exp(rng.gauss(math.log(24), 1.0))))))


def version_list(rng, count):
    versions, major, minor, patch = [], rng.choice([0, 0, 1]), 0, 0
    for _ in range(count):
        versions.append(f"{major}.{minor}.{patch}")
        r = rng.random()
        if r < 0.04:
            major, minor, patch = major + 1, 0, 0
        elif r < 0.25:
            minor, patch = minor + 1, 0
        else:
            patch += 1
    return versions


def integrity(rng):
    return "sha512-" + base64.b64encode(rng.randbytes(64)).decode()


def encoded(name):
    return name.replace("/", "%2f")


def tarball(name, version):
    base = name.rsplit("/", 1)[-1]
    return f"{REGISTRY}/{name}/-/{base}-{version}.tgz"


def make_package(rng, index, name, names):
    """The packument of `name` and the release the lockfile pins."""
    count = version_count(rng)
    versions = version_list(rng, count)
    # Dependencies come from later packages only, so the graph is acyclic and closed over
    # the set; releases gain dependencies over time, so some releases add some.
    pool = names[index + 1:]
    final_deps = rng.sample(pool, min(len(pool), rng.choice([0, 0, 1, 1, 2, 3, 4, 6, 9])))
    first = TODAY - rng.randint(200, 4000) * DAY
    last = TODAY - rng.randint(1, 180) * DAY
    step = (last - first) / max(1, count - 1)
    provenance = rng.random() < 0.2
    trusted = provenance and rng.random() < 0.4
    maintainers = [{"name": "".join(rng.choice(SYLLABLES) for _ in range(3)),
                    "email": f"m{index}-{k}@example.com"} for k in range(rng.randint(1, 4))]
    description = sentence(rng, rng.randint(4, 16))
    repo_url = f"git+https://github.com/{maintainers[0]['name']}/{name.rsplit('/', 1)[-1]}.git"
    time = {"created": iso(first)}
    docs = {}
    for i, v in enumerate(versions):
        t = int(first + i * step)
        time[v] = iso(t)
        ndeps = round(len(final_deps) * (i + 1) / count)
        deps = {d: f"^{rng.randint(0, 5)}.{rng.randint(0, 20)}.0" for d in final_deps[:ndeps]}
        recent = t > TODAY - 900 * DAY
        attested = provenance and recent
        sri = ATTESTED_INTEGRITY if attested else integrity(rng)
        dist = {
            "integrity": sri,
            "shasum": rng.randbytes(20).hex(),
            "tarball": tarball(name, v),
            "fileCount": rng.randint(3, 400),
            "unpackedSize": rng.randint(2000, 4_000_000),
            "signatures": [{"keyid": "SHA256:DhQ8wR5APBvFHLF/+Tc+AYvPOdTpcIDqOhxsBHRwC7U",
                            "sig": base64.b64encode(rng.randbytes(71)).decode()}],
        }
        if attested:
            dist["attestations"] = {"url": f"{REGISTRY}/-/npm/v1/attestations/{encoded(name)}@{v}",
                                    "provenance": {"predicateType": "https://slsa.dev/provenance/v1"}}
        user = dict(rng.choice(maintainers))
        if trusted and attested:
            user = {"name": "GitHub Actions", "email": "npm-oidc-no-reply@github.com",
                    "trustedPublisher": {"id": "github", "oidcConfigId": f"oidc:{rng.randbytes(16).hex()}"}}
        docs[v] = {
            "name": name,
            "version": v,
            "description": description,
            "keywords": rng.sample(WORDS, rng.randint(0, 8)),
            "main": "index.js",
            "types": "index.d.ts" if rng.random() < 0.3 else None,
            "scripts": {s: sentence(rng, rng.randint(2, 8)) for s in rng.sample(SCRIPT_NAMES, rng.randint(1, 6))},
            "repository": {"type": "git", "url": repo_url},
            "author": {"name": maintainers[0]["name"]},
            "license": rng.choice(["MIT", "ISC", "Apache-2.0", "BSD-3-Clause"]),
            "bugs": {"url": repo_url[4:-4] + "/issues"},
            "homepage": repo_url[4:-4] + "#readme",
            "engines": {"node": f">={rng.choice([0, 4, 8, 12, 14, 16, 18])}"},
            "dependencies": deps,
            "devDependencies": {d: f"^{rng.randint(1, 30)}.{rng.randint(0, 9)}.0"
                                for d in rng.sample(DEV_DEPS, rng.randint(0, 10))},
            "gitHead": rng.randbytes(20).hex(),
            "_id": f"{name}@{v}",
            "_nodeVersion": f"{rng.randint(10, 22)}.{rng.randint(0, 20)}.0",
            "_npmVersion": f"{rng.randint(6, 11)}.{rng.randint(0, 20)}.0",
            "dist": dist,
            "_npmUser": user,
            "directories": {},
            "maintainers": maintainers,
            "_npmOperationalInternal": {"host": "s3://npm-registry-packages-npm-production",
                                        "tmp": f"tmp/{name.rsplit('/', 1)[-1]}_{v}_{t}{rng.randint(0, 999)}"},
            "_hasShrinkwrap": False,
        }
        if docs[v]["types"] is None:
            del docs[v]["types"]
    time["modified"] = iso(last + 3600)
    # Most lockfiles pin a recent release; some an older one.
    pinned = versions[-1] if rng.random() < 0.6 else versions[max(0, count - 1 - rng.randint(1, min(count - 1, 20)))]
    packument = {
        "_id": name,
        "_rev": f"{count}-{rng.randbytes(16).hex()}",
        "name": name,
        "dist-tags": {"latest": versions[-1]},
        "versions": docs,
        "time": time,
        "maintainers": maintainers,
        "description": description,
        "homepage": repo_url[4:-4] + "#readme",
        "repository": {"type": "git", "url": repo_url},
        "license": docs[versions[-1]]["license"],
        "readme": "# " + name + "\n\n" + "\n".join(sentence(rng, 12) for _ in range(rng.randint(5, 120))),
        "readmeFilename": "README.md",
    }
    return packument, pinned


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1500
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20261129
    rng = random.Random(seed)
    names = make_names(rng, n)
    npm_dir = os.path.join(out, "tree", "registry.npmjs.org")
    att_dir = os.path.join(npm_dir, "-", "npm", "v1", "attestations")
    os.makedirs(att_dir, exist_ok=True)
    os.makedirs(os.path.join(out, "project"), exist_ok=True)
    # One copy of the attestations document, hard-linked for every attested release.
    shared_attestations = os.path.join(out, "attestations.json")
    with open(ATTESTATIONS, "rb") as src, open(shared_attestations, "wb") as dst:
        dst.write(src.read())

    sizes, version_counts, attestation_files = [], [], 0
    packages = {}
    root_deps = {}
    for i, name in enumerate(names):
        packument, pinned = make_package(rng, i, name, names)
        body = json.dumps(packument, separators=(",", ":")).encode()
        with open(os.path.join(npm_dir, encoded(name)), "wb") as f:
            f.write(body)
        sizes.append(len(body))
        version_counts.append(len(packument["versions"]))
        for v, doc in packument["versions"].items():
            if "attestations" in doc["dist"]:
                os.link(shared_attestations, os.path.join(att_dir, f"{encoded(name)}@{v}"))
                attestation_files += 1
        release = packument["versions"][pinned]
        entry = {
            "version": pinned,
            "resolved": release["dist"]["tarball"],
            "integrity": release["dist"]["integrity"],
            "license": release["license"],
        }
        if release["dependencies"]:
            entry["dependencies"] = release["dependencies"]
        packages[f"node_modules/{name}"] = entry
        # The first packages are what the project depends on directly (nothing depends on them).
        if i < 40:
            root_deps[name] = "^" + pinned

    lock = {
        "name": "registry-bench",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {"": {"name": "registry-bench", "version": "1.0.0", "dependencies": root_deps}, **packages},
    }
    with open(os.path.join(out, "project", "package-lock.json"), "w") as f:
        json.dump(lock, f, indent=2)
        f.write("\n")

    s = sorted(sizes)
    pct = lambda p: s[min(len(s) - 1, int(p / 100 * len(s)))]
    stats = {
        "packages": n,
        "seed": seed,
        "total_bytes": sum(s),
        "median_bytes": int(statistics.median(s)),
        "p90_bytes": pct(90),
        "p99_bytes": pct(99),
        "max_bytes": s[-1],
        "over_1MB": sum(1 for x in s if x > 1_000_000),
        "versions_median": int(statistics.median(version_counts)),
        "versions_max": max(version_counts),
        "versions_total": sum(version_counts),
        "attestation_documents": attestation_files,
    }
    with open(os.path.join(out, "stats.json"), "w") as f:
        json.dump(stats, f, indent=2)
        f.write("\n")
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
