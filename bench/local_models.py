#!/usr/bin/env python3
"""Per local model: generation speed and time to first token on the demo's task, from whole `gander` processes.

- generation tokens/s: `gander local bench --model M --max-tokens 128` (median of 3);
- time to first token on the demo: `gander run` on the demo's task (examples/sample-project, "Run greet.sh with the
  name Gander and tell me what it prints."), from process start to the first streamed text or tool call, model
  load included, and whether the demo's answer was right each time ("Hello, Gander"). Cold: a run in an empty data
  directory (nothing in the prompt cache). After install: the first run in a data directory where `gander local
  install` (the model named by GANDER_MODEL) has prepared the prompt cache, as on a new machine after setup. Later:
  the median of 3 runs after that, each in a fresh copy of the project, as a user's later runs.

Usage: python3 bench/local_models.py GANDER MODEL [MODEL...]   (names from `gander local list`; markdown on stdout)
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TASK = "Run greet.sh with the name Gander and tell me what it prints."


def speed(gander, model):
    runs = [json.loads(subprocess.run([gander, "local", "bench", "--model", model, "--max-tokens", "128"],
                                      capture_output=True, text=True, check=True).stdout) for _ in range(3)]
    return statistics.median(r["tokens_per_s"] for r in runs)


def runtime_dir():
    return os.environ.get("GANDER_RUNTIME_DIR") or os.path.join(
        os.environ.get("GANDER_DATA_DIR") or os.path.expanduser("~/.local/share/gander"), "runtime")


def prepared_data(gander, model):
    data = tempfile.mkdtemp(prefix="gander-demo-data-")
    env = dict(os.environ, GANDER_DATA_DIR=data, GANDER_RUNTIME_DIR=runtime_dir(), GANDER_MODEL=model)
    subprocess.run([gander, "local", "install"], env=env, check=True, capture_output=True)
    return data


def demo(gander, model, data):
    work = tempfile.mkdtemp(prefix="gander-demo-bench-")
    shutil.copytree(os.path.join(ROOT, "examples", "sample-project"), work, dirs_exist_ok=True)
    env = dict(os.environ, GANDER_DATA_DIR=data, GANDER_RUNTIME_DIR=runtime_dir())
    started = time.monotonic()
    process = subprocess.Popen([gander, "run", "--provider", "local", "--model", model, "--temperature", "0",
                                "--mode", "auto", "--max-turns", "6", "--output-format", "stream-json", "-t", TASK],
                               cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    first = None
    answer = ""
    for line in process.stdout:
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        if first is None and event["type"] in ("text_delta", "tool_call"):
            first = time.monotonic() - started
        if event["type"] == "finished":
            answer = event["outcome"].get("final_text") or ""
    status = process.wait()
    shutil.rmtree(work, ignore_errors=True)
    return first, status == 0 and "hello, gander" in answer.lower()


def main():
    gander = os.path.abspath(sys.argv[1])
    lines = ["", "## Local models: speed and the demo", "",
             "| model | generation tokens/s | first token on the demo (load included): cold | first run after install "
             "| later runs | demo right |",
             "|---|---|---|---|---|---|"]

    def seconds(value):
        return f"{value:.1f} s" if value is not None else "none"

    for model in sys.argv[2:]:
        tokens = speed(gander, model)
        empty = tempfile.mkdtemp(prefix="gander-demo-data-")
        demos = [demo(gander, model, empty)]
        shutil.rmtree(empty, ignore_errors=True)
        data = prepared_data(gander, model)
        demos += [demo(gander, model, data) for _ in range(4)]
        shutil.rmtree(data, ignore_errors=True)
        later = [f for f, _ in demos[2:] if f is not None]
        lines.append(f"| {model} | {tokens:.1f} | {seconds(demos[0][0])} | {seconds(demos[1][0])} "
                     f"| {seconds(statistics.median(later) if later else None)} | {sum(ok for _, ok in demos)} of 5 |")
    print("\n".join(lines + [""]))


if __name__ == "__main__":
    main()
