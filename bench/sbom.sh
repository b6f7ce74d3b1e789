#!/usr/bin/env bash
# `firebreak sbom` side by side with @cyclonedx/cyclonedx-npm and syft on the same
# real 1,500-package npm project, whole process, offline, in one hyperfine run.
# Usage: bench/sbom.sh [PROJECT_DIR] [OUT_DIR]
#   PROJECT_DIR defaults to the shared npm-big fixture beside the repository.
# Install the peers first: bench/peers/install-peers.sh (or only cyclonedx-npm and syft),
# then put bench/.peers/bin on PATH.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
proj="${1:-$root/../shared/peers/fixtures/npm-big}"
out="${2:-$root/bench/out/sbom}"; mkdir -p "$out"
export PATH="$root/bench/.peers/bin:$PATH"
cd "$root" && cargo build --release --locked -q -p firebreak
export EXTRA_NAME="firebreak $("$root/target/release/firebreak" --version | awk '{print $2}')"
export EXTRA_CMD="$root/target/release/firebreak sbom . --format cyclonedx --output \$OUT/firebreak.cdx.json"
export EXTRA_SBOM=firebreak.cdx.json
export RUNS="${RUNS:-10}"
bash "$root/bench/peers/time-sbom-peers.sh" "$proj" "$out"
