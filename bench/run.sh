#!/usr/bin/env bash
# `make bench`: builds Gander in release mode, measures it, and writes bench/results/latest.md in one go. Each section
# opens with the command that printed it, when it ran, the commit and the machine.
# `make bench-local` (bench/run.sh local): the local models on the everyday-task suite, which takes an hour or more,
# into bench/results/local.md the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(bash scripts/release-build.sh gander scripted-model-server in-process-bench)"
gander="$bin/gander"
commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Package.swift || echo '+changes')"
machine="$(python3 -c 'import sys; sys.path.insert(0, "bench"); from measure import machine; print(machine())')"

# Runs one figure-printing command, prefixed by where its figures came from, and appends what it prints to $results.
section() {
  { printf '\n_`%s` · %s · commit %s · %s_\n' "$*" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$commit" "$machine"
    "$@"; } | tee -a "$results"
}

"$gander" local install

if [ "${1:-}" = local ]; then
  results=bench/results/local.md
  models=(smollm2-135m-instruct gemma-3-270m qwen2.5-coder-0.5b-instruct qwen2.5-coder-1.5b-instruct)
  "$gander" local install gemma-3-270m
  "$gander" local install qwen2.5-coder-1.5b-instruct
  printf '# Local models on the everyday-task suite\n\nWritten by `make bench-local`; every section below comes from this one run.\n' > "$results"
  for model in "${models[@]}"; do
    section python3 bench/local_suite.py "$gander" --model "$model" --temperature 0
    section python3 bench/local_suite.py "$gander" --model "$model"
  done
  section python3 bench/local_models.py "$gander" "${models[@]}"
  exit 0
fi

results=bench/results/latest.md
# ripgrep is the reference for the search figure.
command -v rg >/dev/null 2>&1 || { [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1 &&
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q ripgrep >/dev/null; } || echo "bench: install ripgrep for the search figure" >&2
printf '# Gander benchmark results\n\nWritten by `make bench`; every section below comes from this one run. The local models on the\neveryday-task suite are in [local.md](local.md) (`make bench-local`, an hour or more).\n' > "$results"
section python3 bench/measure.py "$bin"

runtime="${GANDER_RUNTIME_DIR:-${GANDER_DATA_DIR:-$HOME/.local/share/gander}/runtime}"
model="$("$gander" local list | awk -F'\t' '$1 == "smollm2-135m-instruct" { print $7 }')"
section python3 bench/local_model.py "$gander" "$runtime/venv/bin/python" "$model"
section python3 bench/tool_calls.py "$gander"
section python3 bench/local_harness.py "$gander"
section python3 bench/pull.py "$gander"
section python3 bench/sessions.py "$bin"
section python3 bench/scale.py "$bin"
bash bench/install-peers.sh
section python3 bench/peers.py "$bin" bench/.peers
bash scripts/install-mcp-test-servers.sh
test_venv="${GANDER_MCP_TEST_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/gander-dev/mcp-venv}"
section python3 bench/mcp.py "$gander" "$test_venv"
section "$test_venv/bin/python" bench/acp.py "$bin"
section python3 bench/context.py "$gander"
section python3 bench/providers.py "$bin"
section python3 bench/trust.py "$bin"
section python3 bench/web.py "$bin"
section python3 bench/recipes.py "$bin"
