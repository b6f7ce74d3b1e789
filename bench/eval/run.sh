#!/usr/bin/env bash
# Content-analysis evaluation: the inert attack reconstructions and the hard negatives
# (precision, recall), then the most depended-upon npm and PyPI packages (verdict
# distribution, false-positive rate, throughput), with GuardDog on the same archives
# when it is installed. Nothing is installed or run from the packages: npm archives come
# from `npm pack --ignore-scripts`, PyPI files straight from the JSON API.
# Usage: bench/eval/run.sh [OUT_DIR]
# Env: FIREBREAK (a built binary; default: cargo build --release), GUARDDOG (guarddog
#      binary; skipped when unset and not on PATH), NPM_LIST, PYPI_LIST (name per line;
#      defaults beside this script), CACHE (archives; default bench/out/eval-cache),
#      LIMIT (first N names of each list, for a quick run), GUARDDOG_TIMEOUT (s, default 300),
#      GUARDDOG_JOBS (GuardDog scans side by side, default 1), GUARDDOG_CACHE (GuardDog's
#      results by archive sha256 and GuardDog version; default CACHE/guarddog-results),
#      REPORT (also write the firebreak/GuardDog comparison there, e.g.
#      bench/results/content-eval-guarddog-full.md)
# GuardDog's results are cached, so a re-run after an analyzer change only re-runs firebreak:
#   CACHE=... GUARDDOG=... REPORT=bench/results/content-eval-guarddog-full.md bench/eval/run.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/bench/out/eval}"; mkdir -p "$out"; out="$(cd "$out" && pwd)"
cache="${CACHE:-$root/bench/out/eval-cache}"; mkdir -p "$cache/npm" "$cache/pypi"
if [ -z "${FIREBREAK:-}" ]; then
  (cd "$root" && cargo build --release --locked -q -p firebreak)
  FIREBREAK="${CARGO_TARGET_DIR:-$root/target}/release/firebreak"
fi
GUARDDOG="${GUARDDOG:-$(command -v guarddog || true)}"
export SEMGREP_ENABLE_VERSION_CHECK=0 SEMGREP_SEND_METRICS=off
exec python3 "$here/eval.py" --firebreak "$FIREBREAK" --guarddog "$GUARDDOG" --root "$root" --out "$out" --cache "$cache" \
  --npm-list "${NPM_LIST:-$here/top300-npm.txt}" --pypi-list "${PYPI_LIST:-$here/top100-pypi.txt}" \
  --limit "${LIMIT:-0}" --guarddog-timeout "${GUARDDOG_TIMEOUT:-300}" --jobs "${GUARDDOG_JOBS:-1}" \
  --gd-cache "${GUARDDOG_CACHE:-$cache/guarddog-results}" --report "${REPORT:-}"
