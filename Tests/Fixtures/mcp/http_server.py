"""A streamable-HTTP MCP server written with the mcp Python SDK (MCPServer, called FastMCP before mcp 2.0).

Binds a free loopback port, prints it as its first line, then serves /mcp until killed.
"""
import asyncio
import socket

import uvicorn

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

server = MCPServer("fixture-http")


@server.tool(annotations=ToolAnnotations(readOnlyHint=True))
def word_count(text: str) -> str:
    """Counts the words in a text."""
    return f"{len(text.split())} words"


@server.tool(annotations=ToolAnnotations(readOnlyHint=True))
def echo_integer(value: int) -> str:
    """Returns the integer it was given, and the next one, as Python reads them (exactly)."""
    return f"{value} {value + 1}"


@server.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=True))
def shout(text: str) -> str:
    """Returns the text in capitals."""
    return text.upper()



# Bound and listening before the port is printed: a client that connects at once waits in the backlog.
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(64)
print(listener.getsockname()[1], flush=True)
app = server.streamable_http_app(host="127.0.0.1")
asyncio.run(uvicorn.Server(uvicorn.Config(app, log_level="warning")).serve(sockets=[listener]))
