#!/usr/bin/env bash
# The one way Gander is built for release (make release, make demo, make bench): optimised, with Swift's runtime and
# Foundation linked statically. The binary then starts in about two thirds of the time (the dynamic loader no longer
# binds the Swift libraries' symbols at each start; see docs/benchmarks.md) and runs without a Swift toolchain.
# Static Foundation links libcurl, so its -dev package must be present (scripts/install-system-deps.sh).
# Usage: scripts/release-build.sh [PRODUCT...] (default: gander). Prints the directory of the binaries, last.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
flags=(-c release --static-swift-stdlib)
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for product in "${@:-gander}"; do
  # One progress line when it works; the compiler's or linker's own words when it does not.
  if ! swift build "${flags[@]}" --product "$product" >"$log" 2>&1; then
    grep -E "error:" "$log" | sort -u | head -n 20 >&2 || tail -n 20 "$log" >&2
    echo "gander: the release build of $product failed (above); scripts/install-system-deps.sh installs what it needs" >&2
    exit 1
  fi
  tail -n 1 "$log" >&2
done
swift build "${flags[@]}" --show-bin-path
