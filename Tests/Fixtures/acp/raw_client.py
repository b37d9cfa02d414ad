"""Sends `gander acp` what no SDK would: a line that is not JSON, a line over the size cap, an unknown method, a
prompt for a session that does not exist; each between well-formed requests, to see the connection live on.

Usage: raw_client.py GANDER ARGS...   Prints each answer, in order, as one JSON array.
"""
import json
import subprocess
import sys

agent = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
answers = []


def send(raw):
    agent.stdin.write(raw if isinstance(raw, bytes) else raw.encode())
    agent.stdin.write(b"\n")
    agent.stdin.flush()
    answers.append(json.loads(agent.stdout.readline()))


send("this is not json")
send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": 1}}))
send(b'{"jsonrpc": "2.0", "id": 2, "method": "initialize", "params": {"padding": "' + b"x" * (17 << 20) + b'"}}')
send(json.dumps({"jsonrpc": "2.0", "id": 3, "method": "session/teleport", "params": {}}))
send(json.dumps({"jsonrpc": "2.0", "id": 4, "method": "session/prompt",
                 "params": {"sessionId": "no-such-session", "prompt": [{"type": "text", "text": "hi"}]}}))
send(json.dumps({"jsonrpc": "2.0", "id": 5, "method": "session/new", "params": {"cwd": "relative/path", "mcpServers": []}}))
agent.stdin.close()
print(json.dumps({"answers": answers, "exit": agent.wait(timeout=30)}))
