"""A streamable-HTTP MCP server (the SDK's MCPServer on loopback, in the test process): reached only when
the actor's ``http_hosts`` grant it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from mcp.server.mcpserver import MCPServer

from tests.actors_builtin.tools_helpers import call, tools_offered
from tests.mcp.conftest import ROOT_SCOPE, mcp_config, mind

pytestmark = pytest.mark.anyio


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    server = MCPServer("clock")

    @server.tool()
    def add(a: int, b: int) -> int:
        """Adds two integers."""
        return a + b

    port = free_port()
    config = uvicorn.Config(server.streamable_http_app(), host="127.0.0.1", port=port, log_level="error")
    http = uvicorn.Server(config)
    thread = threading.Thread(target=http.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not http.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert http.started, "the test MCP server did not start"
    yield f"http://127.0.0.1:{port}/mcp"
    http.should_exit = True
    thread.join(10)


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


async def test_a_granted_http_server_serves_its_tools(tmp_path: Path, server_url: str) -> None:
    table = {"mcp": {"url": server_url}, "capabilities": {"http_hosts": [f"127.0.0.1:{port_of(server_url)}"]}}
    async with mind(mcp_config({"adder": table}), tmp_path) as m:
        assert set(tools_offered(m, ROOT_SCOPE)) == {"add"}
        outcome = await call(m, ROOT_SCOPE, "add", {"a": 2, "b": 40})
        await m.wait_idle()
        assert m.faults == [] and m.denials == []
    assert not outcome.failed and outcome.content == "42"


@pytest.mark.parametrize("hosts", [[], ["127.0.0.1:1"], ["localhost:*"]], ids=["none", "port", "name"])
async def test_an_ungranted_http_server_is_a_denial_and_a_fault(
    tmp_path: Path, server_url: str, hosts: list[str]
) -> None:
    table = {"mcp": {"url": server_url}, "capabilities": {"http_hosts": hosts}}
    async with mind(mcp_config({"adder": table}), tmp_path) as m:
        await m.wait_idle()
        assert [d.capability for d in m.denials] == ["http_hosts"]
        assert [f.actor for f in m.faults] == ["adder"]
        error = m.faults[0].error
    assert f"MCP server 'adder' ({server_url}) cannot be reached: actor 'adder' is not allowed" in error
