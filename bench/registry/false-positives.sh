#!/usr/bin/env bash
# False-positive measurement of the registry signals: `firebreak check` on the latest
# release of each of the 200 most depended-upon npm packages (bench/registry/top200-npm.txt),
# against the real registry (this script needs the network; tests never do). Prints, per
# signal id, how many packages raise it and which, and writes the raw JSON reports.
# Usage: bench/registry/false-positives.sh [OUT_DIR]
# Env: FIREBREAK (a prebuilt binary; default: build it), LIST (a name list), JOBS=4
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-$root/bench/out/false-positives}"; mkdir -p "$out/reports"; out="$(cd "$out" && pwd)"
LIST="${LIST:-$root/bench/registry/top200-npm.txt}"; JOBS="${JOBS:-4}"
if [ -z "${FIREBREAK:-}" ]; then
  (cd "$root" && cargo build --release --locked -q -p firebreak)
  FIREBREAK="${CARGO_TARGET_DIR:-$root/target}/release/firebreak"
fi
export FIREBREAK out
# One fresh cache for the run, so every document is fetched once and reused by later names.
export FIREBREAK_CACHE_DIR="$out/cache"
check() {
  local name="$1" file
  file="$out/reports/$(printf '%s' "$name" | tr '/@' '__').json"
  # Exit 1 means the policy blocked: that is a result here, not a failure of the script.
  "$FIREBREAK" check "$name" --format json -o "$file" >/dev/null 2>"$file.stderr" || true
}
export -f check
grep -v '^\s*#' "$LIST" | grep -v '^\s*$' | xargs -P "$JOBS" -I{} bash -c 'check "$@"' _ {}
python3 - "$out" <<'PY'
import json, os, sys, collections
out = sys.argv[1]
by_signal = collections.defaultdict(list)
failed, checked, errors = [], 0, []
for f in sorted(os.listdir(os.path.join(out, "reports"))):
    if not f.endswith(".json"):
        continue
    path = os.path.join(out, "reports", f)
    try:
        doc = json.load(open(path))
    except Exception:
        errors.append((f, open(path + ".stderr").read().strip()[:200] if os.path.exists(path + ".stderr") else "no report"))
        continue
    checked += 1
    pkg = None
    for finding in doc["findings"]:
        p = finding.get("package") or {}
        pkg = f'{p.get("name")}@{p.get("version")}'
        by_signal[finding["signal"]].append((pkg, finding["action"], finding["message"]))
    if doc["failed"]:
        failed.append(pkg or f)
print(f"# registry signals on the top npm packages\n\n{checked} packages checked, {len(failed)} blocked by the default policy, {len(errors)} errors\n")
print("| signal | packages | blocked | examples |\n| --- | --- | --- | --- |")
for sig, hits in sorted(by_signal.items(), key=lambda kv: -len(kv[1])):
    pkgs = sorted({h[0] for h in hits})
    blocked = sorted({h[0] for h in hits if h[1] == "fail"})
    print(f"| `{sig}` | {len(pkgs)} | {len(blocked)} | {', '.join(pkgs[:6])}{' …' if len(pkgs) > 6 else ''} |")
if errors:
    print("\nerrors:")
    for f, e in errors[:20]:
        print(f"- {f}: {e}")
print("\nfindings:")
for sig, hits in sorted(by_signal.items()):
    for pkg, action, msg in hits:
        print(f"- `{sig}` {pkg} ({action}): {msg}")
PY
