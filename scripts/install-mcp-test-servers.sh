#!/usr/bin/env bash
# Installs the real Python packages the tests run against, pinned, into a virtual environment outside the clone
# (so a fresh clone reuses it): mcp-server-time and mcp-server-git over stdio, the `mcp` Python SDK, whose
# MCPServer (FastMCP before mcp 2.0) serves the streamable-HTTP fixture and whose client drives `gander mcp serve`,
# google-genai, whose types check the Gemini requests Gander writes, botocore, which checks its AWS signatures, and
# the Agent Client Protocol's Python SDK, whose client drives `gander acp` (with httpx for its HTTP transport), and Playwright, which drives the web app
# `gander serve` offers in Debian's Chromium (its own browser downloads are never used).
# Does nothing when the pinned set is already there.
set -euo pipefail
venv="${GANDER_MCP_TEST_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/gander-dev/mcp-venv}"
packages=(mcp==2.3.0 mcp-server-time==2026.10.19 mcp-server-git==2026.10.19 google-genai==3.6.1 botocore==1.44.8
  agent-client-protocol==0.12.1 httpx==0.29.0 playwright==1.65.3)
stamp="$venv/.gander-pins"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${packages[*]}" ]; then exit 0; fi
echo "gander: installing the test servers and SDKs (${packages[*]}) into $venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "${packages[@]}"
echo "${packages[*]}" > "$stamp"
