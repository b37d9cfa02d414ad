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
for product in "${@:-gander}"; do
  swift build "${flags[@]}" --product "$product" 2>&1 | tail -n 1 >&2
done
swift build "${flags[@]}" --show-bin-path
