#!/usr/bin/env python3
"""Context figures: a 300-turn headless session whose tool outputs are large, against an OpenAI-compatible endpoint
that plays a model with an 8,192-token window and refuses, with OpenAI's own error, any request past it.

Usage: python3 bench/context.py GANDER
Reports the largest request relative to the window, the compactions, Gander's own time per compaction (from each
`compacted` event's harness_ms, which leaves out the model writing the summary) and Gander's peak RSS. Several runs,
medians.
"""
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading

from measure import bench_project

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
TURNS = 300
LIMIT = 8192
SUMMARY_MARKER = "You are compacting the conversation of an AI coding agent"


class Endpoint(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.reset()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def reset(self):
        self.turn, self.largest, self.overflows, self.summaries = 0, 0, 0, 0

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        tokens = len(raw) // 4  # the same rule of thumb as the tests' scripted servers
        server = self.server
        server.largest = max(server.largest, tokens)
        if tokens > LIMIT:
            server.overflows += 1
            error = {"error": {"message": f"This model's maximum context length is {LIMIT} tokens. However, your "
                               f"messages resulted in {tokens} tokens.", "type": "invalid_request_error",
                               "param": "messages", "code": "context_length_exceeded"}}
            return self.send(400, "application/json", json.dumps(error).encode())
        if SUMMARY_MARKER.encode() in raw:
            server.summaries += 1
            delta = {"role": "assistant", "content": f"## Goal\nCount.\n## State of the work\nSummary {server.summaries}."}
            finish = "stop"
        elif server.turn < TURNS:
            server.turn += 1
            call = {"index": 0, "id": f"call_{server.turn}", "type": "function",
                    "function": {"name": "developer__shell",
                                 "arguments": json.dumps({"command": f"seq {server.turn} {server.turn + 1500}"})}}
            delta, finish = {"role": "assistant", "tool_calls": [call]}, "tool_calls"
        else:
            delta, finish = {"role": "assistant", "content": "All done."}, "stop"
        chunks = [{"choices": [{"index": 0, "delta": delta, "finish_reason": None}]},
                  {"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]},
                  {"choices": [], "usage": {"prompt_tokens": tokens, "completion_tokens": 20}}]
        body = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks) + "data: [DONE]\n\n"
        self.send(200, "text/event-stream", body.encode())

    def send(self, status, content_type, data):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def one_session(gander, endpoint, project, env):
    endpoint.reset()
    argv = [gander, "run", "--provider", "openai", "--model", "bench", "--base-url", endpoint.base_url,
            "--output-format", "stream-json", "-t", "count through the numbers"]
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(argv, cwd=project, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
        stderr = child.stderr.read().decode(errors="replace")
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"bench: the 300-turn session failed: {stderr.strip()[-500:]}")
        out.seek(0)
        events = [json.loads(line) for line in out.read().decode().splitlines() if line.strip()]
    compactions = [event["compaction"] for event in events if event["type"] == "compacted"]
    return {"largest": endpoint.largest, "overflows": endpoint.overflows, "compactions": len(compactions),
            "summaries": endpoint.summaries, "harness_ms": [c["harness_ms"] for c in compactions],
            "rss_mib": usage.ru_maxrss / 1024}


def main():
    gander = sys.argv[1]
    endpoint = Endpoint()
    _, project, env = bench_project("gander-bench-context-", "hello\n")
    env = dict(env, GANDER_CONTEXT_LIMIT=str(LIMIT), OPENAI_API_KEY="bench")
    runs = [one_session(gander, endpoint, project, env) for _ in range(RUNS)]
    harness = [ms for run in runs for ms in run["harness_ms"]]
    print("\n## Context window\n")
    print(f"One headless session, kept in the session database, of {TURNS} tool turns, each output about 7 KB, against an endpoint that plays an "
          f"{LIMIT:,}-token window (a token per four bytes of request) and refuses any request past it with OpenAI's "
          f"own error; {RUNS} runs, medians.\n")
    print("| figure | value | target |")
    print("| --- | --- | --- |")
    largest = statistics.median(run["largest"] for run in runs)
    print(f"| largest request, relative to the window | {largest / LIMIT * 100:.1f} % ({largest:.0f} tokens) | ≤ 100 % |")
    print(f"| requests refused as too long | {max(run['overflows'] for run in runs)} | 0 |")
    print(f"| compactions per session (of which with a summary) | {statistics.median(run['compactions'] for run in runs):.0f} "
          f"({statistics.median(run['summaries'] for run in runs):.0f}) | |")
    print(f"| Gander's own time per compaction, without the model | {statistics.median(harness):.2f} ms median, "
          f"{max(harness):.2f} ms max | ≤ 5 ms |")
    print(f"| peak RSS over the session | {statistics.median(run['rss_mib'] for run in runs):.1f} MiB | |")


if __name__ == "__main__":
    main()
