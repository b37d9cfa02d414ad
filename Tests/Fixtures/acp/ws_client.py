"""Drives `gander serve` over its WebSocket with the official ACP Python SDK's client, and prints what it saw as JSON.

Usage: ws_client.py PORT SECRET WORKSPACE
Steps: /health and /status with and without the secret; a WebSocket with a wrong secret; then with the right one,
two sessions prompted at once; a third prompt whose reply stalls, and the client going away in the middle; a second
connection that lists the sessions and loads the one that was cut off.
"""
import asyncio
import json
import sys
import urllib.error
import urllib.request

import acp
from acp import text_block
from acp.schema import ClientCapabilities
from acp.ws import create_websocket_stream


class Recorder:
    def __init__(self):
        self.updates = []
        self.chunk = asyncio.Event()

    async def request_permission(self, *args, **kwargs):
        raise acp.RequestError.method_not_found("session/request_permission")

    async def session_update(self, session_id, update, **kwargs):
        self.updates.append({"session": session_id, **update.model_dump(by_alias=True, exclude_none=True, mode="json")})
        if update.session_update == "agent_message_chunk":
            self.chunk.set()


def status(url, headers=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {})) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


async def main():
    port, secret, workspace = sys.argv[1], sys.argv[2], sys.argv[3]
    base = f"http://127.0.0.1:{port}"
    report = {
        "health": status(f"{base}/health"),
        "status_without": status(f"{base}/status"),
        "status_with": status(f"{base}/status", {"X-Secret-Key": secret}),
        "status_token": status(f"{base}/status?token={secret}"),
        "status_other_origin": status(f"{base}/status?token={secret}", {"Origin": "https://elsewhere.example"}),
    }
    url = f"ws://127.0.0.1:{port}/acp"
    try:
        await create_websocket_stream(url, headers={"X-Secret-Key": "wrong"})
        report["wrong_secret"] = "accepted"
    except Exception as error:  # websockets' InvalidStatus
        report["wrong_secret"] = str(error)

    recorder = Recorder()
    conn = acp.connect_to_agent(recorder, await create_websocket_stream(url, headers={"X-Secret-Key": secret}))
    await conn.initialize(protocol_version=acp.PROTOCOL_VERSION, client_capabilities=ClientCapabilities())
    first = (await conn.new_session(cwd=workspace, mcp_servers=[])).session_id
    second = (await conn.new_session(cwd=workspace, mcp_servers=[])).session_id
    answers = await asyncio.gather(conn.prompt(session_id=first, prompt=[text_block("one")]),
                                   conn.prompt(session_id=second, prompt=[text_block("two")]))
    report["together"] = [answer.stop_reason for answer in answers]
    third = (await conn.new_session(cwd=workspace, mcp_servers=[])).session_id
    recorder.chunk.clear()
    stalled = asyncio.create_task(conn.prompt(session_id=third, prompt=[text_block("three")]))
    await asyncio.wait_for(recorder.chunk.wait(), 60)
    await conn.close()
    stalled.cancel()
    report["texts"] = {}
    for update in recorder.updates:
        if update.get("sessionUpdate") == "agent_message_chunk":
            report["texts"][update["session"]] = report["texts"].get(update["session"], "") + update["content"]["text"]

    await asyncio.sleep(1)
    replay = Recorder()
    again = acp.connect_to_agent(replay, await create_websocket_stream(f"{url}?token={secret}"))
    await again.initialize(protocol_version=acp.PROTOCOL_VERSION, client_capabilities=ClientCapabilities())
    report["listed"] = [s.session_id for s in (await again.list_sessions(cwd=workspace)).sessions]
    with urllib.request.urlopen(urllib.request.Request(f"{base}/status", headers={"X-Secret-Key": secret})) as response:
        report["connections_now"] = json.loads(response.read())["connections"]
    await again.load_session(cwd=workspace, session_id=third, mcp_servers=[])
    report["replayed"] = [u for u in replay.updates]
    report["sessions"] = [first, second, third]
    await again.close()
    print(json.dumps(report))


asyncio.run(main())
