#!/usr/bin/env python3
"""Figures for the web and browser extensions (issue 15), from a release build of gander.

- web__fetch of a 1 MB article to Markdown, as the agent runs it: `gander run` with a scripted model that asks for
  the fetch, timed from the tool_call event to the tool_result event on stream-json (fetch over loopback, parse,
  render, the ledger row); and Python's own GET of the same page for the network's share; medians of RUNS runs.
- The browser: start to first page text, cold (the first browser__navigate, which starts Chromium) and warm (a later
  one); medians over RUNS sessions.
- Peak RSS of gander itself (VmHWM) with the browser running, Chromium's processes not counted.

Usage: bench/web.py BIN_DIR  (prints a Markdown table; RUNS=N to change the number of runs, default 7)
"""
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from measure import ScriptedServer, bench_project  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "..", "Tests", "Fixtures", "web", "web_server.py")
RUNS = int(os.environ.get("RUNS", "7"))


class Client:
    """`gander mcp serve EXTENSION`, driven over stdio: the browser's figures, which need one process across calls."""

    def __init__(self, gander, extension):
        self.process = subprocess.Popen([gander, "mcp", "serve", extension], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True)
        self.next = 0
        self.request("initialize", {"protocolVersion": "2025-03-26", "capabilities": {},
                                    "clientInfo": {"name": "bench", "version": "1"}})
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def send(self, message):
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def request(self, method, params):
        self.next += 1
        self.send({"jsonrpc": "2.0", "id": self.next, "method": method, "params": params})
        while True:
            message = json.loads(self.process.stdout.readline())
            if message.get("id") == self.next:
                return message["result"]

    def call(self, tool, arguments):
        start = time.perf_counter()
        result = self.request("tools/call", {"name": tool, "arguments": arguments})
        elapsed = (time.perf_counter() - start) * 1000
        assert not result.get("isError"), result
        return elapsed, result

    def peak_rss_mb(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


def fetch_in_a_run(bin_dir, url):
    """Milliseconds from the tool_call event to its tool_result in one `gander run`, and the Markdown's length."""
    workdir, project, env = bench_project("gander-bench-web-", "x\n")
    server = ScriptedServer(bin_dir, [{"tool_calls": [{"name": "web__fetch", "arguments": json.dumps({"url": url})}]},
                                      {"text": "Read it."}], workdir)
    try:
        process = subprocess.Popen([os.path.join(bin_dir, "gander"), "run", "-t", "read the article", "--provider", "openai",
                                    "--model", "bench", "--base-url", server.base_url, "--output-format", "stream-json"],
                                   cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        called = None
        for line in process.stdout:
            event = json.loads(line)
            if event["type"] == "tool_call":
                called = time.perf_counter()
            elif event["type"] == "tool_result":
                elapsed = (time.perf_counter() - called) * 1000
                result = event["result"]
                assert not result["is_error"], result
                markdown = len(result["content"][0]["text"])
        process.wait(timeout=60)
        return elapsed, markdown
    finally:
        server.stop()


def main():
    gander = os.path.join(sys.argv[1], "gander")
    # The fixture binds a free port and prints it first.
    server = subprocess.Popen([sys.executable, SERVER], stdout=subprocess.PIPE, text=True)
    port = int(server.stdout.readline())
    url = f"http://127.0.0.1:{port}/article-1mb"
    try:
        for _ in range(100):
            try:
                size = len(urllib.request.urlopen(url).read())
                break
            except OSError:
                time.sleep(0.1)
        network = []
        for _ in range(RUNS):
            start = time.perf_counter()
            urllib.request.urlopen(url).read()
            network.append((time.perf_counter() - start) * 1000)

        runs = [fetch_in_a_run(sys.argv[1], url) for _ in range(RUNS)]
        fetches = [elapsed for elapsed, _ in runs]
        markdown = runs[-1][1]

        cold, warm, rss = [], [], []
        for _ in range(RUNS):
            browser = Client(gander, "browser")
            cold.append(browser.call("navigate", {"url": f"http://127.0.0.1:{port}/article"})[0])
            warm.append(browser.call("navigate", {"url": f"http://127.0.0.1:{port}/form"})[0])
            browser.call("screenshot", {})
            rss.append(browser.peak_rss_mb())
            browser.close()
    finally:
        server.terminate()

    median = statistics.median
    print("\n## The web and the browser\n")
    print(f"| figure | median of {RUNS} |")
    print("| --- | --- |")
    print(f"| web__fetch of a {size / 1048576:.2f} MB article to Markdown ({markdown / 1024:.0f} KB shown) in `gander run`: tool_call to tool_result | {median(fetches):.1f} ms |")
    print(f"| the same GET by Python's urllib (the network's share) | {median(network):.1f} ms |")
    print(f"| Gander's own time (tool call minus the GET) | {median(fetches) - median(network):.1f} ms |")
    print(f"| browser: start to first page text, cold (Chromium starts) | {median(cold):.0f} ms |")
    print(f"| browser: a later page, warm | {median(warm):.0f} ms |")
    print(f"| peak RSS of gander with the browser running (after a screenshot) | {median(rss):.1f} MB |")


if __name__ == "__main__":
    main()
