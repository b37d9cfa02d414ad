"""Many clients of one `gander serve`, and a server that dies mid-turn, driven with the ACP Python SDK's client.

Usage:
  crowd_client.py crowd PORT SECRET WORKSPACE N   N connections at once, each a session whose prompt is "task I";
                                                  prints each session's id and answer
  crowd_client.py stall PORT SECRET WORKSPACE     one finished turn, then a prompt whose answer never comes; prints
                                                  the session id as soon as the second prompt's answer has begun,
                                                  and waits to be killed with its server
  crowd_client.py load PORT SECRET WORKSPACE ID   lists the sessions and loads ID; prints what was replayed
"""
import asyncio
import json
import sys

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
        self.updates.append(update.model_dump(by_alias=True, exclude_none=True, mode="json"))
        if update.session_update == "agent_message_chunk":
            self.chunk.set()

    def text(self):
        return "".join(u["content"]["text"] for u in self.updates if u.get("sessionUpdate") == "agent_message_chunk")


async def connect(port, secret, recorder):
    stream = await create_websocket_stream(f"ws://127.0.0.1:{port}/acp", headers={"X-Secret-Key": secret})
    conn = acp.connect_to_agent(recorder, stream)
    await conn.initialize(protocol_version=acp.PROTOCOL_VERSION, client_capabilities=ClientCapabilities())
    return conn


async def one_of_many(port, secret, workspace, index):
    recorder = Recorder()
    conn = await connect(port, secret, recorder)
    session = (await conn.new_session(cwd=workspace, mcp_servers=[])).session_id
    answer = await conn.prompt(session_id=session, prompt=[text_block(f"task {index}")])
    await conn.close()
    return {"index": index, "session": session, "stop": answer.stop_reason, "text": recorder.text()}


async def main():
    mode, port, secret, workspace = sys.argv[1:5]
    if mode == "crowd":
        results = await asyncio.gather(*(one_of_many(port, secret, workspace, i) for i in range(int(sys.argv[5]))))
        print(json.dumps(results))
    elif mode == "stall":
        recorder = Recorder()
        conn = await connect(port, secret, recorder)
        session = (await conn.new_session(cwd=workspace, mcp_servers=[])).session_id
        await conn.prompt(session_id=session, prompt=[text_block("first")])
        recorder.chunk.clear()
        asyncio.create_task(conn.prompt(session_id=session, prompt=[text_block("second")]))
        await asyncio.wait_for(recorder.chunk.wait(), 60)
        print(session, flush=True)
        await asyncio.sleep(600)
    else:
        recorder = Recorder()
        conn = await connect(port, secret, recorder)
        listed = [s.session_id for s in (await conn.list_sessions(cwd=workspace)).sessions]
        await conn.load_session(cwd=workspace, session_id=sys.argv[5], mcp_servers=[])
        print(json.dumps({"listed": listed, "replayed": recorder.updates}))
        await conn.close()


asyncio.run(main())
