#!/usr/bin/env bash
# Installs the agents Gander is measured against, pinned, each into a virtual environment of its own under bench/.peers
# (their dependencies conflict), kept out of git. Does nothing for a peer whose pinned version is already there.
set -euo pipefail
cd "$(dirname "$0")"
# mini-swe-agent's litellm imports mcp without declaring it; the pin below is what it needs.
for package in aider-chat==0.86.2 llm==0.36 "mini-swe-agent==2.4.6 mcp==2.3.0"; do
  venv=".peers/${package%%==*}"
  [ -f "$venv/.gander-pin" ] && [ "$(cat "$venv/.gander-pin")" = "$package" ] && continue
  echo "bench: installing $package into bench/$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check $package
  echo "$package" > "$venv/.gander-pin"
done
