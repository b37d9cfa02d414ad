#!/usr/bin/env bash
# Builds Gander in release mode and measures it; the table goes to stdout and bench/results/latest.md.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product gander
swift build -c release --product scripted-model-server
python3 bench/measure.py "$(swift build -c release --show-bin-path)" bench/results/latest.md
