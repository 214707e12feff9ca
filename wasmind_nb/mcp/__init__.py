"""MCP servers as tool actors: the host side of ``source = { mcp = ... }`` (see ``docs/config.md``).

The actor is the built-in ``mcp_tools`` component; the host runs the server with the official MCP SDK
(:mod:`.connection`), a stdio server inside the command sandbox (:mod:`.launch`), and answers the actor
at a gateway origin that never reaches the network (:mod:`.gateway`).
"""

from __future__ import annotations

from wasmind_nb.mcp.connection import McpConnection, McpFailure, McpLoop
from wasmind_nb.mcp.gateway import GATEWAY_HOST, McpGateway

__all__ = ["GATEWAY_HOST", "McpConnection", "McpFailure", "McpGateway", "McpLoop"]
