"""A stdio MCP server that misbehaves on purpose, speaking raw JSON-RPC so each failure is exact.

  exit-at-start   exits before reading anything
  exit-mid-call   answers initialize and tools/list, then exits when a tool is called
  hang            answers initialize and tools/list, then never answers a tool call
  garbage         answers initialize and tools/list, then writes plain text to stdout when a tool is called
  slow-start N    sleeps N seconds before answering initialize, then behaves
  rich            lists its tools over two pages; a call returns text, an image, an embedded resource and a
                  resource link, then the server announces a new tool with notifications/tools/list_changed
Every mode logs a notifications/cancelled it receives to stderr.
"""
import os
import json
import sys
import time

mode = sys.argv[1]
if mode == "exit-at-start":
    print("fixture: giving up at once", file=sys.stderr)
    sys.exit(7)
if mode == "slow-start":
    time.sleep(float(sys.argv[2]))

PIXEL = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
tools = [{"name": "second", "description": "On the second page.", "inputSchema": {"type": "object"}}]
TOOL = {"name": "probe", "description": "Answers pong.", "inputSchema": {"type": "object", "properties": {}},
        "annotations": {"readOnlyHint": True}}


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    message = json.loads(line)
    method, ident = message.get("method"), message.get("id")
    if method == "initialize":
        send({"jsonrpc": "2.0", "id": ident, "result": {
            "protocolVersion": message["params"]["protocolVersion"], "capabilities": {"tools": {}},
            "serverInfo": {"name": "misbehaving", "version": "1"}}})
    elif method == "tools/list":
        cursor = (message.get("params") or {}).get("cursor")
        if mode != "rich":
            send({"jsonrpc": "2.0", "id": ident, "result": {"tools": [TOOL]}})
        elif cursor is None:
            send({"jsonrpc": "2.0", "id": ident, "result": {"tools": [TOOL], "nextCursor": "page-2"}})
        else:
            send({"jsonrpc": "2.0", "id": ident, "result": {"tools": tools}})
    elif method == "notifications/cancelled":
        print(f"fixture: cancelled request {message['params'].get('requestId')}", file=sys.stderr, flush=True)
    elif method == "tools/call":
        print(f"fixture: tools/call in mode {mode}", file=sys.stderr, flush=True)
        if mode == "exit-mid-call":
            sys.exit(3)
        if mode == "hang":
            continue
        if mode == "garbage":
            sys.stdout.write("Traceback (most recent call last): oops\n")
            sys.stdout.flush()
            continue
        if mode == "rich":
            leaked = sorted(name for name in os.environ if name.endswith("_API_KEY"))
            send({"jsonrpc": "2.0", "id": ident, "result": {"content": [
                {"type": "text", "text": f"pong; keys seen: {leaked or 'none'}"},
                {"type": "image", "data": PIXEL, "mimeType": "image/png"},
                {"type": "resource", "resource": {"uri": "file:///notes.txt", "mimeType": "text/plain", "text": "remember"}},
                {"type": "resource_link", "uri": "file:///big.log", "name": "big.log", "mimeType": "text/plain"},
            ]}})
            tools.append({"name": "third", "description": "Announced later.", "inputSchema": {"type": "object"}})
            send({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
            continue
        send({"jsonrpc": "2.0", "id": ident, "result": {"content": [{"type": "text", "text": "pong"}]}})
    elif ident is not None:
        send({"jsonrpc": "2.0", "id": ident, "error": {"code": -32601, "message": "unknown method"}})
