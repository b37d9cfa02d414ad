"""Drives `gander mcp serve` with the mcp Python SDK's own stdio client and prints what it saw as one JSON object."""
import asyncio
import json
import os
import sys
import tempfile

from mcp import ClientSession, StdioServerParameters, stdio_client


async def main(gander: str, workdir: str) -> None:
    # A client that hands the server its whole environment, secrets included: the shell must still not see them.
    env = dict(os.environ, OPENAI_API_KEY="sk-serve-never-shared", DEPLOY_TOKEN="deploy-token-value",
               BUILD_FLAVOUR="plain-value", XDG_CONFIG_HOME=tempfile.mkdtemp())
    params = StdioServerParameters(command=gander, args=["mcp", "serve", "developer"], cwd=workdir, env=env)
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            tools = await session.list_tools()
            shell = await session.call_tool("shell", {"command": "echo served-by-gander; exit 3"})
            create = await session.call_tool("text_editor", {"command": "create", "path": "made.txt", "file_text": "hello\n"})
            bad = await session.call_tool("text_editor", {"command": "view"})
            unknown = await session.call_tool("no_such_tool", {})
            environment = await session.call_tool("shell", {"command": "env"})
            report = {
                "server": init.server_info.name,
                "protocol": init.protocol_version,
                "tools": {t.name: {"read_only": t.annotations.read_only_hint if t.annotations else None} for t in tools.tools},
                "shell": {"text": shell.content[0].text, "is_error": shell.is_error},
                "create": {"text": create.content[0].text, "is_error": create.is_error},
                "bad": {"text": bad.content[0].text, "is_error": bad.is_error},
                "unknown": {"text": unknown.content[0].text, "is_error": unknown.is_error},
                "env": {"text": environment.content[0].text},
            }
            print(json.dumps(report))


asyncio.run(main(sys.argv[1], sys.argv[2]))
