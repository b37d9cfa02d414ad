"""Drives `gander acp` with the official ACP Python SDK's client, as an editor would, and prints what it saw as JSON.

Usage: client.py WORKSPACE ANSWERS -- GANDER ARGS...
ANSWERS is a comma-separated list of the option ids to pick for each permission request, in order.
The steps: initialize; a new session; a prompt that edits a file (asking first); a prompt whose command is answered
by the next answer; set the mode; a recipe run as a command; a prompt that stalls and is cancelled; a session
started from a recipe named in _meta; list the sessions; then, on a second connection, load the session and collect
what it replays. The agent gets this process's whole environment (the SDK would pass only HOME, PATH and a few more),
as an editor's agent settings would give it: the test's GANDER_* settings with it.
"""
import asyncio
import json
import os
import sys

import acp
from acp import text_block
from acp.schema import AllowedOutcome, ClientCapabilities, RequestPermissionResponse


class Recorder:
    def __init__(self, answers):
        self.answers = list(answers)
        self.updates = []
        self.permissions = []
        self.first_chunk = asyncio.Event()

    async def request_permission(self, session_id, tool_call, options, **kwargs):
        self.permissions.append({"title": tool_call.title, "kind": tool_call.kind,
                                 "options": [option.kind for option in options]})
        choice = self.answers.pop(0)
        return RequestPermissionResponse(outcome=AllowedOutcome(outcome="selected", option_id=choice))

    async def session_update(self, session_id, update, **kwargs):
        self.updates.append(update.model_dump(by_alias=True, exclude_none=True, mode="json"))
        if update.session_update == "agent_message_chunk":
            self.first_chunk.set()

    async def write_text_file(self, *args, **kwargs):
        raise acp.RequestError.method_not_found("fs/write_text_file")

    async def read_text_file(self, *args, **kwargs):
        raise acp.RequestError.method_not_found("fs/read_text_file")


async def main():
    workspace, answers = sys.argv[1], [a for a in sys.argv[2].split(",") if a]
    command = sys.argv[sys.argv.index("--") + 1:]
    report = {}
    recorder = Recorder(answers)
    async with acp.spawn_agent_process(lambda agent: recorder, *command, cwd=workspace, env=dict(os.environ)) as (conn, process):
        init = await conn.initialize(protocol_version=acp.PROTOCOL_VERSION, client_capabilities=ClientCapabilities())
        report["initialize"] = init.model_dump(by_alias=True, exclude_none=True, mode="json")
        session = await conn.new_session(cwd=workspace, mcp_servers=[])
        report["modes"] = session.modes.model_dump(by_alias=True, exclude_none=True, mode="json")
        sid = session.session_id
        report["edit"] = (await conn.prompt(session_id=sid, prompt=[text_block("write hello.txt")])).model_dump(by_alias=True, exclude_none=True, mode="json")
        report["command"] = (await conn.prompt(session_id=sid, prompt=[text_block("run it")])).model_dump(by_alias=True, exclude_none=True, mode="json")
        await conn.set_session_mode(session_id=sid, mode_id="auto")
        try:
            await conn.set_session_mode(session_id=sid, mode_id="reckless")
            report["bad_mode"] = "accepted"
        except acp.RequestError as error:
            report["bad_mode"] = str(error)
        report["recipe"] = (await conn.prompt(session_id=sid, prompt=[text_block("/review main")])).model_dump(by_alias=True, exclude_none=True, mode="json")
        recorder.first_chunk.clear()
        stalled = asyncio.create_task(conn.prompt(session_id=sid, prompt=[text_block("say a lot")]))
        await asyncio.wait_for(recorder.first_chunk.wait(), 60)
        await conn.cancel(session_id=sid)
        report["cancelled"] = (await asyncio.wait_for(stalled, 60)).model_dump(by_alias=True, exclude_none=True, mode="json")
        with_recipe = await conn.new_session(cwd=workspace, mcp_servers=[], recipe="review", params={"branch": "dev"})
        report["with_recipe"] = (await conn.prompt(session_id=with_recipe.session_id, prompt=[text_block("go")])).stop_reason
        try:
            await conn.new_session(cwd=workspace, mcp_servers=[], recipe="nowhere")
            report["bad_recipe"] = "accepted"
        except acp.RequestError as error:
            report["bad_recipe"] = str(error)
        listed = await conn.list_sessions(cwd=workspace)
        report["listed"] = [s.session_id for s in listed.sessions]
        report["session"] = sid
    report["updates"] = recorder.updates
    report["permissions"] = recorder.permissions

    replay = Recorder([])
    async with acp.spawn_agent_process(lambda agent: replay, *command, cwd=workspace, env=dict(os.environ)) as (conn, process):
        await conn.initialize(protocol_version=acp.PROTOCOL_VERSION, client_capabilities=ClientCapabilities())
        await conn.load_session(cwd=workspace, session_id=sid, mcp_servers=[])
        try:
            await conn.prompt(session_id="no-such-session", prompt=[text_block("hi")])
            report["unknown_session"] = "accepted"
        except acp.RequestError as error:
            report["unknown_session"] = str(error)
    report["replayed"] = replay.updates
    print(json.dumps(report))


asyncio.run(main())
