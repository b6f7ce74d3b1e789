#!/usr/bin/env bash
# Whole-process timing and peak memory of `firebreak scan` with registry signals on a
# 1,500-package npm lockfile, against the local fixture registry (gen_fixture.py):
# cold cache, warm cache (default --max-age), offline, and --max-age 0 (every packument
# revalidated, answered 304).
# Usage: bench/registry/scan.sh [OUT_DIR]      Env: RUNS=10 COLD_RUNS=5 N=1500 FIREBREAK=binary
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-$root/bench/out/registry}"
RUNS="${RUNS:-10}"
COLD_RUNS="${COLD_RUNS:-5}"
N="${N:-1500}"
target="${CARGO_TARGET_DIR:-$root/target}"
cd "$root"

# FIREBREAK names an already built binary (to compare builds); otherwise main's is built.
if [ -z "${FIREBREAK:-}" ]; then
  cargo build --release --locked -q -p firebreak
fi
cargo build --release --locked -q -p firebreak-test --example serve_fixtures
fb="${FIREBREAK:-$target/release/firebreak}"
serve="$target/release/examples/serve_fixtures"

if [ ! -f "$out/stats.json" ] || [ "$(python3 -c "import json;print(json.load(open('$out/stats.json'))['packages'])")" != "$N" ]; then
  rm -rf "$out"
  python3 bench/registry/gen_fixture.py "$out" "$N"
fi
cat "$out/stats.json"

# The server lives as long as fd 3 (its stdin) stays open: it stops when this script exits.
rm -f "$out/server.fifo"; mkfifo "$out/server.fifo"
"$serve" "$out/tree" < "$out/server.fifo" > "$out/server.url" &
exec 3> "$out/server.fifo"
for _ in $(seq 50); do [ -s "$out/server.url" ] && break; sleep 0.1; done
npm_url="$(head -1 "$out/server.url")"
echo "registry: $npm_url"

cache="$out/cache"
# An empty data directory: the advisory snapshot built into the binary, whatever the
# machine has installed.
mkdir -p "$out/data"
export XDG_DATA_HOME="$out/data" FIREBREAK_TODAY=2026-11-29
scan="$fb scan $out/project --registry npm=$npm_url --cache-dir $cache --format json -o /dev/null --exit-zero"

# One checked run first: the report must have checked every package.
rm -rf "$cache"
$fb scan "$out/project" --registry "npm=$npm_url" --cache-dir "$cache" --format json -o "$out/report.json" --exit-zero
python3 - "$out/report.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
reg = r["registry"]
print("report:", r["summary"], "registry", {k: v for k, v in reg.items() if not isinstance(v, (list, dict))})
if reg.get("checked") != r["summary"]["packages"]:
    sys.exit("not every package was checked")
EOF

load() { uptime | sed 's/.*load average: //'; }
run() { # name, hyperfine args...
  local name="$1"; shift
  echo "== $name  (load before: $(load))"
  hyperfine --style basic --export-json "$out/hyperfine-$name.json" "$@"
  echo "   load after: $(load)"
}
rss() { # name, scan args...
  local name="$1"; shift
  /usr/bin/time -f "%M" -o "$out/rss-$name.txt" $scan "$@"
  echo "peak RSS $name: $(( $(tail -1 "$out/rss-$name.txt") / 1024 )) MiB"
}

run cold --runs "$COLD_RUNS" --prepare "rm -rf $cache" -n cold "$scan"
rm -rf "$cache"; rss cold
run warm --runs "$RUNS" --warmup 1 -n warm "$scan"
rss warm
run offline --runs "$RUNS" --warmup 1 -n offline "$scan --offline"
rss offline --offline
run revalidate --runs "$RUNS" --warmup 1 -n revalidate "$scan --max-age 0"
rss revalidate --max-age 0
exec 3>&-
wait
