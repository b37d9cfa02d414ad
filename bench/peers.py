#!/usr/bin/env python3
"""Gander side by side with the agents people use today, in one run, against the same scripted OpenAI-compatible
endpoint on loopback that answers at once, so the figures are the harnesses', not a model's.

Usage: python3 bench/peers.py BIN_DIR PEERS_DIR
BIN_DIR holds release builds of `gander` and `scripted-model-server`; PEERS_DIR the virtual environments
bench/install-peers.sh made (aider-chat, llm, mini-swe-agent).
"""
import json
import os
import statistics
import sys

from measure import ScriptedServer, bench_project, run_once

RUNS = int(os.environ.get("BENCH_PEER_RUNS", "5"))
TOOL_TURNS = 20

TOOLS_PY = '''import subprocess

def shell(command: str) -> str:
    "Run a shell command and return its exit code and output."
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return f"exit code: {done.returncode}\\n{done.stdout}{done.stderr}"
'''


class Peer:
    """How to start one agent for each figure; None where it cannot be scripted to do the same."""

    def __init__(self, name, version, turn, tools, env=None, why_not=None):
        self.name, self.version, self.turn, self.tools = name, version, turn, tools
        self.extra_env, self.why_not = env or {}, why_not


def peers(bin_dir, peers_dir, workdir):
    gander = os.path.join(bin_dir, "gander")
    aider = os.path.join(peers_dir, "aider-chat", "bin", "aider")
    llm = os.path.join(peers_dir, "llm", "bin", "llm")
    mini = os.path.join(peers_dir, "mini-swe-agent", "bin", "mini")
    llm_home = os.path.join(workdir, "llm")
    os.makedirs(llm_home, exist_ok=True)
    tools_py = os.path.join(workdir, "tools.py")
    with open(tools_py, "w") as handle:
        handle.write(TOOLS_PY)

    def gander_run(url, text):
        return [gander, "run", "--provider", "openai", "--model", "bench", "--base-url", url, "--no-session", "-q",
                "-t", text]

    def llm_run(url, text, *extra):
        with open(os.path.join(llm_home, "extra-openai-models.yaml"), "w") as handle:
            handle.write(f'- model_id: bench\n  model_name: bench\n  api_base: "{url}"\n  supports_tools: true\n')
        return [llm, "-m", "bench", "--no-log", *extra, text]

    def mini_run(url, text):
        return [mini, "-t", text, "-m", "openai/bench", "-y", "--exit-immediately", "-l", "0", "-c", "mini.yaml",
                "-c", "model.cost_tracking=ignore_errors", "-c", f"model.model_kwargs.api_base={url}"]

    no_network = {"LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    return [
        Peer("gander", [gander, "--version"], lambda url: gander_run(url, "Say hi."),
             lambda url: gander_run(url, "Run true twenty times.")),
        Peer("aider", [aider, "--version"],
             lambda url: [aider, "--message", "Say hi.", "--model", "openai/bench", "--openai-api-base", url,
                          "--openai-api-key", "bench", "--yes-always", "--no-git", "--no-check-update",
                          "--no-show-model-warnings", "--analytics-disable", "--no-show-release-notes", "--no-pretty"],
             None, env=no_network,
             why_not="aider edits files through its own text formats; its model has no shell tool to call"),
        Peer("llm", [llm, "--version"], lambda url: llm_run(url, "Say hi."),
             lambda url: llm_run(url, "Run true twenty times.", "--functions", tools_py, "--chain-limit", "30"),
             env={"LLM_USER_PATH": llm_home}),
        Peer("mini-swe-agent", [mini, "--help"], lambda url: mini_run(url, "Say hi."),
             lambda url: mini_run(url, "Run true twenty times."),
             env={**no_network, "MSWEA_CONFIGURED": "true", "MSWEA_SILENT_STARTUP": "1"}),
    ]


def scripts(peer):
    """The replies each figure plays: a one-line answer, or twenty shell calls in the tool each agent offers."""
    if peer == "mini-swe-agent":
        call = lambda command: {"text": "Running it.", "tool_calls": [{"name": "bash", "arguments": json.dumps({"command": command})}]}
        one = [call("echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT")]
        return one, [call("true") for _ in range(TOOL_TURNS)] + one
    name = "developer__shell" if peer == "gander" else "shell"
    calls = [{"tool_calls": [{"name": name, "arguments": json.dumps({"command": "true"})}]} for _ in range(TOOL_TURNS)]
    return [{"text": "Hi."}], calls + [{"text": "All twenty ran."}]


def measure(bin_dir, argv_for, replies, cwd, env, runs=RUNS):
    samples = []
    for _ in range(runs):
        server = ScriptedServer(bin_dir, replies, env["HOME"]) if replies is not None else None
        try:
            samples.append(run_once(argv_for(server.base_url if server else None), cwd, env))
        finally:
            if server:
                server.stop()
    walls = [wall for wall, _, _ in samples]
    return {"median": statistics.median(walls), "min": min(walls), "max": max(walls),
            "cpu": statistics.median(cpu for _, cpu, _ in samples), "rss": statistics.median(rss for _, _, rss in samples)}


def main():
    bin_dir, peers_dir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    workdir, project, env = bench_project("gander-bench-peers-", "hello\n")
    env = {**env, "OPENAI_API_KEY": "bench"}
    table = {}
    for peer in peers(bin_dir, peers_dir, workdir):
        peer_env = {**env, **peer.extra_env}
        one, twenty = scripts(peer.name)
        row = {"version": measure(bin_dir, lambda _: peer.version, None, project, peer_env),
               "turn": measure(bin_dir, peer.turn, one, project, peer_env)}
        row["tools"] = measure(bin_dir, peer.tools, twenty, project, peer_env) if peer.tools else peer.why_not
        table[peer.name] = row
        print(f"bench: measured {peer.name}", file=sys.stderr)

    print("\n## Gander and its peers\n")
    print(f"Each figure: median wall time of {RUNS} runs (min–max), median CPU time and peak RSS of the process (from "
          "wait4), and the peer / Gander ratio of the median wall time. Every agent talks to the same scripted "
          "OpenAI-compatible endpoint on loopback, which answers at once. mini-swe-agent has no `--version`; its "
          "start-up is `--help`.\n")
    print("| agent | figure | wall (median, min–max) | CPU | peak RSS | × Gander |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    labels = {"version": "start-up (`--version`)", "turn": "one headless turn", "tools": f"{TOOL_TURNS} shell tool calls"}
    for figure in ("version", "turn", "tools"):
        base = table["gander"][figure]["median"]
        for name, row in table.items():
            value = row[figure]
            if isinstance(value, str):
                print(f"| {name} | {labels[figure]} | not scriptable: {value} | | | |")
                continue
            print(f"| {name} | {labels[figure]} | {value['median']:.1f} ms ({value['min']:.1f}–{value['max']:.1f}) | "
                  f"{value['cpu']:.0f} ms | {value['rss']:.1f} MiB | {value['median'] / base:.1f} |")


if __name__ == "__main__":
    main()
