#!/usr/bin/env bash
# Registry proxy benchmark: load on cached packuments and `npm ci` of a ~1,600-package
# project, against a fixture upstream on 127.0.0.1 (README.md beside this file).
#
# Usage: run.sh TARGET...
#   direct                 the fixture upstream itself (the baseline)
#   verdaccio              Verdaccio as a plain caching proxy of the fixture upstream
#   proxy:COMMAND          any proxy that follows `firebreak proxy`'s contract: COMMAND is run
#                          with `{upstream}` replaced by the upstream's npm URL and `{cache}` by
#                          a fresh cache directory; it must print
#                          `... listening on http://IP:PORT` on stderr, and serve npm at
#                          http://IP:PORT$PROXY_NPM_PATH (default /npm/). Example:
#     run.sh direct verdaccio \
#       'proxy:target/release/firebreak proxy --listen 127.0.0.1:0 --npm-upstream {upstream} --cache-dir {cache}'
#
# Env: CACHE (recorded upstream and tools; default ${XDG_CACHE_HOME:-$HOME/.cache}/firebreak-bench/proxy),
#      OUT (results; default $CACHE/results/<timestamp>), CONNECTIONS=64, THREADS=2,
#      DURATION=20s, RATE=5000 (a second load at this many requests/s; 0 skips it),
#      NPM_CI_RUNS=3, SKIP_NPM_CI=1, VERDACCIO (command; default: installed
#      into $CACHE/verdaccio), PROXY_NPM_PATH=/npm/.
# Needs: wrk, node + npm, python3, cargo (builds the fixture server), GNU time.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
CACHE="${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/firebreak-bench/proxy}"
mkdir -p "$CACHE"; CACHE="$(cd "$CACHE" && pwd)"
OUT="${OUT:-$CACHE/results/$(date -u +%Y%m%dT%H%M%SZ)}"; mkdir -p "$OUT"; OUT="$(cd "$OUT" && pwd)"
CONNECTIONS="${CONNECTIONS:-64}"; THREADS="${THREADS:-2}"; DURATION="${DURATION:-20s}"
NPM_CI_RUNS="${NPM_CI_RUNS:-3}"; PROXY_NPM_PATH="${PROXY_NPM_PATH:-/npm/}"
ACCEPT='application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*'
[ $# -gt 0 ] || { sed -n '2,22p' "$0" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time not found (apt-get install time)" >&2; exit 1; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

log() { printf '%s\n' "$*" | tee -a "$OUT/summary.txt" >&2; }

# 1. The recorded upstream (once; resumable).
if [ ! -f "$CACHE/upstream/.complete" ]; then
    log "recording the project's packuments and tarballs into $CACHE/upstream (network, once)"
    python3 "$here/record-upstream.py" "$here/project" "$CACHE/upstream"
    touch "$CACHE/upstream/.complete"
fi
# The load test asks for every packument the project needs, in lockfile order.
python3 - "$here/project/package-lock.json" > "$CACHE/packument-names.txt" <<'PY'
import json, sys
lock = json.load(open(sys.argv[1]))
seen = []
for key, entry in lock["packages"].items():
    if key and "resolved" in entry:
        name = entry.get("name") or key.rsplit("node_modules/", 1)[-1]
        if name not in seen:
            seen.append(name)
print("\n".join(n.replace("/", "%2f") for n in seen))
PY

# 2. The fixture server (release build of firebreak-test's example).
( cd "$repo" && cargo build --quiet --release -p firebreak-test --example serve_fixtures )
server="${CARGO_TARGET_DIR:-$repo/target}/release/examples/serve_fixtures"
mkfifo "$OUT/.upstream-stdin" 2>/dev/null || true
"$server" "$CACHE/upstream" < "$OUT/.upstream-stdin" > "$OUT/upstream.url" 2> "$OUT/upstream.log" & pids+=($!); up_pid=$!
exec 9> "$OUT/.upstream-stdin"   # keeps the server's stdin open until this script exits
for _ in $(seq 1 100); do [ -s "$OUT/upstream.url" ] && break; sleep 0.1; done
UPSTREAM="$(head -1 "$OUT/upstream.url")"
[ -n "$UPSTREAM" ] || { echo "fixture server did not start" >&2; cat "$OUT/upstream.log" >&2; exit 1; }

log "# proxy benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ)"
log "machine: $(nproc) cores, $(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo); node $(node --version), npm $(npm --version), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
log "project: $(python3 -c 'import json,sys;l=json.load(open(sys.argv[1]));print(sum(1 for k,e in l["packages"].items() if k and "resolved" in e))' "$here/project/package-lock.json") locked packages, $(wc -l < "$CACHE/packument-names.txt") packuments; upstream $UPSTREAM"

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

verdaccio_cmd() {
    if [ -n "${VERDACCIO:-}" ]; then echo "$VERDACCIO"; return; fi
    local v="$CACHE/verdaccio"
    if [ ! -x "$v/node_modules/.bin/verdaccio" ]; then
        mkdir -p "$v"
        # 6.9+ needs Node 22; verdaccio-audit asks for node-fetch@"cjs", a dist-tag some
        # mirrors lack, hence the override. No install scripts run: Verdaccio needs none.
        cat > "$v/package.json" <<'JSON'
{ "name": "bench-verdaccio", "private": true,
  "dependencies": { "verdaccio": "6.8.0" },
  "overrides": { "verdaccio-audit": { "node-fetch": "2.7.0" } } }
JSON
        (cd "$v" && npm install --ignore-scripts --no-audit --no-fund >/dev/null)
    fi
    echo "$v/node_modules/.bin/verdaccio"
}

# Starts a target; sets REGISTRY (npm registry URL) and TARGET_PID (the process to measure).
start_target() {
    local target="$1" work="$2"
    case "$target" in
    direct)
        REGISTRY="$UPSTREAM"; TARGET_PID="$up_pid" ;;
    verdaccio)
        local port; port="$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')"
        mkdir -p "$work/verdaccio"
        # A plain caching proxy: no web UI, no auth beyond the defaults, packuments kept for
        # an hour without revalidation (what "cached" means for the load test).
        cat > "$work/verdaccio/config.yaml" <<YAML
storage: ./storage
web: { enable: false }
auth: { htpasswd: { file: ./htpasswd, max_users: -1 } }
uplinks:
  upstream: { url: $UPSTREAM, timeout: 30s, maxage: 60m, cache: true, max_fails: 100 }
packages:
  '@*/*': { access: \$all, publish: \$authenticated, proxy: upstream }
  '**': { access: \$all, publish: \$authenticated, proxy: upstream }
server: { keepAliveTimeout: 60 }
logs: { type: stdout, format: pretty, level: warn }
YAML
        "$(verdaccio_cmd)" --config "$work/verdaccio/config.yaml" --listen "127.0.0.1:$port" > "$work/target.log" 2>&1 &
        TARGET_PID=$!; pids+=($TARGET_PID)
        REGISTRY="http://127.0.0.1:$port/"
        for _ in $(seq 1 150); do curl -fsS -o /dev/null "${REGISTRY}-/ping" 2>/dev/null && break; sleep 0.2; done ;;
    proxy:*)
        local cmd="${target#proxy:}"
        mkdir -p "$work/cache"
        cmd="${cmd//\{upstream\}/$UPSTREAM}"; cmd="${cmd//\{cache\}/$work/cache}"
        ( cd "$repo" && exec $cmd ) 2> "$work/target.log" > /dev/null &
        TARGET_PID=$!; pids+=($TARGET_PID)
        local origin=""
        for _ in $(seq 1 300); do
            origin="$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$work/target.log" | head -1)"
            [ -n "$origin" ] && break; sleep 0.1
        done
        [ -n "$origin" ] || { echo "$target: no 'listening on' line" >&2; cat "$work/target.log" >&2; exit 1; }
        REGISTRY="${origin%/}${PROXY_NPM_PATH}" ;;
    *) echo "unknown target $target" >&2; exit 2 ;;
    esac
}

rss() { awk '/VmRSS/{r=$2} /VmHWM/{h=$2} END{printf "RSS %.0f MiB (peak %.0f MiB)", r/1024, h/1024}' "/proc/$1/status"; }

npm_ci() { # registry workdir label -> appends a line to summary
    local registry="$1" dir="$2" label="$3"
    rm -rf "$dir"; mkdir -p "$dir"
    cp "$here/project/package.json" "$here/project/package-lock.json" "$dir/"
    printf 'registry=%s\n' "$registry" > "$dir/.npmrc-bench"; : > "$dir/.npmrc-global"
    local before; before="$(loadavg)"
    ( cd "$dir" && /usr/bin/time -f '%e %U %S %M' -o "$dir/time.txt" \
        npm ci --ignore-scripts --no-audit --no-fund --no-update-notifier --loglevel=error \
        --userconfig "$dir/.npmrc-bench" --globalconfig "$dir/.npmrc-global" --cache "$dir/npm-cache" \
        --registry "$registry" > "$dir/npm.log" 2>&1 ) || { log "$label: npm ci FAILED"; tail -20 "$dir/npm.log" >&2; return 1; }
    local n; n="$(find "$dir/node_modules" -name package.json -path '*/node_modules/*/package.json' -not -path '*/node_modules/*/node_modules/*/*/package.json' | wc -l)"
    read -r wall user sys maxrss < "$dir/time.txt"
    log "$label: npm ci wall ${wall}s, user ${user}s, sys ${sys}s (load before: $before)"
    rm -rf "$dir"
}

for target in "$@"; do
    name="${target%%:*}"; work="$OUT/$name"; rm -rf "$work"; mkdir -p "$work"
    start_target "$target" "$work"
    log ""
    log "## $name ($REGISTRY)"
    # Warm: every packument once through the target (and twice, so the second answer comes
    # from the cache whatever the proxy does on a first miss).
    start=$(date +%s.%N)
    for _ in 1 2; do
        sed "s#^#${REGISTRY}#" "$CACHE/packument-names.txt" | xargs -P 8 -n 1 curl -fsS -o /dev/null -H "Accept: $ACCEPT" \
            || { log "$name: warming packuments failed"; }
    done
    log "warm-up (every packument twice, 8 parallel curl): $(python3 -c "import time;print(round(time.time()-$start,1))") s"
    # Load: $CONNECTIONS connections cycling through every packument.
    path="$(python3 -c 'import sys,urllib.parse;print(urllib.parse.urlparse(sys.argv[1]).path)' "$REGISTRY")"
    sed "s#^#${path}#" "$CACHE/packument-names.txt" > "$work/paths.txt"
    log "load average before load: $(loadavg)"
    PATHS_FILE="$work/paths.txt" ACCEPT_HEADER="$ACCEPT" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
        -s "$here/packuments.lua" "$REGISTRY" > "$work/wrk.txt" 2>&1 || true
    cat "$work/wrk.txt" >> "$OUT/summary.txt"
    # The same list at a fixed request rate (RATE per second over the same connections):
    # the latency a client sees at that load, not at saturation.
    if [ "${RATE:-5000}" != 0 ]; then
        RATE="${RATE:-5000}" CONNECTIONS="$CONNECTIONS" PATHS_FILE="$work/paths.txt" ACCEPT_HEADER="$ACCEPT" \
            wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
            -s "$here/packuments.lua" "$REGISTRY" > "$work/wrk-rate.txt" 2>&1 || true
        log "at ${RATE:-5000} requests/s: $(tail -1 "$work/wrk-rate.txt"); load average $(loadavg)"
    fi
    log "after load: $(rss "$TARGET_PID"); load average $(loadavg)"
    if [ -z "${SKIP_NPM_CI:-}" ]; then
        # The first run fills the target's tarball cache (a no-op for direct); the next ones
        # are the warm measurements. npm's own cache is fresh every run.
        npm_ci "$REGISTRY" "$work/ci" "$name cold (fills the cache)" || true
        for i in $(seq 1 "$NPM_CI_RUNS"); do npm_ci "$REGISTRY" "$work/ci" "$name warm #$i" || true; done
        log "after npm ci: $(rss "$TARGET_PID")"
    fi
    if [ "$name" != direct ]; then kill "$TARGET_PID" 2>/dev/null || true; wait "$TARGET_PID" 2>/dev/null || true; fi
done
log ""
log "outputs: $OUT"
