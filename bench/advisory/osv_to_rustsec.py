#!/usr/bin/env python3
"""Converts crates.io OSV records into a RustSec advisory-db folder
(`crates/<crate>/<ID>.md`, TOML front matter + Markdown), so that `cargo audit --db DIR
--no-fetch` reads the same advisories firebreak imports.

Each affected interval becomes its complement in RustSec terms: versions below the first
`introduced` are `unaffected`, versions from a `fixed` (or above a `last_affected`) up to
the next `introduced` are `patched`; a `versions` list [v1..vn] becomes
`unaffected = ["< v1", "> v1, < v2", ..., "> vn"]`. Withdrawn records are left out (neither
tool matches them). Records naming more than one crate are skipped (none from gen_osv.py).

Usage: osv_to_rustsec.py OSV_CRATES_DIR OUT_DIR
"""
import json
import os
import sys


def vkey(v):
    return tuple(int(x) for x in v.split("."))


def unaffected_reqs(affected):
    """(patched, unaffected) VersionReq strings for one affected entry; None if it cannot be said."""
    if affected.get("versions"):
        vs = sorted(set(affected["versions"]), key=vkey)
        unaffected = [f"< {vs[0]}"]
        unaffected += [f"> {a}, < {b}" for a, b in zip(vs, vs[1:])]
        unaffected.append(f"> {vs[-1]}")
        return [], unaffected
    ranges = [r for r in affected.get("ranges", []) if r["type"] in ("SEMVER", "ECOSYSTEM")]
    if len(ranges) != 1:
        return None
    # intervals of affected versions: (start or None, end or None, end_inclusive)
    intervals, start = [], "open"
    for ev in ranges[0]["events"]:
        (k, v), = ev.items()
        if k == "introduced":
            start = None if v == "0" else v
        elif k in ("fixed", "last_affected") and start != "open":
            intervals.append((start, v, k == "last_affected"))
            start = "open"
    if start != "open":
        intervals.append((start, None, False))
    patched, unaffected = [], []
    if intervals and intervals[0][0] is not None:
        unaffected.append(f"< {intervals[0][0]}")
    for (_, end, incl), nxt in zip(intervals, intervals[1:] + [None]):
        if end is None:
            break
        lo = f"> {end}" if incl else f">= {end}"
        req = lo if nxt is None else f"{lo}, < {nxt[0]}"
        (unaffected if incl else patched).append(req)
    return patched, unaffected


def toml_str(s):
    return json.dumps(s)


def main():
    src, out = sys.argv[1], sys.argv[2]
    written = skipped = 0
    for f in sorted(os.listdir(src)):
        if not f.endswith(".json"):
            continue
        rec = json.load(open(os.path.join(src, f), encoding="utf-8"))
        if rec.get("withdrawn") or len(rec.get("affected", [])) != 1:
            skipped += 1
            continue
        aff = rec["affected"][0]
        reqs = unaffected_reqs(aff)
        if reqs is None:
            skipped += 1
            continue
        patched, unaffected = reqs
        crate = aff["package"]["name"]
        lines = ["```toml", "[advisory]", f"id = {toml_str(rec['id'])}", f"package = {toml_str(crate)}",
                 f"date = {toml_str(rec.get('published', rec['modified'])[:10])}"]
        if rec.get("aliases"):
            lines.append(f"aliases = [{', '.join(toml_str(a) for a in rec['aliases'])}]")
        for sev in rec.get("severity", []):
            if sev["type"] == "CVSS_V3":
                lines.append(f"cvss = {toml_str(sev['score'])}")
                break
        refs = [r["url"] for r in rec.get("references", [])]
        if refs:
            lines.append(f"references = [{', '.join(toml_str(u) for u in refs)}]")
        lines += ["", "[versions]", f"patched = [{', '.join(toml_str(p) for p in patched)}]",
                  f"unaffected = [{', '.join(toml_str(u) for u in unaffected)}]", "```", "",
                  f"# {rec.get('summary') or rec['id']}", "", (rec.get("details") or rec["id"]).strip(), ""]
        d = os.path.join(out, "crates", crate)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, rec["id"] + ".md"), "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines))
        written += 1
    print(f"rustsec: {written} advisories written, {skipped} skipped (withdrawn or not convertible)")


if __name__ == "__main__":
    main()
