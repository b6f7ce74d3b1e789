#!/usr/bin/env python3
"""Record the npm registry documents of a project into a fixture tree, once.

For every package in `package-lock.json` this saves, from the real registry:
  registry.npmjs.org/<name>/index.json               full packument (Accept: application/json)
  registry.npmjs.org/<name>/index.install-v1.json    abbreviated packument (derived)
  registry.npmjs.org/<name>/-/<file>.tgz             the tarball the lock resolves to
(a scoped name's packument lives at `@scope%2fname/`, its tarballs under `@scope/name/-/`,
which is where npm asks for them). The tree is what `firebreak-test`'s `serve_fixtures`
serves; the fixture server answers the abbreviated form when the client asks for it.

Every tarball is checked against the lock's `integrity` before it is kept. Files already
present are not fetched again, so an interrupted run resumes.

Usage: record-upstream.py PROJECT_DIR OUT_DIR [--registry URL] [--jobs N]
Only the standard library; nothing downloaded is executed or unpacked.
"""
import argparse
import base64
import concurrent.futures
import hashlib
import json
import os
import sys
import time
import urllib.parse
import urllib.request

ABBREVIATED = "application/vnd.npm.install-v1+json"


def fetch(url, accept, attempts=4):
    for attempt in range(attempts):
        try:
            req = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": "firebreak-bench-recorder"})
            with urllib.request.urlopen(req, timeout=120) as resp:
                return resp.read()
        except Exception as e:  # noqa: BLE001 - retried, then reported with the URL
            if attempt == attempts - 1:
                raise RuntimeError(f"{url}: {e}") from e
            time.sleep(1 + attempt * 2)


ABBREVIATED_FIELDS = [
    "name", "version", "deprecated", "dependencies", "optionalDependencies", "devDependencies",
    "bundleDependencies", "peerDependencies", "peerDependenciesMeta", "bin", "directories",
    "dist", "engines", "_hasShrinkwrap", "hasInstallScript", "cpu", "os", "funding",
]


def abbreviate(full):
    """npm's abbreviated packument (`application/vnd.npm.install-v1+json`): the fields its
    installer reads, `modified` but no `time` map."""
    versions = {}
    for v, doc in full.get("versions", {}).items():
        entry = {k: doc[k] for k in ABBREVIATED_FIELDS if k in doc}
        scripts = doc.get("scripts") or {}
        if isinstance(scripts, dict) and any(s in scripts for s in ("preinstall", "install", "postinstall")):
            entry["hasInstallScript"] = True
        versions[v] = entry
    times = full.get("time") or {}
    modified = times.get("modified") or max(times.values(), default=None)
    return {"name": full.get("name"), "modified": modified, "dist-tags": full.get("dist-tags", {}), "versions": versions}


def write_atomic(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".part"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def packument_dir(root, name):
    # npm asks for `/@scope%2fname`; the tarball path keeps the slash.
    return os.path.join(root, name.replace("/", "%2f"))


def check_integrity(data, sri, where):
    algo, _, digest = sri.partition("-")
    want = base64.b64decode(digest)
    got = hashlib.new(algo, data).digest()
    if got != want:
        raise RuntimeError(f"{where}: integrity mismatch ({sri})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("project")
    ap.add_argument("out")
    ap.add_argument("--registry", default="https://registry.npmjs.org")
    ap.add_argument("--jobs", type=int, default=16)
    args = ap.parse_args()
    registry = args.registry.rstrip("/")
    lock = json.load(open(os.path.join(args.project, "package-lock.json"), encoding="utf-8"))
    root = os.path.join(args.out, "registry.npmjs.org")
    names, tarballs = set(), {}
    for key, entry in lock["packages"].items():
        if not key or "resolved" not in entry:
            continue
        name = entry.get("name") or key.rsplit("node_modules/", 1)[-1]
        names.add(name)
        url = entry["resolved"]
        path = urllib.parse.urlparse(url).path.lstrip("/")
        tarballs[path] = (registry + "/" + path, entry["integrity"])

    def get_packument(name):
        d = packument_dir(root, name)
        quoted = name.replace("/", "%2f")
        full_path = os.path.join(d, "index.json")
        if not os.path.exists(full_path):
            write_atomic(full_path, fetch(f"{registry}/{quoted}", "application/json"))
        abbreviated = os.path.join(d, "index.install-v1.json")
        if not os.path.exists(abbreviated):
            # Derived from the full document rather than fetched: some registry mirrors
            # answer the install Accept header with the full document.
            with open(full_path, "rb") as f:
                write_atomic(abbreviated, json.dumps(abbreviate(json.load(f))).encode())
        return name

    def get_tarball(item):
        path, (url, integrity) = item
        target = os.path.join(root, path)
        if not os.path.exists(target):
            data = fetch(url, "application/octet-stream")
            check_integrity(data, integrity, url)
            write_atomic(target, data)
        return path

    jobs = [("packument", n) for n in sorted(names)] + [("tarball", t) for t in sorted(tarballs.items())]
    done, failed = 0, []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(get_packument if kind == "packument" else get_tarball, x) for kind, x in jobs]
        for f in concurrent.futures.as_completed(futures):
            try:
                f.result()
            except Exception as e:  # noqa: BLE001 - collected and reported at the end
                failed.append(str(e))
            done += 1
            if done % 200 == 0:
                print(f"{done}/{len(jobs)}", file=sys.stderr)
    print(f"{len(names)} packuments, {len(tarballs)} tarballs into {root}; {len(failed)} failed", file=sys.stderr)
    for e in failed[:20]:
        print("  " + e, file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
