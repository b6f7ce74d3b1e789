#!/usr/bin/env bash
# Advisory-scan speed: `firebreak db update` of 500,000 synthetic OSV records (directory tree
# and per-ecosystem all.zip) into a fresh database, the database size, and `firebreak scan`
# of a 10,000-crate Cargo.lock against it, whole process, warm; side by side with the peers
# on the same input in the same run:
#   cargo audit  on the same Cargo.lock, the same crates.io records converted to a RustSec
#                folder (--db DIR --no-fetch --no-yanked)
#   pip-audit    on a requirements file, against osv-query-server.py serving the same PyPI
#                records, next to `firebreak scan` of that file
# `firebreak scan` runs with --no-registry: this measures the advisory scan, offline like
# the peers (cargo audit --no-fetch, pip-audit against a local server); since registry
# signals are on by default, a scan without it would send one registry request per crate.
# Usage: bench/advisory.sh [OUT_DIR]
# Env: RECORDS=500000 PACKAGES=10000 PINS=1000 SEED=1 RUNS=10 IMPORT_RUNS=3 PIP_RUNS=3 RSS=1
#      STEPS="import cargo realistic pypi" (a subset reuses the database of an earlier run)
#      CARGO_AUDIT (cargo-audit binary; skipped when not found), PIP_AUDIT (pip-audit;
#      skipped when not found), OSV_PYTHON (python for the OSV server; default the one
#      beside pip-audit), OSV_PORT=5091, FIREBREAK (a prebuilt binary; default: build it)
# Targets: import < 60 s, database < 1 GB, scan < 300 ms.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/bench/out/advisory}"; mkdir -p "$out"; out="$(cd "$out" && pwd)"
RECORDS="${RECORDS:-500000}"; PACKAGES="${PACKAGES:-10000}"; PINS="${PINS:-1000}"; SEED="${SEED:-1}"
RUNS="${RUNS:-10}"; IMPORT_RUNS="${IMPORT_RUNS:-3}"; OSV_PORT="${OSV_PORT:-5091}"
CARGO_AUDIT="${CARGO_AUDIT:-$(command -v cargo-audit || true)}"
PIP_AUDIT="${PIP_AUDIT:-$(command -v pip-audit || true)}"
cd "$root"

if [ -z "${FIREBREAK:-}" ]; then
  cargo build --release --locked -q -p firebreak
  FIREBREAK="${CARGO_TARGET_DIR:-$root/target}/release/firebreak"
fi
fb="$FIREBREAK"

data="$out/data-$RECORDS-$PACKAGES-$SEED"
if [ ! -f "$data/stats.json" ]; then
  rm -rf "$data"
  echo "generating $RECORDS records into $data"
  python3 "$root/bench/advisory/gen_osv.py" "$data" --records "$RECORDS" --packages "$PACKAGES" --pins 10000 --seed "$SEED"
  python3 "$root/bench/advisory/osv_to_rustsec.py" "$data/osv/crates.io" "$data/rustsec"
fi
head -n "$PINS" "$data/requirements.txt" > "$out/requirements.txt"
cp "$data/Cargo.lock" "$out/Cargo.lock"
zips=()
for z in "$data"/zip/*/all.zip; do zips+=(--source "$z"); done
db="$out/advisories.sqlite3"

STEPS=" ${STEPS:-import cargo realistic pypi} "
if [[ "$STEPS" == *" import "* ]]; then
echo "== import"
hyperfine --runs "$IMPORT_RUNS" --style basic --export-json "$out/import.json" --export-markdown "$out/import.md" \
  --prepare "rm -f $db $db-journal $db-wal $db-shm" \
  -n "db update (directory, $RECORDS files)" "$fb db update --db $db --source $data/osv" \
  -n "db update (4 all.zip)" "$fb db update --db $db ${zips[*]}"
# The last timed import (the zips) leaves the database the scans use; RSS=1 re-imports the
# directory once more under /usr/bin/time for the peak memory.
if [ "${RSS:-1}" = 1 ]; then
  rm -f "$db"
  /usr/bin/time -f "%e s %M KiB" -o "$out/import-rss.txt" "$fb" db update --db "$db" --source "$data/osv"
  echo "import of the directory: wall, peak RSS: $(cat "$out/import-rss.txt")"
fi
"$fb" db status --db "$db" > "$out/db-status.txt"
fi
db_bytes="$(stat -c %s "$db")"
echo "database: $db_bytes bytes ($(( db_bytes / 1024 / 1024 )) MiB)"

if [[ "$STEPS" == *" cargo "* ]]; then
echo "== scan (Cargo.lock, $PACKAGES packages) against cargo audit"
scan_cargo="$fb scan $out/Cargo.lock --db $db --no-registry --format json --output $out/firebreak-cargo.json"
names=("firebreak scan"); cmds=("$scan_cargo")
if [ -n "$CARGO_AUDIT" ]; then
  names+=("cargo-audit $("$CARGO_AUDIT" audit --version | awk '{print $NF}')")
  cmds+=("$CARGO_AUDIT audit --db $data/rustsec --no-fetch --no-yanked --json -f $out/Cargo.lock > $out/cargo-audit.json")
else echo "skip: cargo-audit not found (CARGO_AUDIT)" >&2; fi
hf=(hyperfine -i --warmup 2 --runs "$RUNS" --style basic --export-json "$out/scan-cargo.json" --export-markdown "$out/scan-cargo.md")
for i in "${!cmds[@]}"; do hf+=(-n "${names[$i]}" "${cmds[$i]}"); done
"${hf[@]}"
/usr/bin/time -f "%M" -o "$out/scan-rss.txt" bash -c "$scan_cargo" || true
echo "scan peak RSS: $(tail -1 "$out/scan-rss.txt") KiB"
fi

if [[ "$STEPS" == *" realistic "* ]]; then
# Beside the stress case, not instead of it: the same graph with ~96 % of the names renamed
# to ones no advisory uses, so that a few percent of the packages are hit, as in real life.
echo "== scan (realistic Cargo.lock, $PACKAGES packages, a few percent named by advisories)"
mkdir -p "$out/realistic"
python3 "$root/bench/advisory/realistic_lock.py" "$out/Cargo.lock" "$out/realistic/Cargo.lock"
scan_real="$fb scan $out/realistic/Cargo.lock --db $db --no-registry --format json --output $out/firebreak-realistic.json"
hf=(hyperfine -i --warmup 2 --runs "$RUNS" --style basic --export-json "$out/scan-realistic.json" --export-markdown "$out/scan-realistic.md" -n "firebreak scan" "$scan_real")
if [ -n "$CARGO_AUDIT" ]; then
  hf+=(-n "cargo-audit" "$CARGO_AUDIT audit --db $data/rustsec --no-fetch --no-yanked --json -f $out/realistic/Cargo.lock > $out/cargo-audit-realistic.json")
fi
"${hf[@]}"
fi

srv_pid=""
cleanup() { [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null || true; }
trap cleanup EXIT
if [ -n "$PIP_AUDIT" ] && [[ "$STEPS" == *" pypi "* ]]; then
  echo "== scan (requirements.txt, $PINS pins) against pip-audit"
  if [ -z "${OSV_PYTHON:-}" ]; then
    OSV_PYTHON=python3
    [ -x "$(dirname "$PIP_AUDIT")/python" ] && OSV_PYTHON="$(dirname "$PIP_AUDIT")/python"
  fi
  "$OSV_PYTHON" "$root/bench/peers/osv-query-server.py" --db "$data/osv/PyPI" --port "$OSV_PORT" > "$out/osv-server.log" 2>&1 &
  srv_pid=$!
  for _ in $(seq 1 900); do
    curl -fsS -o /dev/null -X POST -d '{"package":{"name":"x","ecosystem":"PyPI"},"version":"1"}' \
      "http://127.0.0.1:$OSV_PORT/v1/query" 2>/dev/null && break; sleep 0.2
  done
  head -1 "$out/osv-server.log"
  hyperfine -i --warmup 1 --runs "${PIP_RUNS:-3}" --style basic --export-json "$out/scan-pypi.json" --export-markdown "$out/scan-pypi.md" \
    -n "firebreak scan" "$fb scan $out/requirements.txt --db $db --no-registry --format json --output $out/firebreak-pypi.json" \
    -n "$("$PIP_AUDIT" --version)" "$PIP_AUDIT -r $out/requirements.txt --no-deps --disable-pip -s osv --osv-url http://127.0.0.1:$OSV_PORT/v1/query --cache-dir $out/pip-audit-cache --progress-spinner off -f json -o $out/pip-audit.json"
else echo "skip: pip-audit not found (PIP_AUDIT)" >&2; fi

python3 - "$out" "$db_bytes" <<'PY'
import json, os, sys
out, db_bytes = sys.argv[1], int(sys.argv[2])
def load(n):
    p = os.path.join(out, n)
    return json.load(open(p))["results"] if os.path.exists(p) else []
def findings(n):
    try:
        d = json.load(open(os.path.join(out, n)))
        f = d.get("findings", [])
        return f"{len(f)} findings in {len({x.get('package', {}).get('purl') if isinstance(x.get('package'), dict) else x.get('package') for x in f})} packages"
    except Exception as e:
        return f"n/a ({e.__class__.__name__})"
def peer(n):
    try:
        d = json.load(open(os.path.join(out, n)))
        if "vulnerabilities" in d:
            return f"{d['vulnerabilities']['count']} vulns ({d['database']['advisory-count']} advisories loaded)"
        deps = d["dependencies"]
        return f"{sum(len(x.get('vulns', [])) for x in deps)} vulns in {sum(1 for x in deps if x.get('vulns'))} packages"
    except Exception as e:
        return f"n/a ({e.__class__.__name__})"
lines = [f"database: {db_bytes} bytes = {db_bytes / 2**20:.1f} MiB", ""]
for title, n, extra in [("import", "import.json", None), ("scan Cargo.lock", "scan-cargo.json", ("firebreak-cargo.json", "cargo-audit.json")),
                        ("scan realistic Cargo.lock", "scan-realistic.json", ("firebreak-realistic.json", "cargo-audit-realistic.json")),
                        ("scan requirements.txt", "scan-pypi.json", ("firebreak-pypi.json", "pip-audit.json"))]:
    res = load(n)
    if not res:
        continue
    lines += [f"### {title}", "", "| command | median s | mean s ± sd | min s | max s | runs | ratio to firebreak |", "|---|---|---|---|---|---|---|"]
    base = res[0]["median"]
    for r in res:
        lines.append(f"| {r['command']} | {r['median']:.3f} | {r['mean']:.3f} ± {r['stddev'] or 0:.3f} | {r['min']:.3f} | {r['max']:.3f} | {len(r['times'])} | {r['median'] / base:.1f}× |")
    if extra:
        lines += ["", f"- firebreak: {findings(extra[0])}", f"- peer: {peer(extra[1])}"]
    lines.append("")
s = "\n".join(lines)
open(os.path.join(out, "summary.md"), "w").write(s)
print(s)
PY
echo "outputs: $out"
