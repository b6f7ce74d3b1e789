"""Drives the content-analysis evaluation for run.sh; see there. Only reads archive
metadata (sizes) itself; every analysis is a firebreak or GuardDog process."""
import argparse, json, os, resource, subprocess, sys, tarfile, time, urllib.parse, urllib.request, zipfile
from collections import Counter
from pathlib import Path


def fetch_npm(names, cache):
    files = []
    for name in names:
        # `name` or `name@version` (a pinned list); npm pack names the file name-version.tgz.
        bare, _, version = name[1:].partition("@") if name.startswith("@") else name.partition("@")
        bare = ("@" + bare) if name.startswith("@") else bare
        stem = bare.lstrip("@").replace("/", "-")
        existing = sorted(cache.glob(f"{stem}-{version}.tgz" if version else f"{stem}-[0-9]*.tgz"))
        if existing:
            files.append((name, existing[-1])); continue
        r = subprocess.run(["npm", "pack", "--ignore-scripts", "--silent", name], cwd=cache, capture_output=True, text=True)
        lines = r.stdout.strip().splitlines()
        if r.returncode == 0 and lines and (cache / lines[-1]).exists():
            files.append((name, cache / lines[-1]))
        else:
            print(f"npm pack {name} failed: {r.stderr.strip()[:200]}", file=sys.stderr)
    return files


def fetch_pypi(names, cache):
    files = []
    for name in names:
        base = f"https://pypi.org/pypi/{name}/json"
        try:
            urls = json.load(urllib.request.urlopen(base, timeout=60))["urls"]
        except Exception as e:  # noqa: BLE001 - reported and skipped
            print(f"PyPI {name}: {e}", file=sys.stderr); continue
        # The sdist when there is one (its setup.py is install-time code), else a wheel.
        pick = next((u for u in urls if u["packagetype"] == "sdist" and u["filename"].endswith((".tar.gz", ".zip"))), None) \
            or next((u for u in urls if u["filename"].endswith("-none-any.whl")), None) \
            or next((u for u in urls if u["filename"].endswith(".whl")), None)
        if not pick:
            continue
        path = cache / pick["filename"]
        if not path.exists():
            urllib.request.urlretrieve(urllib.parse.urljoin(base, pick["url"]), path)
        files.append((name, path))
    return files


def unpacked_size(path):
    p = str(path)
    try:
        if p.endswith((".tgz", ".tar.gz", ".crate")):
            with tarfile.open(p, "r:gz") as tf:
                return sum(m.size for m in tf if m.isfile())
        with zipfile.ZipFile(p) as zf:
            return sum(i.file_size for i in zf.infolist())
    except Exception:  # noqa: BLE001
        return 0


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def firebreak(fb, path):
    t = time.monotonic()
    r = subprocess.run([fb, "--color", "never", "inspect", "--format", "json", str(path)], capture_output=True, text=True)
    wall = time.monotonic() - t
    try:
        report = json.loads(r.stdout)[0]
        return report["verdict"]["verdict"], report["verdict"]["score"], report["verdict"]["reasons"][:3], wall
    except Exception:  # noqa: BLE001
        return "error", None, [r.stderr.strip()[:200]], wall


def guarddog(gd, eco, path, timeout):
    t = time.monotonic()
    try:
        r = subprocess.run([gd, eco, "scan", str(path), "--output-format", "json"], capture_output=True, text=True, timeout=timeout)
        wall = time.monotonic() - t
        d = json.loads(r.stdout)
        rs = d.get("risk_score") or {}
        label = rs.get("label") or ("issues" if d.get("issues") else "none")
        return label, d.get("issues"), wall
    except subprocess.TimeoutExpired:
        return "timeout", None, time.monotonic() - t
    except Exception:  # noqa: BLE001
        return "error", None, time.monotonic() - t


def main():
    a = argparse.ArgumentParser()
    for flag in ["firebreak", "guarddog", "root", "out", "cache", "npm-list", "pypi-list"]:
        a.add_argument("--" + flag, default="")
    a.add_argument("--limit", type=int, default=0)
    a.add_argument("--guarddog-timeout", type=int, default=300)
    args = a.parse_args()
    root, out, cache = Path(args.root), Path(args.out), Path(args.cache)
    read = lambda p: [l.strip() for l in open(p) if l.strip() and not l.startswith("#")]
    npm_names, pypi_names = read(args.npm_list), read(args.pypi_list)
    if args.limit:
        npm_names, pypi_names = npm_names[: args.limit], pypi_names[: args.limit]
    md = ["# Content analysis evaluation", ""]

    # 1. Reconstructions (must be malicious) and hard negatives (must not be).
    recon = sorted(p for p in (root / "crates/firebreak-content/fixtures/reconstructions").iterdir() if (p / "expected.toml").exists() and p.name != "diff")
    negatives = sorted(p for p in (root / "crates/firebreak-content/fixtures/negatives").iterdir() if p.suffix in (".tgz", ".gz", ".whl"))
    tp = sum(firebreak(args.firebreak, p / "package")[0] == "malicious" for p in recon)
    neg = [(p.name, firebreak(args.firebreak, p)[0]) for p in negatives]
    fp = sum(v == "malicious" for _, v in neg)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / len(recon) if recon else 0.0
    md += ["## Reconstructions and hard negatives", "",
           f"- reconstructions flagged malicious: {tp} of {len(recon)} (recall {recall:.2f})",
           f"- hard negatives flagged malicious: {fp} of {len(neg)}; verdicts: {dict(Counter(v for _, v in neg))}",
           f"- precision {precision:.2f}", ""]

    # 2. Popular corpus.
    corpus = [("npm", n, p) for n, p in fetch_npm(npm_names, cache / "npm")] + \
             [("pypi", n, p) for n, p in fetch_pypi(pypi_names, cache / "pypi")]
    rows = []
    cpu0, t0 = children_cpu(), time.monotonic()
    for eco, name, path in corpus:
        verdict, score, reasons, wall = firebreak(args.firebreak, path)
        rows.append({"eco": eco, "name": name, "file": path.name, "bytes": unpacked_size(path), "fb": verdict, "fb_score": score, "fb_wall": wall, "fb_reasons": reasons})
    fb_wall, fb_cpu = time.monotonic() - t0, children_cpu() - cpu0
    mb = sum(r["bytes"] for r in rows) / 1e6
    # Throughput without per-process start-up: every archive in one process.
    cpu1, t1 = children_cpu(), time.monotonic()
    subprocess.run([args.firebreak, "--color", "never", "inspect", "--format", "json", "-o", str(out / "batch.json")]
                   + [str(p) for _, _, p in corpus], capture_output=True)
    batch_wall, batch_cpu = time.monotonic() - t1, children_cpu() - cpu1
    gd_wall = None
    if args.guarddog:
        t0 = time.monotonic()
        for r, (eco, _, path) in zip(rows, corpus):
            r["gd"], r["gd_issues"], r["gd_wall"] = guarddog(args.guarddog, eco, path, args.guarddog_timeout)
        gd_wall = time.monotonic() - t0
    with open(out / "corpus.json", "w") as f:
        json.dump(rows, f, indent=1)
    for eco in ("npm", "pypi"):
        sub = [r for r in rows if r["eco"] == eco]
        if not sub:
            continue
        dist = Counter(r["fb"] for r in sub)
        md += [f"## Popular {eco} packages ({len(sub)})", "",
               f"- firebreak verdicts: {dict(dist)}; malicious rate {dist['malicious'] / len(sub):.1%}"]
        if args.guarddog:
            md.append(f"- GuardDog labels: {dict(Counter(r['gd'] for r in sub))}")
        flagged = [r for r in sub if r["fb"] in ("malicious", "suspicious")]
        for r in flagged:
            md.append(f"  - {r['name']} ({r['file']}): {r['fb']} {r['fb_score']}: {'; '.join(r['fb_reasons'])}")
        md.append("")
    md += ["## Speed", "",
           f"- {len(rows)} archives, {mb:.1f} MB unpacked; firebreak one process per archive: {fb_wall:.1f} s wall, {fb_cpu:.1f} s CPU; "
           f"{mb / fb_cpu if fb_cpu else 0:.1f} MB unpacked per CPU second",
           f"- firebreak, every archive in one process: {batch_wall:.1f} s wall, {batch_cpu:.1f} s CPU; "
           f"{mb / batch_cpu if batch_cpu else 0:.1f} MB unpacked per CPU second (archive reading, integrity-free)"]
    if gd_wall is not None:
        md.append(f"- GuardDog ({args.guarddog}) one process per archive: {gd_wall:.1f} s wall; ratio {gd_wall / fb_wall:.1f}x")
    md.append(f"- load average at the end: {os.getloadavg()}")
    (out / "summary.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
