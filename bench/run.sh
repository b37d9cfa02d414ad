#!/usr/bin/env bash
# Builds Gander in release mode and measures it; the tables go to stdout and bench/results/latest.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(bash scripts/release-build.sh gander scripted-model-server in-process-bench)"
# ripgrep is the reference for the search figure.
command -v rg >/dev/null 2>&1 || { [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1 &&
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q ripgrep >/dev/null; } || echo "bench: install ripgrep for the search figure" >&2
"$bin/gander" local install
python3 bench/measure.py "$bin" bench/results/latest.md

runtime="${GANDER_RUNTIME_DIR:-${GANDER_DATA_DIR:-$HOME/.local/share/gander}/runtime}"
model="$("$bin/gander" local list | awk -F'\t' '$1 == "smollm2-135m-instruct" { print $7 }')"
python3 bench/local_model.py "$bin/gander" "$runtime/venv/bin/python" "$model" | tee -a bench/results/latest.md
python3 bench/tool_calls.py "$bin/gander" | tee -a bench/results/latest.md
python3 bench/local_suite.py "$bin/gander" --model qwen2.5-coder-0.5b-instruct --temperature 0 | tee -a bench/results/latest.md
python3 bench/local_models.py "$bin/gander" smollm2-135m-instruct qwen2.5-coder-0.5b-instruct | tee -a bench/results/latest.md
python3 bench/local_harness.py "$bin/gander" | tee -a bench/results/latest.md
python3 bench/pull.py "$bin/gander" | tee -a bench/results/latest.md
python3 bench/sessions.py "$bin" | tee -a bench/results/latest.md
python3 bench/scale.py "$bin" | tee -a bench/results/latest.md
bash bench/install-peers.sh
python3 bench/peers.py "$bin" bench/.peers | tee -a bench/results/latest.md
bash scripts/install-mcp-test-servers.sh
python3 bench/mcp.py "$bin/gander" "${GANDER_MCP_TEST_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/gander-dev/mcp-venv}" | tee -a bench/results/latest.md
python3 bench/context.py "$bin/gander" | tee -a bench/results/latest.md
python3 bench/providers.py "$bin" | tee -a bench/results/latest.md
python3 bench/trust.py "$bin" | tee -a bench/results/latest.md
python3 bench/web.py "$bin" | tee -a bench/results/latest.md
