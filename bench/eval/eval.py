"""Drives the content-analysis evaluation for run.sh; see there. Only reads archive
metadata (sizes) itself; every analysis is a firebreak or GuardDog process."""
import argparse, hashlib, json, os, platform, re, signal, subprocess, sys, tarfile, tempfile, threading, time, urllib.parse, urllib.request, zipfile
from concurrent.futures import ThreadPoolExecutor
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
    norm = lambda s: re.sub(r"[-_.]+", "-", s).lower()
    cached = {}
    for f in sorted(cache.iterdir()):
        m = re.match(r"(.+?)-\d", f.name)
        if m and f.suffix in (".gz", ".zip", ".whl"):
            cached.setdefault(norm(m.group(1)), f)
    for name in names:
        if norm(name) in cached:
            files.append((name, cached[norm(name)])); continue
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


def kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_measured(cmd, timeout=None):
    """Runs `cmd` and returns (returncode, stdout, stderr, wall s, CPU s). CPU is user+sys of
    the process and every descendant it waited for (wait4), so it stays meaningful when other
    work shares the machine or several scans run side by side; None return code = timed out."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.monotonic()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, start_new_session=True)
        timer = threading.Timer(timeout, kill_group, (p.pid,)) if timeout else None
        if timer:
            timer.start()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        timed_out = bool(timer) and not timer.is_alive() and p.returncode == -signal.SIGKILL
        if timer:
            timer.cancel()
        out.seek(0); err.seek(0)
        return (None if timed_out else p.returncode, out.read().decode("utf-8", "replace"),
                err.read().decode("utf-8", "replace"), wall, ru.ru_utime + ru.ru_stime)


def firebreak(fb, path):
    _, stdout, stderr, wall, cpu = run_measured([fb, "--color", "never", "inspect", "--format", "json", str(path)])
    try:
        report = json.loads(stdout)[0]
        v = report["verdict"]
        return {"fb": v["verdict"], "fb_score": v["score"], "fb_reasons": v["reasons"][:3], "fb_wall": wall, "fb_cpu": cpu}
    except Exception:  # noqa: BLE001
        return {"fb": "error", "fb_score": None, "fb_reasons": [stderr.strip()[:200]], "fb_wall": wall, "fb_cpu": cpu}


def content_key(path):
    """sha256 of an archive, or of a directory's relative paths and contents."""
    h = hashlib.sha256()
    if path.is_dir():
        for f in sorted(p for p in path.rglob("*") if p.is_file()):
            h.update(str(f.relative_to(path)).encode() + b"\0" + f.read_bytes() + b"\0")
    else:
        h.update(path.read_bytes())
    return h.hexdigest()


def guarddog_version(gd):
    r = subprocess.run([gd, "--version"], capture_output=True, text=True)
    return (r.stdout.strip().splitlines() or ["unknown"])[-1]


def guarddog(gd, version, gd_cache, eco, path, timeout, jobs):
    """GuardDog's result for one archive, from the cache (keyed by content sha256 and GuardDog
    version) or from a scan that is then cached. A scan killed by a signal is not cached, so a
    re-run retries it."""
    key = gd_cache / f"{content_key(path)}-guarddog-{version}-{eco}.json"
    if key.exists():
        return json.loads(key.read_text())
    rc, stdout, stderr, wall, cpu = run_measured([gd, eco, "scan", str(path), "--output-format", "json"], timeout)
    entry = {"file": path.name, "eco": eco, "version": version, "wall": wall, "cpu": cpu, "jobs": jobs,
             "load": os.getloadavg()[0], "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if rc is None:
        entry.update(label="timeout", hits={}, issues=None)
    else:
        try:
            d = json.loads(stdout)
        except ValueError:
            d = None
            entry.update(label="error", hits={}, issues=None, stderr=stderr.strip()[-300:])
            if rc < 0:  # killed: worth retrying; a refusal (symlink out of the archive) is not
                return entry
    if rc is not None and d is not None:
        # A rule hit is a non-empty result: a list of findings (source rules) or a message.
        hits = {rule: (len(v) if isinstance(v, (list, dict)) else 1) for rule, v in (d.get("results") or {}).items() if v}
        entry.update(label=(d.get("risk_score") or {}).get("label") or "none", hits=hits, issues=d.get("issues"),
                     errors=d.get("errors") or {})
    tmp = key.with_suffix(".tmp")
    tmp.write_text(json.dumps(entry))
    tmp.rename(key)
    return entry


def gd_category(rule):
    """GuardDog 3 rule names read kind-area-what (threat-network-exfiltration); metadata rules
    have no such prefix and count as their own category."""
    parts = rule.split("-")
    return "-".join(parts[:2]) if parts[0] in ("threat", "capability") and len(parts) > 2 else rule


def machine():
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
    mem = next((int(l.split()[1]) // 1024 // 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    return f"{os.cpu_count()} cores ({model}), {mem} GiB, {platform.system()} {platform.release()}"


def rate(n, d):
    return f"{n}/{d} ({n / d:.0%})" if d else "-"


def full_report(rows, fb_version, gd_version, started, load_start):
    """The side-by-side comparison: verdicts, detection, rule categories, time."""
    sets = [("reconstructions", "attack reconstructions"), ("negatives", "hard negatives"),
            ("npm", "popular npm"), ("pypi", "popular PyPI")]
    by = {s: [r for r in rows if r["set"] == s] for s, _ in sets}
    gd_rows = [r for r in rows if "gd" in r]
    fb_flag = lambda r: r["fb"] == "malicious"
    fb_any = lambda r: r["fb"] in ("malicious", "suspicious")
    gd_flag = lambda r: bool(r["gd"]["hits"])
    gd_threat = lambda r: any(k.startswith("threat-") for k in r["gd"]["hits"])
    loads = [r["gd"]["load"] for r in gd_rows if "load" in r["gd"]]
    jobs = max((r["gd"].get("jobs", 1) for r in gd_rows), default=1)
    when = sorted(r["gd"]["when"] for r in gd_rows if "when" in r["gd"])
    md = ["# Content analysis: firebreak and GuardDog on the same archives", "",
          f"Generated {started} by `bench/eval/run.sh` on {machine()}.",
          f"firebreak: {fb_version}, release build, one `firebreak inspect` process per archive, run in sequence; "
          f"load average {load_start[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end.",
          f"GuardDog: {gd_version}, `guarddog <npm|pypi> scan <archive> --output-format json`, one process per archive, "
          f"up to {jobs} side by side; results cached by archive sha256 and GuardDog version"
          + (f", scanned {when[0]} to {when[-1]}, 1-minute load average {min(loads):.1f}-{max(loads):.1f} (mean {sum(loads) / len(loads):.1f}) while scanning." if loads else "."),
          "Refresh (GuardDog's side comes from its cache, so this takes seconds plus a release build): "
          "`CACHE=<archive cache> GUARDDOG=<guarddog binary> REPORT=bench/results/content-eval-guarddog-full.md bench/eval/run.sh`.", "",
          "GuardDog cannot reach its metadata sources from this machine (no network but the registries), so its "
          "metadata rules see only the archive; its source-code rules (Semgrep and YARA) all run.", "",
          "Flagged: firebreak verdict `malicious` (in brackets: `malicious` or `suspicious`); GuardDog any rule hit "
          "(in brackets: any `threat-*` rule hit, leaving out the `capability-*` rules that describe what code can do).", "",
          "## Verdicts", "",
          "| set | archives | firebreak clean / suspicious / malicious / error | firebreak flagged | GuardDog flagged | GuardDog risk labels | GuardDog timeouts+errors |",
          "| --- | ---: | --- | --- | --- | --- | ---: |"]
    for s, title in sets:
        sub = by[s]
        if not sub:
            continue
        c = Counter(r["fb"] for r in sub)
        g = [r for r in sub if "gd" in r]
        gd_ok = [r for r in g if r["gd"]["label"] not in ("timeout", "error")]
        labels = ", ".join(f"{k} {v}" for k, v in Counter(r["gd"]["label"] for r in gd_ok).most_common())
        gd_col = f"{rate(sum(map(gd_flag, gd_ok)), len(gd_ok))} ({sum(map(gd_threat, gd_ok))})" if g else "not run"
        md.append(f"| {title} | {len(sub)} | {c['clean']} / {c['suspicious']} / {c['malicious']} / {c['error']} | "
                  f"{rate(sum(map(fb_flag, sub)), len(sub))} ({sum(map(fb_any, sub))}) | {gd_col} | {labels or '-'} | {len(g) - len(gd_ok)} |")
    for r in gd_rows:
        if r["gd"]["label"] in ("timeout", "error"):
            why = (r["gd"].get("stderr") or "").splitlines()[-1:] or ["killed after the time limit"]
            why = re.sub(r"(?<![.\w])/\S*/", "", why[0])[:200]  # no path of this machine
            md.append(f"\nGuardDog {r['gd']['label']} on {r['file']}: {why}")
    rec, neg = by["reconstructions"], by["negatives"]
    md += ["", "## Detection", "",
           "Reconstructions are the positives, hard negatives the negatives; the popular packages are taken as benign "
           "(a flag there is a false positive unless a reader finds otherwise).", "",
           "| | recall (reconstructions) | false positives (hard negatives) | precision | false positives (popular npm) | false positives (popular PyPI) |",
           "| --- | --- | --- | --- | --- | --- |"]
    for name, f, need_gd in [("firebreak `malicious`", fb_flag, False), ("firebreak `malicious` or `suspicious`", fb_any, False),
                             ("GuardDog any rule hit", gd_flag, True), ("GuardDog `threat-*` rule hit", gd_threat, True)]:
        pick = lambda sub: [r for r in sub if not need_gd or ("gd" in r and r["gd"]["label"] not in ("timeout", "error"))]
        rr, nn, pn, pp = pick(rec), pick(neg), pick(by["npm"]), pick(by["pypi"])
        tp, fp = sum(map(f, rr)), sum(map(f, nn))
        prec = f"{tp / (tp + fp):.2f}" if tp + fp else "-"
        md.append(f"| {name} | {rate(tp, len(rr))} | {rate(fp, len(nn))} | {prec} | {rate(sum(map(f, pn)), len(pn))} | {rate(sum(map(f, pp)), len(pp))} |")
    cats = sorted({gd_category(k) for r in gd_rows for k in r["gd"]["hits"]})
    if cats:
        md += ["", "## GuardDog: archives with at least one hit, per rule category", "",
               "| category | " + " | ".join(t for s, t in sets if by[s]) + " |", "| --- |" + " ---: |" * sum(1 for s, _ in sets if by[s])]
        for cat in cats:
            md.append(f"| {cat} | " + " | ".join(str(sum(any(gd_category(k) == cat for k in r.get("gd", {}).get("hits", {})) for r in by[s])) for s, _ in sets if by[s]) + " |")
        rules = Counter(k for r in gd_rows for k in r["gd"]["hits"] if r["set"] in ("npm", "pypi"))
        md += ["", "Rules hit most often on the popular packages (archives): " + ", ".join(f"{k} {v}" for k, v in rules.most_common(12)) + "."]
    md += ["", "## Time", "",
           "Sums over the set of each archive's own process: wall and CPU (user+sys of the process and its children, from wait4). "
           "GuardDog's wall time is inflated by running several scans side by side on a loaded machine; CPU time is the fairer comparison.", "",
           "| set | firebreak wall | firebreak CPU | GuardDog wall | GuardDog CPU | wall ratio | CPU ratio |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s, title in sets:
        g = [r for r in by[s] if "gd" in r]
        if not g:
            continue
        fw, fc = sum(r["fb_wall"] for r in g), sum(r["fb_cpu"] for r in g)
        gw, gc = sum(r["gd"]["wall"] for r in g), sum(r["gd"]["cpu"] for r in g)
        md.append(f"| {title} ({len(g)}) | {fw:.1f} s | {fc:.1f} s | {gw:.1f} s | {gc:.1f} s | {gw / fw:.0f}x | {gc / fc:.0f}x |")
    md += ["", "## Flagged by firebreak on the popular packages", ""]
    for r in rows:
        if r["set"] in ("npm", "pypi") and fb_any(r):
            gd = f"; GuardDog: {', '.join(sorted(r['gd']['hits'])) or 'no hit'}" if "gd" in r else ""
            md.append(f"- {r['name']} ({r['file']}): {r['fb']} {r['fb_score']}: {'; '.join(r['fb_reasons'])}{gd}")
    return "\n".join(md) + "\n"


def main():
    a = argparse.ArgumentParser()
    for flag in ["firebreak", "guarddog", "root", "out", "cache", "npm-list", "pypi-list", "gd-cache", "report"]:
        a.add_argument("--" + flag, default="")
    a.add_argument("--limit", type=int, default=0)
    a.add_argument("--jobs", type=int, default=1)
    a.add_argument("--guarddog-timeout", type=int, default=300)
    args = a.parse_args()
    root, out, cache = Path(args.root), Path(args.out), Path(args.cache)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_start = os.getloadavg()
    read = lambda p: [l.strip() for l in open(p) if l.strip() and not l.startswith("#")]
    npm_names, pypi_names = read(args.npm_list), read(args.pypi_list)
    if args.limit:
        npm_names, pypi_names = npm_names[: args.limit], pypi_names[: args.limit]
    fixtures = root / "crates/firebreak-content/fixtures"
    recon = sorted(p for p in (fixtures / "reconstructions").iterdir() if (p / "expected.toml").exists() and p.name != "diff")
    negatives = sorted(p for p in (fixtures / "negatives").iterdir() if p.suffix in (".tgz", ".gz", ".whl"))
    items = [("reconstructions", "npm" if (p / "package/package.json").exists() else "pypi", p.name, p / "package") for p in recon]
    items += [("negatives", "npm" if p.name.endswith(".tgz") else "pypi", p.name, p) for p in negatives]
    corpus = [("npm", "npm", n, p) for n, p in fetch_npm(npm_names, cache / "npm")] + \
             [("pypi", "pypi", n, p) for n, p in fetch_pypi(pypi_names, cache / "pypi")]
    fb_version = subprocess.run([args.firebreak, "--version"], capture_output=True, text=True).stdout.strip()

    # firebreak, one process per archive, in sequence so that its wall time is its own.
    rows = []
    for s, eco, name, path in items + corpus:
        rows.append({"set": s, "eco": eco, "name": name, "file": path.name, "path": str(path),
                     "bytes": unpacked_size(path) if s in ("npm", "pypi") else 0, **firebreak(args.firebreak, path)})
    # Throughput without per-process start-up: every corpus archive in one process.
    _, _, _, batch_wall, batch_cpu = run_measured([args.firebreak, "--color", "never", "inspect", "--format", "json", "-o",
                                                   str(out / "batch.json")] + [str(p) for *_, p in corpus])
    if args.guarddog:
        gd_cache = Path(args.gd_cache or cache / "guarddog-results"); gd_cache.mkdir(parents=True, exist_ok=True)
        gd_version = guarddog_version(args.guarddog)
        todo = [(r, eco, Path(r["path"])) for r, (_, eco, _, _) in zip(rows, items + corpus)]
        with ThreadPoolExecutor(max(1, args.jobs)) as pool:
            for r, res in zip(rows, pool.map(lambda t: guarddog(args.guarddog, gd_version, gd_cache, t[1], t[2], args.guarddog_timeout, args.jobs), todo)):
                r["gd"] = res
    with open(out / "corpus.json", "w") as f:
        json.dump(rows, f, indent=1)

    tp = sum(r["fb"] == "malicious" for r in rows if r["set"] == "reconstructions")
    neg = [r["fb"] for r in rows if r["set"] == "negatives"]
    fp = sum(v == "malicious" for v in neg)
    md = ["# Content analysis evaluation", "", "## Reconstructions and hard negatives", "",
          f"- reconstructions flagged malicious: {tp} of {len(recon)} (recall {tp / len(recon) if recon else 0:.2f})",
          f"- hard negatives flagged malicious: {fp} of {len(neg)}; verdicts: {dict(Counter(neg))}",
          f"- precision {tp / (tp + fp) if tp + fp else 0:.2f}", ""]
    crows = [r for r in rows if r["set"] in ("npm", "pypi")]
    for eco in ("npm", "pypi"):
        sub = [r for r in crows if r["eco"] == eco]
        if not sub:
            continue
        dist = Counter(r["fb"] for r in sub)
        md += [f"## Popular {eco} packages ({len(sub)})", "",
               f"- firebreak verdicts: {dict(dist)}; malicious rate {dist['malicious'] / len(sub):.1%}"]
        if args.guarddog:
            md.append(f"- GuardDog labels: {dict(Counter(r['gd']['label'] for r in sub))}")
        for r in sub:
            if r["fb"] in ("malicious", "suspicious"):
                md.append(f"  - {r['name']} ({r['file']}): {r['fb']} {r['fb_score']}: {'; '.join(r['fb_reasons'])}")
        md.append("")
    mb = sum(r["bytes"] for r in crows) / 1e6
    fb_wall, fb_cpu = sum(r["fb_wall"] for r in crows), sum(r["fb_cpu"] for r in crows)
    md += ["## Speed", "",
           f"- {len(crows)} archives, {mb:.1f} MB unpacked; firebreak one process per archive: {fb_wall:.1f} s wall, {fb_cpu:.1f} s CPU; "
           f"{mb / fb_cpu if fb_cpu else 0:.1f} MB unpacked per CPU second",
           f"- firebreak, every archive in one process: {batch_wall:.1f} s wall, {batch_cpu:.1f} s CPU; "
           f"{mb / batch_cpu if batch_cpu else 0:.1f} MB unpacked per CPU second (archive reading, integrity-free)"]
    if args.guarddog:
        gw, gc = sum(r["gd"]["wall"] for r in crows), sum(r["gd"]["cpu"] for r in crows)
        md.append(f"- GuardDog {gd_version} one process per archive: {gw:.1f} s wall, {gc:.1f} s CPU (cached results keep the "
                  f"times of their scan); ratio {gw / fb_wall:.1f}x wall, {gc / fb_cpu:.1f}x CPU")
    md.append(f"- load average at the start {load_start}, at the end {os.getloadavg()}")
    (out / "summary.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    if args.guarddog:
        report = full_report(rows, fb_version, gd_version, started, load_start)
        (out / "guarddog-full.md").write_text(report)
        if args.report:
            Path(args.report).write_text(report)
        print(report)


if __name__ == "__main__":
    main()
