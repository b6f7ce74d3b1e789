#!/usr/bin/env bash
# Re-makes the popular-name lists the typosquat signals compare against, and the
# 200-package list the false-positive benchmark runs over.
#
#   npm.txt     npm-high-impact (the names npm calls "high-impact"): the first 3000 by
#               weekly downloads, then the first 1500 by dependents not already listed.
#   pypi.txt    the first 4000 of the 30-day download ranking (top-pypi-packages, from
#               the public PyPI download statistics) as shipped inside the guarddog wheel.
#   crates.txt  crates.io's most downloaded crates (API `sort=downloads`, 25 pages of 100)
#               when the API answers; otherwise the list is left as it is (see README.md).
#   ../../../../bench/registry/top200-npm.txt
#               the first 200 of npm-high-impact's ranking by dependents.
#
# Packages are fetched with their own clients and only unpacked: no package code runs.
# Usage: generate.sh [scratch-dir]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../../.." && pwd)"
scratch="${1:-$(mktemp -d)}"
mkdir -p "$scratch"
cd "$scratch"

NPM_HIGH_IMPACT=1.13.0
GUARDDOG=3.2.0

# npm: the package's lib/*.js are plain arrays of quoted names.
npm pack "npm-high-impact@$NPM_HIGH_IMPACT" --ignore-scripts --silent >/dev/null
rm -rf nhi && mkdir nhi && tar xzf "npm-high-impact-$NPM_HIGH_IMPACT.tgz" -C nhi
names() { grep -o "^ *'[^']*'" "$1" | sed "s/^ *'//; s/'\$//"; }
{
  names nhi/package/lib/top-download.js | sed -n "1,3000p"
  names nhi/package/lib/top-dependent.js | sed -n "1,1500p"
} | awk '!seen[$0]++' >"$here/npm.txt"
names nhi/package/lib/top-dependent.js | sed -n "1,200p" >"$repo/bench/registry/top200-npm.txt"

# PyPI: PyPI itself publishes no ranking; guarddog ships the top-pypi-packages snapshot.
pip download --quiet --no-deps "guarddog==$GUARDDOG" -d gd >/dev/null
python3 - "$here/pypi.txt" gd/guarddog-$GUARDDOG-py3-none-any.whl <<'PY'
import json, sys, zipfile
out, wheel = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    data = json.loads(z.read("guarddog/analyzer/metadata/resources/top_pypi_packages.json"))
with open(out, "w") as f:
    for name in data["packages"][:4000]:
        f.write(name + "\n")
PY

# crates.io: the API's download ranking, when reachable.
tmp="$scratch/crates.txt"
: >"$tmp"
ok=1
for page in $(seq 1 25); do
  if ! body="$(curl -sf -m 30 -A 'firebreak popular-list generator' \
      "https://crates.io/api/v1/crates?sort=downloads&per_page=100&page=$page")"; then
    ok=0
    break
  fi
  printf '%s' "$body" | python3 -c 'import json,sys; [print(c["name"]) for c in json.load(sys.stdin)["crates"]]' >>"$tmp"
  sleep 1
done
if [ "$ok" = 1 ]; then
  cp "$tmp" "$here/crates.txt"
else
  echo "crates.io API not reachable: crates.txt left unchanged" >&2
fi
wc -l "$here"/*.txt "$repo/bench/registry/top200-npm.txt"
