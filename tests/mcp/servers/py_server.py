"""A stdio MCP server written with the official SDK, for the tests: run inside the command sandbox.

``python py_server.py [MODE]``: ``tools`` (default) offers the tools below; ``no-tools`` offers none;
``crash`` writes a reason to stderr and exits 3 before the handshake.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time

from mcp.server.mcpserver import Image, MCPServer
from mcp.server.mcpserver.exceptions import ToolError

MODE = sys.argv[1] if len(sys.argv) > 1 else "tools"
if MODE == "crash":
    print("py_server: cannot start, the config file /etc/py_server.toml is missing", file=sys.stderr)
    sys.exit(3)

server = MCPServer("wasmind-test-server")

if MODE == "tools":

    @server.tool()
    def echo(text: str) -> str:
        """Returns the text."""
        return f"echo: {text}"

    @server.tool()
    def environment() -> dict[str, str]:
        """The server's whole environment."""
        return dict(os.environ)

    @server.tool()
    def whoami() -> str:
        """The server's view of the system: hostname, uid, the files in /work and its working directory."""
        work = sorted(os.listdir("/work")) if os.path.isdir("/work") else None
        return f"host={socket.gethostname()} uid={os.getuid()} cwd={os.getcwd()} work={work}"

    @server.tool()
    def connect(host: str, port: int) -> str:
        """Opens a TCP connection to host:port."""
        try:
            socket.create_connection((host, port), timeout=2).close()
        except OSError as err:
            return f"refused: {err}"
        return "connected"

    @server.tool()
    def fail(reason: str) -> str:
        """Always fails (an isError result)."""
        raise ToolError(reason)

    @server.tool()
    def picture() -> list:
        """Returns a caption and a 1x1 PNG."""
        png = base64.b64decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
        )
        return ["a red dot", Image(data=png, format="png")]

    @server.tool()
    def die() -> str:
        """Exits the server in the middle of the call."""
        os._exit(1)

    @server.tool()
    def fork(count: int, token: str) -> str:
        """Starts ``count`` background ``sleep 300`` processes named ``TOKEN``; how many started."""
        started = 0
        for _ in range(count):
            try:
                subprocess.Popen([token, "300"], executable="/bin/sleep", start_new_session=True)
            except OSError:
                break
            started += 1
        return f"started {started}"

    @server.tool()
    def hang() -> str:
        """Never answers."""
        time.sleep(3600)
        return "late"


if __name__ == "__main__":
    server.run("stdio")
