#!/usr/bin/env bash
# Whole-process timing and peak memory of `firebreak inventory` on synthetic
# package-lock.json files of 10,000 and 100,000 packages.
# Usage: bench/inventory.sh [OUT_DIR]      Env: RUNS=10
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/bench/out/inventory}"; mkdir -p "$out"
RUNS="${RUNS:-10}"
cd "$root"
cargo build --release --locked -q -p firebreak
cargo build --release --locked -q -p firebreak-lockfile --example gen_package_lock
fb="$root/target/release/firebreak"
for n in 10000 100000; do
  mkdir -p "$out/synthetic-$n"
  "$root/target/release/examples/gen_package_lock" "$n" > "$out/synthetic-$n/package-lock.json"
done
hyperfine --warmup 2 --runs "$RUNS" --style basic --export-json "$out/hyperfine.json" \
  -n "inventory 10k (json)" "$fb inventory $out/synthetic-10000/package-lock.json --format json -o /dev/null" \
  -n "inventory 100k (json)" "$fb inventory $out/synthetic-100000/package-lock.json --format json -o /dev/null"
for n in 10000 100000; do
  /usr/bin/time -f "%M" -o "$out/rss-$n.txt" "$fb" inventory "$out/synthetic-$n/package-lock.json" --format json -o /dev/null
  echo "peak RSS $n packages: $(( $(tail -1 "$out/rss-$n.txt") / 1024 )) MiB"
done
