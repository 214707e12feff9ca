"""A stdio MCP server written by hand (no SDK), for the tests: it speaks JSON-RPC, then misbehaves.

``python raw_server.py MODE``: ``bad-result`` answers ``tools/call`` with a result that is not a
``CallToolResult``; ``noise`` answers the handshake with a line that is not JSON and then nothing.
"""

from __future__ import annotations

import json
import sys

MODE = sys.argv[1]
TOOL = {"name": "odd", "description": "Answers oddly.", "inputSchema": {"type": "object", "properties": {}}}


def send(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    request = json.loads(line)
    method, ident = request.get("method"), request.get("id")
    if ident is None:
        continue  # a notification
    if MODE == "noise":
        sys.stdout.write("this is not JSON-RPC\n")
        sys.stdout.flush()
        continue
    if method == "initialize":
        result = {
            "protocolVersion": request["params"]["protocolVersion"],
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "raw", "version": "1"},
        }
        send({"jsonrpc": "2.0", "id": ident, "result": result})
    elif method == "tools/list":
        send({"jsonrpc": "2.0", "id": ident, "result": {"tools": [TOOL]}})
    elif method == "tools/call":
        send({"jsonrpc": "2.0", "id": ident, "result": {"content": "not a list", "isError": "maybe"}})
    else:
        send({"jsonrpc": "2.0", "id": ident, "error": {"code": -32601, "message": f"no method {method}"}})
