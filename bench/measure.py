#!/usr/bin/env python3
"""Gander's whole-process figures: wall time and peak RSS of real commands, several runs, medians.

Usage: python3 bench/measure.py BIN_DIR   (prints a Markdown section; bench/run.sh collects it into latest.md)
BIN_DIR holds release builds of `gander` and `scripted-model-server`.
"""
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = int(os.environ.get("BENCH_RUNS", "15"))


def run_once(argv, cwd, env):
    """Wall ms, CPU ms and peak RSS (MiB) of one run of argv, measured on the child alone via wait4."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    stderr = child.stderr.read().decode(errors="replace")
    child.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {' '.join(argv[:3])} … failed: {stderr.strip()[-500:]}")
    return wall * 1000, (usage.ru_utime + usage.ru_stime) * 1000, usage.ru_maxrss / 1024


def measure(argv, cwd, env, runs=RUNS):
    samples = [run_once(argv, cwd, env) for _ in range(runs)]
    walls = [wall for wall, _, _ in samples]
    rss = [peak for _, _, peak in samples]
    return {"median_ms": statistics.median(walls), "min_ms": min(walls), "max_ms": max(walls),
            "rss_mib": statistics.median(rss), "runs": runs}


class ScriptedServer:
    """A release build of the scripted model server, answering at once from a script file in `wire_format`
    (openai, anthropic, ollama, gemini or openai-responses)."""

    def __init__(self, bin_dir, replies, workdir, wire_format="openai"):
        script = os.path.join(workdir, f"script-{id(self)}.json")
        with open(script, "w") as handle:
            json.dump(replies, handle)
        self.process = subprocess.Popen([os.path.join(bin_dir, "scripted-model-server"), wire_format, script],
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.base_url = self.process.stdout.readline().strip()

    def stop(self):
        self.process.kill()
        self.process.wait()


def bench_project(prefix, text):
    """A scratch HOME with a small git project holding a.txt and b.txt; returns (workdir, project, env)."""
    workdir = tempfile.mkdtemp(prefix=prefix)
    project = os.path.join(workdir, "project")
    os.makedirs(os.path.join(project, ".git"))
    for name in ("a.txt", "b.txt"):
        with open(os.path.join(project, name), "w") as handle:
            handle.write(text)
    env = {"PATH": os.environ["PATH"], "HOME": workdir, "TMPDIR": workdir, "LANG": "C.UTF-8"}
    return workdir, project, env


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {memory:.0f} GiB, {cpu}, {platform.system()} {platform.release()}"


def main():
    bin_dir = sys.argv[1]
    gander = os.path.join(bin_dir, "gander")
    workdir, project, env = bench_project("gander-bench-", "one\ntwo\nthree\n")
    rows = []

    rows.append(("gander --version", measure([gander, "--version"], project, env), "≤ 20 ms, ≤ 30 MiB"))

    turns = 200
    one_turn = ScriptedServer(bin_dir, [{"text": "Done.", "repeat": 100000}], workdir)
    provider = ["--provider", "openai", "--model", "bench", "-q"]
    one = measure([gander, "run", "-t", "say done", "--base-url", one_turn.base_url] + provider, project, env)
    rows.append(("one headless turn (scripted loopback endpoint)", one, "≤ 80 ms"))
    one_turn.stop()

    def session(tool_call):
        replies = []
        for _ in range(RUNS):
            replies += [{"tool_calls": [tool_call(turn)]} for turn in range(turns - 1)] + [{"text": "Done."}]
        server = ScriptedServer(bin_dir, replies, workdir)
        result = measure([gander, "run", "-t", "work", "--base-url", server.base_url] + provider, project, env)
        server.stop()
        return result

    view = lambda turn: {"name": "developer__text_editor",
                         "arguments": json.dumps({"command": "view", "path": "ab"[turn % 2] + ".txt"})}
    shell = lambda turn: {"name": "developer__shell", "arguments": json.dumps({"command": f"true {turn}"})}
    viewing = session(view)
    rows.append((f"{turns}-turn session, text_editor view each turn", viewing, "peak RSS ≤ 60 MiB"))
    shelling = session(shell)
    rows.append((f"{turns}-turn session, shell `true` each turn", shelling, ""))

    per_trip_view = (viewing["median_ms"] - one["median_ms"]) / (turns - 1)
    per_trip_shell = (shelling["median_ms"] - one["median_ms"]) / (turns - 1)

    lines = [
        "", "## Start-up, one turn, tool round trips", "",
        f"Runs per figure: {RUNS} (median, with min and max); release build.", "",
        "| figure | median | min | max | peak RSS (median) | target |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, figures, target in rows:
        lines.append(f"| {name} | {figures['median_ms']:.1f} ms | {figures['min_ms']:.1f} ms | "
                     f"{figures['max_ms']:.1f} ms | {figures['rss_mib']:.1f} MiB | {target} |")
    lines += [
        "",
        f"Harness time per tool round trip (session median minus one-turn median, over {turns - 1} round trips; "
        "includes the loopback HTTP request and the tool itself):",
        "",
        f"- text_editor view: {per_trip_view:.2f} ms (target ≤ 2 ms)",
        f"- shell `true` (includes spawning bash): {per_trip_shell:.2f} ms",
        "",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
