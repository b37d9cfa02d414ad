#!/usr/bin/env bash
# The README's first command: builds Gander, installs the embedded runtime and model if they are missing, and runs
# one headless task on the embedded model — no account, no key, no network for the run itself — in a temporary
# copy of examples/sample-project, then shows what Gander changed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

bash scripts/install-system-deps.sh
echo "== Building Gander (release)"
gander="$(bash scripts/release-build.sh gander)/gander"

echo "== Installing the embedded runtime and the default model (skipped when present)"
"$gander" local install

work="$(mktemp -d "${TMPDIR:-/tmp}/gander-demo-XXXXXX")"
cp -R examples/sample-project/. "$work"
git -C "$work" init -q && git -C "$work" add -A && git -C "$work" -c user.name=demo -c user.email=demo@localhost commit -qm start

task="Run greet.sh with the name Gander and tell me what it prints."
echo "== Gander, offline on the embedded model, in $work"
echo "   task: $task"
status=0
(cd "$work" && "$gander" run --provider local --temperature 0 -v --max-turns 6 -t "$task") 2> >(tee "$work/.gander-demo.err" >&2) || status=$?
echo
echo "== What changed in the project"
git -C "$work" status --short -- . ':!.gander-demo.err' || true
git -C "$work" --no-pager diff --stat || true
if [ "$status" -ne 0 ]; then
  if grep -q -e "turns without an answer" -e "was cut off before it finished" "$work/.gander-demo.err"; then
    echo "(The default model, Qwen2.5-Coder-0.5B, did not reach a final answer; larger models do better:"
    echo " gander local install qwen2.5-coder-1.5b-instruct, then --model qwen2.5-coder-1.5b-instruct.)"
  else
    exit "$status"
  fi
fi
