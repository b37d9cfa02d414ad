#!/usr/bin/env python3
"""MCP figures: how long `gander run` takes to reach the model with stdio extensions configured (one slow to start)
against none, with one extension Gander has never seen (the first request waits for its tools) and with the same one
remembered, and Gander's peak RSS with ten extensions up and called.

Usage: python3 bench/mcp.py GANDER MCP_VENV
A loopback OpenAI-compatible endpoint in this process notes when each request arrives and answers at once.
"""
import http.server
import json
import os
import statistics
import subprocess
import sys
import threading
import time

from measure import bench_project

RUNS = int(os.environ.get("BENCH_RUNS", "10"))
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "mcp")


class Endpoint(http.server.ThreadingHTTPServer):
    """Plays a script of replies in the OpenAI streaming format and records when each request arrived."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.script, self.arrivals, self.bodies = [], [], []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def play(self, script):
        self.script, self.arrivals, self.bodies = list(script), [], []


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.server.arrivals.append(time.perf_counter())
        self.server.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        reply = self.server.script.pop(0) if self.server.script else {"text": "done"}
        if "tools" in reply:
            calls = [{"index": i, "id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
                     for i, (n, a) in enumerate(reply["tools"])]
            chunks = [{"choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": calls}, "finish_reason": None}]},
                      {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}]
        else:
            chunks = [{"choices": [{"index": 0, "delta": {"role": "assistant", "content": reply["text"]}, "finish_reason": None}]},
                      {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}]
        body = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks) + "data: [DONE]\n\n"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def write_config(home, extensions, startup_wait=None):
    directory = os.path.join(home, ".config", "gander")
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "config.yaml"), "w") as handle:
        handle.write("extensions:\n")
        for name, argv in extensions:
            handle.write(f"  {name}:\n    type: stdio\n    cmd: {json.dumps(argv[0])}\n    args: {json.dumps(argv[1:])}\n")
            if startup_wait is not None:
                handle.write(f"    startup_wait: {startup_wait}\n")
    if not extensions:
        os.remove(os.path.join(directory, "config.yaml"))


def gander_run(gander, endpoint, project, env, text, extra=()):
    argv = [gander, "run", "--provider", "openai", "--model", "bench", "--base-url", endpoint.base_url,
            "--no-session", "--output-format", "stream-json", "-t", text, *extra]
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=project, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"bench: gander run failed: {done.stderr.strip()}")
    return started, done.stdout


def forget_tools(home):
    """Removes every remembered tool list, so the next run meets its servers for the first time."""
    directory = os.path.join(home, ".local", "share", "gander", "mcp")
    for name in os.listdir(directory) if os.path.isdir(directory) else []:
        os.remove(os.path.join(directory, name))


def first_request_ms(gander, endpoint, project, env, before_each=lambda: None):
    samples = []
    for _ in range(RUNS):
        before_each()
        endpoint.play([{"text": "ok"}])
        started, _ = gander_run(gander, endpoint, project, env, "hi")
        samples.append((endpoint.arrivals[0] - started) * 1000)
    return statistics.median(samples), min(samples), max(samples)


def peak_rss_with(gander, endpoint, project, env, names):
    """Gander's VmHWM after its extensions are all up and each has answered a call, read by its own shell tool — run
    outside the sandbox, which hides Gander's data directory and gives commands a /proc of their own."""
    files = " ".join(f"$HOME/.local/share/gander/mcp/{name}.tools.json" for name in names)
    wait = f"for i in $(seq 600); do ok=1; for f in {files}; do [ -f $f ] || ok=0; done; [ $ok = 1 ] && exit 0; sleep 0.1; done; exit 1"
    samples = []
    for _ in range(3):
        endpoint.play([
            {"tools": [("developer__shell", {"command": wait})]} if names else {"tools": [("developer__shell", {"command": "true"})]},
            {"tools": [(f"{name}__get_current_time", {"timezone": "UTC"}) for name in names] or [("developer__shell", {"command": "true"})]},
            {"tools": [("developer__shell", {"command": "grep VmHWM /proc/$PPID/status"})]},
            {"text": "done"},
        ])
        _, stdout = gander_run(gander, endpoint, project, env, "call them all", extra=("--sandbox", "off"))
        events = [json.loads(line) for line in stdout.splitlines() if line.strip()]
        results = [event["result"] for event in events if event.get("type") == "tool_result"]
        errors = [r for r in results if r["is_error"]]
        if errors:
            sys.exit(f"bench: a call failed: {errors[0]['content'][0]['text']}")
        text = results[-1]["content"][0]["text"]
        samples.append(int(text.split("VmHWM:")[1].split()[0]) / 1024)
    return statistics.median(samples)


def main():
    gander, venv = sys.argv[1], sys.argv[2]
    python = os.path.join(venv, "bin", "python")
    endpoint = Endpoint()
    workdir, project, env = bench_project("gander-bench-mcp-", "hello\n")
    subprocess.run(["git", "init", "-q", project], check=True)

    write_config(workdir, [])
    none = first_request_ms(gander, endpoint, project, env)
    time_server = [("time", [os.path.join(venv, "bin", "mcp-server-time")])]
    write_config(workdir, time_server)
    new_one = first_request_ms(gander, endpoint, project, env, before_each=lambda: forget_tools(workdir))
    if "time__get_current_time" not in [t["function"]["name"] for t in endpoint.bodies[0].get("tools", [])]:
        sys.exit("bench: the first request did not offer the new server's tools")
    remembered_one = first_request_ms(gander, endpoint, project, env)
    three = [("time", [os.path.join(venv, "bin", "mcp-server-time")]),
             ("git", [os.path.join(venv, "bin", "mcp-server-git"), "--repository", project]),
             ("slow", [python, os.path.join(FIXTURES, "misbehaving_server.py"), "slow-start", "5"])]
    write_config(workdir, three)
    endpoint.play([{"text": "ok"}])
    gander_run(gander, endpoint, project, env, "hi")  # meets the servers once, so the runs measured remember them
    with_three = first_request_ms(gander, endpoint, project, env)
    # Three servers that use no CPU (they never answer, and no request waits for them): what is left is Gander's own
    # cost of starting them.
    write_config(workdir, [(f"idle{i}", ["sleep", "30"]) for i in range(3)], startup_wait=0)
    with_idle = first_request_ms(gander, endpoint, project, env)

    write_config(workdir, [])
    rss_none = peak_rss_with(gander, endpoint, project, env, [])
    ten = [(f"time{i}", [os.path.join(venv, "bin", "mcp-server-time")]) for i in range(10)]
    write_config(workdir, ten)
    rss_ten = peak_rss_with(gander, endpoint, project, env, [name for name, _ in ten])

    print("\n## MCP extensions\n")
    print(f"Start of `gander run` to the first request reaching the model, median of {RUNS} (min–max); "
          "peak RSS is Gander's own VmHWM, median of 3.\n")
    print("| figure | value |")
    print("| --- | --- |")
    print(f"| first request, no extensions | {none[0]:.1f} ms ({none[1]:.1f}–{none[2]:.1f}) |")
    print(f"| first request, 1 stdio extension never seen before (mcp-server-time; waits for its tool list) | "
          f"{new_one[0]:.1f} ms ({new_one[1]:.1f}–{new_one[2]:.1f}) |")
    print(f"| first request, the same extension remembered from an earlier run | "
          f"{remembered_one[0]:.1f} ms ({remembered_one[1]:.1f}–{remembered_one[2]:.1f}) |")
    print(f"| first request, 3 remembered stdio extensions (mcp-server-time, mcp-server-git, one taking 5 s to start) | "
          f"{with_three[0]:.1f} ms ({with_three[1]:.1f}–{with_three[2]:.1f}) |")
    print(f"| first request, 3 stdio servers that use no CPU (never answer) | "
          f"{with_idle[0]:.1f} ms ({with_idle[1]:.1f}–{with_idle[2]:.1f}) |")
    print(f"| peak RSS, no extensions | {rss_none:.1f} MiB |")
    print(f"| peak RSS, 10 stdio extensions up, each called once | {rss_ten:.1f} MiB |")


if __name__ == "__main__":
    main()
