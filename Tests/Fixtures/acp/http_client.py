"""Drives `gander serve` over ACP's streamable-HTTP transport with the ACP Python SDK's client, as an app would.

Usage: http_client.py PORT SECRET WORKSPACE
Steps: a connection without the secret; then with it, initialize, a session, a prompt whose answer streams on the
session's event stream, a second session prompted beside it; a message for a connection that does not exist.
Prints what it saw as JSON.
"""
import asyncio
import json
import sys

import acp
import httpx
from acp import text_block
from acp.http.client import create_http_stream
from acp.schema import ClientCapabilities


class Recorder:
    def __init__(self):
        self.updates = []

    async def request_permission(self, *args, **kwargs):
        raise acp.RequestError.method_not_found("session/request_permission")

    async def session_update(self, session_id, update, **kwargs):
        self.updates.append({"session": session_id, **update.model_dump(by_alias=True, exclude_none=True, mode="json")})


async def main():
    port, secret, workspace = sys.argv[1], sys.argv[2], sys.argv[3]
    url = f"http://127.0.0.1:{port}/acp"
    report = {}
    async with httpx.AsyncClient(timeout=None) as http:
        refused = await http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": 1}})
        report["without_secret"] = refused.status_code
        stray = await http.post(url, json={"jsonrpc": "2.0", "id": 9, "method": "session/list", "params": {}},
                                headers={"X-Secret-Key": secret, "Acp-Connection-Id": "nowhere"})
        report["unknown_connection"] = stray.status_code

        recorder = Recorder()
        conn = acp.connect_to_agent(recorder, create_http_stream(url, client=http, headers={"X-Secret-Key": secret}))
        init = await conn.initialize(protocol_version=acp.PROTOCOL_VERSION, client_capabilities=ClientCapabilities())
        report["protocol"] = init.protocol_version
        first = (await conn.new_session(cwd=workspace, mcp_servers=[])).session_id
        second = (await conn.new_session(cwd=workspace, mcp_servers=[])).session_id
        answers = await asyncio.gather(conn.prompt(session_id=first, prompt=[text_block("one")]),
                                       conn.prompt(session_id=second, prompt=[text_block("two")]))
        report["stops"] = [answer.stop_reason for answer in answers]
        report["texts"] = {}
        for update in recorder.updates:
            if update.get("sessionUpdate") == "agent_message_chunk":
                key = "first" if update["session"] == first else "second"
                report["texts"][key] = report["texts"].get(key, "") + update["content"]["text"]
        report["listed"] = len((await conn.list_sessions(cwd=workspace)).sessions)
        await conn.close()
    print(json.dumps(report))


asyncio.run(main())
