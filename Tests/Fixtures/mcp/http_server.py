"""A streamable-HTTP MCP server written with the mcp Python SDK (MCPServer, called FastMCP before mcp 2.0)."""
import sys

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


server.run(transport="streamable-http", host="127.0.0.1", port=int(sys.argv[1]))
