#!/usr/bin/env python3
"""The figures of Gander's two doors for editors and apps: `gander acp` on stdio and `gander serve` with its web app.

Usage: PYTHON bench/acp.py BIN_DIR   (PYTHON: the test venv's, which has websockets and Playwright;
                                      bin/ holds release builds of gander and scripted-model-server)

- ACP on stdio: from writing session/prompt to reading the first agent_message_chunk, against the scripted server,
  beside a headless `gander run` from its start to its first streamed text (which includes starting the process).
- gander serve with 50 sessions prompted at once: each token the model server sends carries the time it was sent;
  the load client notes when the WebSocket frame carrying it arrived. Memory per idle session from the server's RSS
  before and after opening 50 sessions.
- The web app's first load in headless Chromium (Debian's): bytes transferred, and the time until it is connected
  and lists the sessions.
"""
import asyncio
import http.server
import json
import os
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from measure import ScriptedServer, bench_project  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "15"))
SESSIONS = 50
TOKENS = 20


def start(argv, env, cwd):
    return subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def stdio_latency(gander, bin_dir, workdir, project, env):
    server = ScriptedServer(bin_dir, [{"text": "First words of the answer.", "repeat": 100000}], workdir)
    provider = ["--provider", "openai", "--model", "bench", "--base-url", server.base_url]
    env = dict(env, OPENAI_API_KEY="bench-key")
    agent = start([gander, "acp"] + provider, env, project)

    def call(message):
        agent.stdin.write(json.dumps(message) + "\n")
        agent.stdin.flush()

    def until(predicate):
        while True:
            message = json.loads(agent.stdout.readline())
            if predicate(message):
                return message

    call({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": 1}})
    until(lambda m: m.get("id") == 1)
    call({"jsonrpc": "2.0", "id": 2, "method": "session/new", "params": {"cwd": project, "mcpServers": []}})
    session = until(lambda m: m.get("id") == 2)["result"]["sessionId"]
    acp = []
    for run in range(RUNS + 1):
        began = time.perf_counter()
        call({"jsonrpc": "2.0", "id": 10 + run, "method": "session/prompt",
              "params": {"sessionId": session, "prompt": [{"type": "text", "text": "say something"}]}})
        until(lambda m: m.get("method") == "session/update"
              and m["params"]["update"].get("sessionUpdate") == "agent_message_chunk")
        if run > 0:  # the first prompt opens the connection to the model server
            acp.append((time.perf_counter() - began) * 1000)
        until(lambda m: m.get("id") == 10 + run)
    agent.stdin.close()
    agent.wait(timeout=30)

    headless = []
    for _ in range(RUNS):
        began = time.perf_counter()
        run = start([gander, "run", "-t", "say something", "--output-format", "stream-json"] + provider, env, project)
        for line in run.stdout:
            if '"text_delta"' in line or '"textDelta"' in line:
                headless.append((time.perf_counter() - began) * 1000)
                break
        run.stdout.close()
        run.wait(timeout=30)
    server.stop()
    return statistics.median(acp), statistics.median(headless) if headless else None


class StampingModel(http.server.ThreadingHTTPServer):
    """An OpenAI-compatible endpoint whose streamed tokens are the times they were sent (ns since the epoch), one
    every 25 ms, so a client at the far end of Gander can tell how long each took to reach it."""
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), StampingHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class StampingHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()

        def event(delta, finish=None):
            chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "bench",
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()

        event({"role": "assistant", "content": ""})
        for _ in range(TOKENS):
            time.sleep(0.025)
            event({"content": f"{time.time_ns()};"})
        event({}, "stop")
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("VmRSS:"))


async def serve_load(gander, workdir, project, env):
    import websockets

    model = StampingModel()
    env = dict(env, OPENAI_API_KEY="bench-key", GANDER_SERVER_SECRET="bench-secret")
    server = subprocess.Popen([gander, "serve", "--port", "0", "--provider", "openai", "--model", "bench",
                               "--base-url", model.base_url], env=env, cwd=project, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    line = server.stderr.readline()
    port = int(line.split("127.0.0.1:")[1].split("/")[0])
    url = f"ws://127.0.0.1:{port}/acp?token=bench-secret"

    async def rpc(socket, ident, method, params):
        await socket.send(json.dumps({"jsonrpc": "2.0", "id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(await socket.recv())
            if message.get("id") == ident:
                return message["result"]

    sockets = [await websockets.connect(url, max_size=None) for _ in range(SESSIONS)]
    for socket in sockets:
        await rpc(socket, 1, "initialize", {"protocolVersion": 1})
    await asyncio.sleep(0.5)
    before = rss_kib(server.pid)
    sessions = [(await rpc(socket, 2, "session/new", {"cwd": project, "mcpServers": []}))["sessionId"] for socket in sockets]
    await asyncio.sleep(0.5)
    after = rss_kib(server.pid)

    delays = []  # (sent ns, delay ms, session)

    async def prompt(socket, session):
        await socket.send(json.dumps({"jsonrpc": "2.0", "id": 3, "method": "session/prompt",
                                      "params": {"sessionId": session, "prompt": [{"type": "text", "text": "go"}]}}))
        carried = ""
        while True:
            frame = await socket.recv()
            arrived = time.time_ns()
            message = json.loads(frame)
            if message.get("id") == 3:
                return
            update = message.get("params", {}).get("update", {})
            if update.get("sessionUpdate") == "agent_message_chunk":
                carried += update["content"]["text"]
                *stamps, carried = carried.split(";")
                delays.extend((int(stamp), (arrived - int(stamp)) / 1e6, session) for stamp in stamps if stamp)

    began = time.perf_counter()
    await asyncio.gather(*(prompt(socket, session) for socket, session in zip(sockets, sessions)))
    elapsed = time.perf_counter() - began
    for socket in sockets:
        await socket.close()
    server.terminate()
    server.wait(timeout=30)
    model.shutdown()
    # Once every session has had its first token, all 50 are streaming and none is starting.
    all_streaming = max(min(sent for sent, _, owner in delays if owner == session) for session in sessions)
    burst = sorted(delay for _, delay, _ in delays)
    steady = sorted(delay for sent, delay, _ in delays if sent > all_streaming)
    return {"p50": burst[len(burst) // 2], "p99": burst[int(len(burst) * 0.99)], "tokens": len(burst),
            "steady_p50": steady[len(steady) // 2], "steady_p99": steady[int(len(steady) * 0.99)], "steady_tokens": len(steady),
            "per_session_kib": (after - before) / SESSIONS, "before_mib": before / 1024, "elapsed_s": elapsed}


def web_app_load(gander, project, env):
    from playwright.sync_api import sync_playwright

    env = dict(env, GANDER_SERVER_SECRET="bench-secret")
    server = subprocess.Popen([gander, "serve", "--port", "0"], env=env, cwd=project,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    port = int(server.stderr.readline().split("127.0.0.1:")[1].split("/")[0])
    loads, sizes = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for run in range(RUNS + 1):
            context = browser.new_context()
            page = context.new_page()
            transferred = []
            page.on("requestfinished", lambda request: transferred.append(request.sizes()["responseBodySize"]
                                                                          + request.sizes()["responseHeadersSize"]))
            page.goto(f"http://127.0.0.1:{port}/#token=bench-secret")
            page.wait_for_selector("#session-list li")
            # Milliseconds since the navigation began, read in the page as soon as the list was seen.
            ready = page.evaluate("performance.now()")
            if run > 0:  # the first load warms Chromium itself
                loads.append(ready)
                sizes.append(sum(transferred))
            context.close()
        browser.close()
    server.terminate()
    server.wait(timeout=30)
    return statistics.median(loads), statistics.median(sizes)


def main():
    bin_dir = os.path.abspath(sys.argv[1])
    gander = os.path.join(bin_dir, "gander")
    workdir, project, env = bench_project("gander-bench-acp-", "one\n")
    acp, headless = stdio_latency(gander, bin_dir, workdir, project, env)
    load = asyncio.run(serve_load(gander, workdir, project, env))
    page_ms, page_bytes = web_app_load(gander, project, env)
    print("\n## ACP, gander serve and the web app\n")
    print("| figure | measured | target |")
    print("|---|---|---|")
    print(f"| ACP on stdio: session/prompt → first agent_message_chunk (median of {RUNS}) | {acp:.1f} ms | within 2 ms of the headless run |")
    print(f"| headless `gander run`: process start → first streamed text (median of {RUNS}) | {headless:.1f} ms | |")
    print(f"| gander serve, {SESSIONS} sessions prompted in the same instant, model token → client's WebSocket frame, p50 / p99 "
          f"({load['tokens']} tokens) | {load['p50']:.1f} / {load['p99']:.1f} ms | p99 ≤ 20 ms |")
    print(f"| the same, once all {SESSIONS} are streaming (the {load['steady_tokens']} tokens sent after every session's first) | "
          f"{load['steady_p50']:.1f} / {load['steady_p99']:.1f} ms | p99 ≤ 20 ms |")
    print(f"| gander serve memory per idle session ({SESSIONS} opened; {load['before_mib']:.0f} MiB before) | "
          f"{load['per_session_kib'] / 1024:.2f} MiB | ≤ 2 MiB |")
    print(f"| web app first load, bytes transferred (median of {RUNS}) | {page_bytes / 1024:.1f} KiB | ≤ 100 KB |")
    print(f"| web app: navigation start → connected, its session list shown, headless Chromium (median of {RUNS}) | {page_ms:.0f} ms | ≤ 300 ms |")


if __name__ == "__main__":
    main()
