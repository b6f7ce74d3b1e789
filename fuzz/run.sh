#!/usr/bin/env bash
# Runs fuzz targets for a while, seeded with the committed fixtures.
# Usage: fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]   (default 120 s, every target)
# The archive and content targets live in content/, a smaller fuzz package that builds
# without the SQLite-backed crates; this script picks the right one per target.
# Needs cargo-fuzz (`cargo install cargo-fuzz`). On a stable toolchain RUSTC_BOOTSTRAP
# lets it use the sanitizer flags it needs.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-120}"; shift || true
export RUSTC_BOOTSTRAP=1
seed_glob() {
  case "$1" in
    npm_package_lock) echo "package-lock.json npm-shrinkwrap.json" ;;
    yarn_lock) echo "yarn.lock" ;;
    pnpm_lock) echo "pnpm-lock.yaml" ;;
    bun_lock) echo "bun.lock" ;;
    cargo_lock) echo "Cargo.lock" ;;
    go_mod) echo "go.mod" ;;
    requirements) echo "requirements*.txt" ;;
    poetry_lock) echo "poetry.lock" ;;
    uv_lock) echo "uv.lock" ;;
    pipfile_lock) echo "Pipfile.lock" ;;
    pdm_lock) echo "pdm.lock" ;;
    pylock) echo "pylock*.toml" ;;
    sbom) echo "*.cdx.json *.spdx.json" ;;
    osv_record) echo "MAL-*.json GHSA-*.json" ;;
    policy) echo "default.toml firebreak*.toml" ;;
    archive) echo "*.tgz *.tar.gz *.crate *.whl" ;;
    content_js) echo "*.js *.mjs *.cjs" ;;
    content_python) echo "*.py" ;;
  esac
}
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || mapfile -t targets < <(cargo fuzz list; cargo fuzz list --fuzz-dir content)
for t in "${targets[@]}"; do
  case "$t" in
    archive) dir=content; max_len=262144 ;;
    content_*) dir=content; max_len=65536 ;;
    *) dir=.; max_len=262144 ;;
  esac
  mkdir -p "corpus/$t"
  for pattern in $(seed_glob "$t"); do
    find ../fixtures ../examples ../crates -type f -name "$pattern" -size -256k 2>/dev/null | while read -r f; do
      cp "$f" "corpus/$t/$(printf '%s' "$f" | sha1sum | cut -c1-16)"
    done
  done
  if [ "$t" = archive ]; then
    # Uncompressed copies too, so that mutations reach the tar reader, not only gzip.
    for f in corpus/archive/*; do
      gzip -dc "$f" > "$f.tar" 2>/dev/null || rm -f "$f.tar"
    done
  fi
  case "$t" in
    content_js|content_python)
      # Real-world sources too: the files inside the hard-negative archives (minified bundles,
      # setup.py files), at most 64 KiB each.
      ext=$([ "$t" = content_js ] && echo '\.(js|mjs|cjs)$' || echo '\.py$')
      for a in ../crates/firebreak-content/fixtures/negatives/*.{tgz,tar.gz}; do
        tar -tzf "$a" 2>/dev/null | grep -E "$ext" | head -40 | while read -r m; do
          tar -xzOf "$a" "$m" 2>/dev/null | head -c 65536 > "corpus/$t/tmp" || true
          [ -s "corpus/$t/tmp" ] && mv "corpus/$t/tmp" "corpus/$t/$(sha1sum < "corpus/$t/tmp" | cut -c1-16)"
          rm -f "corpus/$t/tmp"
        # `head` closing the pipe early, or a pattern that matched no archive, is not an
        # error here (pipefail would otherwise end the script before the fuzzer starts).
        done || true
      done ;;
  esac
  echo "== $t ($(ls "corpus/$t" | wc -l) seeds, ${secs}s)"
  # -rss_limit_mb: the analyzers promise bounded memory, so 512 MB is already generous.
  cargo fuzz run --fuzz-dir "$dir" -O "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=512 -max_len="$max_len" \
    -timeout=10 2>&1 | grep -E "^(Done|==|SUMMARY|.*panicked|#[0-9]+ +DONE)" || true
done
