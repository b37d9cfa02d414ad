#!/usr/bin/env python3
"""Gander under large inputs: the shell tool on a command printing 100 MB, and `developer__search` against ripgrep
over a large tree (the installed Swift toolchain unless BENCH_SEARCH_TREE says otherwise).

Usage: python3 bench/scale.py BIN_DIR
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

from measure import ScriptedServer, bench_project, run_once

RUNS = int(os.environ.get("BENCH_RUNS", "15"))
TREE = os.environ.get("BENCH_SEARCH_TREE", "/opt/swift")
PATTERNS = [("literal", "swift_retain"), ("regular expression", r"swift_(retain|release)_n\b")]


def gander_with(bin_dir, replies, project, env, runs=RUNS):
    """Wall (ms) and peak RSS (MiB) of `gander run` playing `replies`, median of `runs`."""
    walls, peaks = [], []
    for _ in range(runs):
        server = ScriptedServer(bin_dir, replies, env["HOME"])
        try:
            argv = [os.path.join(bin_dir, "gander"), "run", "--provider", "openai", "--model", "bench",
                    "--base-url", server.base_url, "--no-session", "-q", "-t", "go"]
            wall, _, peak = run_once(argv, project, env)
        finally:
            server.stop()
        walls.append(wall)
        peaks.append(peak)
    return walls, peaks


def call(name, arguments):
    return {"tool_calls": [{"name": name, "arguments": json.dumps(arguments)}]}


def main():
    bin_dir = os.path.abspath(sys.argv[1])
    workdir, project, env = bench_project("gander-bench-scale-", "hello\n")
    env = {**env, "OPENAI_API_KEY": "bench"}

    print("\n## Large output and large trees\n")
    # 100 MB in 2,000,000 lines of 50 bytes; the tool keeps head and tail and saves the whole to a file.
    loud = "yes 0123456789012345678901234567890123456789012345678 | head -c 100000000"
    walls, peaks = gander_with(bin_dir, [call("developer__shell", {"command": loud}), {"text": "done"}], project, env, runs=5)
    print(f"- shell tool on a command printing 100 MB: **peak RSS {statistics.median(peaks):.1f} MiB** "
          f"(median of 5; max {max(peaks):.1f}; target ≤ 80 MiB), whole run {statistics.median(walls):.0f} ms\n")

    if not shutil.which("rg"):
        print("- search against ripgrep: skipped, `rg` is not installed (Debian: apt-get install ripgrep)")
        return
    empty = os.path.join(workdir, "empty")
    os.makedirs(empty, exist_ok=True)
    print(f"`developer__search` (grep) against `rg -n` for the same pattern over {TREE}; {RUNS} runs each. Gander's "
          "time is `gander run` with the search minus `gander run` with the same search over an empty directory, so "
          "start-up and the model round trips cancel out; rg's is its whole process.\n")
    print("| pattern | Gander search (median) | rg (median) | Gander / rg | matching lines |")
    print("| --- | ---: | ---: | ---: | ---: |")
    baseline, _ = gander_with(bin_dir, [call("developer__search", {"pattern": "x", "path": empty}), {"text": "done"}],
                              project, env)
    for label, pattern in PATTERNS:
        searched, _ = gander_with(bin_dir, [call("developer__search", {"pattern": pattern, "path": TREE, "max_results": 100000}),
                                            {"text": "done"}], project, env)
        gander_ms = statistics.median(searched) - statistics.median(baseline)
        rg_ms = []
        for _ in range(RUNS):
            start = time.perf_counter()
            done = subprocess.run(["rg", "-n", pattern, TREE], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            rg_ms.append((time.perf_counter() - start) * 1000)
        lines = len(done.stdout.splitlines())
        print(f"| {label} `{pattern}` | {gander_ms:.1f} ms | {statistics.median(rg_ms):.1f} ms | "
              f"{gander_ms / statistics.median(rg_ms):.2f} (target ≤ 2) | {lines} |")


if __name__ == "__main__":
    main()
