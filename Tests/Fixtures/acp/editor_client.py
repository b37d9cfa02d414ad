"""Drives `gander acp` as an editor that holds files in buffers: it offers fs/read_text_file and fs/write_text_file.

Usage: editor_client.py WORKSPACE -- GANDER ARGS...
The steps: initialize with the fs capabilities; a new session; auto mode through session/set_config_option; a prompt
whose view and edit of notes.txt go through the client's buffer; the model switched through the config option; a
second prompt; one whose answer is cut off at the token limit; a fork of the session, loaded on the same connection;
a session with the editor's own MCP server (mcp-server-time, over stdio), whose tool the model calls; a prompt the
provider's content filter stops. Prints what it saw as JSON.
"""
import asyncio
import json
import os
import sys

import acp
from acp import text_block
from acp.schema import (ClientCapabilities, FileSystemCapabilities, McpServerStdio, ReadTextFileResponse,
                        WriteTextFileResponse)


class Editor:
    def __init__(self, workspace):
        # An unsaved buffer: what the user sees in the editor, not what is on disk.
        self.buffers = {os.path.join(workspace, "notes.txt"): "unsaved line from the editor\n"}
        self.reads, self.writes, self.updates = [], [], []

    async def read_text_file(self, session_id, path, line=None, limit=None, **kwargs):
        self.reads.append(path)
        if path in self.buffers:
            return ReadTextFileResponse(content=self.buffers[path])
        with open(path) as handle:
            return ReadTextFileResponse(content=handle.read())

    async def write_text_file(self, session_id, path, content, **kwargs):
        self.writes.append({"path": path, "content": content})
        self.buffers[path] = content
        return WriteTextFileResponse()

    async def request_permission(self, *args, **kwargs):
        raise acp.RequestError.method_not_found("session/request_permission")

    async def session_update(self, session_id, update, **kwargs):
        self.updates.append({"session": session_id, **update.model_dump(by_alias=True, exclude_none=True, mode="json")})


def dump(model):
    return model.model_dump(by_alias=True, exclude_none=True, mode="json")


async def main():
    workspace = sys.argv[1]
    command = sys.argv[sys.argv.index("--") + 1:]
    editor = Editor(workspace)
    report = {}
    async with acp.spawn_agent_process(lambda agent: editor, *command, cwd=workspace, env=dict(os.environ)) as (conn, process):
        capabilities = ClientCapabilities(fs=FileSystemCapabilities(read_text_file=True, write_text_file=True))
        await conn.initialize(protocol_version=acp.PROTOCOL_VERSION, client_capabilities=capabilities)
        session = await conn.new_session(cwd=workspace, mcp_servers=[])
        sid = session.session_id
        report["config_options"] = [dump(option) for option in session.config_options or []]
        report["set_mode"] = [dump(o) for o in (await conn.set_config_option(config_id="mode", session_id=sid, value="auto")).config_options]
        report["edit"] = (await conn.prompt(session_id=sid, prompt=[text_block("fix notes.txt")])).stop_reason
        switched = await conn.set_config_option(config_id="model", session_id=sid, value="gpt-switched")
        report["set_model"] = [dump(o) for o in switched.config_options]
        try:
            await conn.set_config_option(config_id="colour", session_id=sid, value="blue")
            report["bad_option"] = "accepted"
        except acp.RequestError as error:
            report["bad_option"] = str(error)
        report["second"] = (await conn.prompt(session_id=sid, prompt=[text_block("and now?")])).stop_reason
        report["cut_off"] = (await conn.prompt(session_id=sid, prompt=[text_block("explain everything")])).stop_reason
        fork = await conn.fork_session(session_id=sid, cwd=workspace, mcp_servers=[])
        report["fork"] = fork.session_id
        before = len(editor.updates)
        await conn.load_session(cwd=workspace, session_id=fork.session_id, mcp_servers=[])
        report["fork_replayed"] = [u for u in editor.updates[before:] if u["session"] == fork.session_id]
        try:
            await conn.fork_session(session_id="no-such-session", cwd=workspace, mcp_servers=[])
            report["bad_fork"] = "accepted"
        except acp.RequestError as error:
            report["bad_fork"] = str(error)
        clock = McpServerStdio(name="time", command=os.path.join(os.path.dirname(sys.executable), "mcp-server-time"),
                               args=["--local-timezone", "UTC"], env=[])
        timed = (await conn.new_session(cwd=workspace, mcp_servers=[clock])).session_id
        report["mcp_stop"] = (await conn.prompt(session_id=timed, prompt=[text_block("what time is it in Paris?")])).stop_reason
        report["mcp_updates"] = [u for u in editor.updates if u["session"] == timed]
        report["refusal"] = (await conn.prompt(session_id=timed, prompt=[text_block("something flagged")])).stop_reason
    report["reads"], report["writes"] = editor.reads, editor.writes
    report["updates"] = [u for u in editor.updates if u["session"] == sid]
    print(json.dumps(report))


asyncio.run(main())
