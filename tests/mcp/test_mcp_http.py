"""A streamable-HTTP MCP server (the SDK's MCPServer on loopback, in the test process): reached only when
the actor's ``http_hosts`` grant it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings

from tests.actors_builtin.tools_helpers import call, tools_offered
from tests.mcp.conftest import ROOT_SCOPE, mcp_config, mind
from wasmind_nb.mcp import gateway

pytestmark = pytest.mark.anyio


# The server checks the Host header (DNS rebinding protection); the name is the one the tests resolve.
SERVED_HOSTS = TransportSecuritySettings(
    allowed_hosts=["127.0.0.1:*", "mcp-server.test:*"],
    allowed_origins=["http://127.0.0.1:*", "http://mcp-server.test:*"],
)


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
    config = uvicorn.Config(
        _needs_token(server.streamable_http_app(transport_security=SERVED_HOSTS)),
        host="127.0.0.1",
        port=port,
        log_level="error",
    )
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


TOKEN = "tok-3f9a"


def _needs_token(app: Any) -> Any:
    """``app`` behind a bearer token check on ``/private/...`` (the MCP endpoint is at both paths)."""

    async def guarded(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/private"):
            if (b"authorization", f"Bearer {TOKEN}".encode()) not in scope["headers"]:
                await send({"type": "http.response.start", "status": 401, "headers": []})
                await send({"type": "http.response.body", "body": b"no token"})
                return
            scope = {**scope, "path": scope["path"].removeprefix("/private"), "raw_path": None}
        await app(scope, receive, send)

    return guarded


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


@pytest.mark.parametrize("token", [TOKEN, None], ids=["token", "no-token"])
async def test_bearer_token_env_sends_the_hosts_token(
    tmp_path: Path, server_url: str, monkeypatch, token: str | None
) -> None:
    if token is not None:
        monkeypatch.setenv("WASMIND_TEST_MCP_TOKEN", token)
    else:
        monkeypatch.delenv("WASMIND_TEST_MCP_TOKEN", raising=False)
    private = server_url.replace("/mcp", "/private/mcp")
    grant = {"http_hosts": [f"127.0.0.1:{port_of(server_url)}"]}
    table = {"mcp": {"url": private, "bearer_token_env": "WASMIND_TEST_MCP_TOKEN"}, "capabilities": grant}
    async with mind(mcp_config({"adder": table}), tmp_path) as m:
        await m.wait_idle()
        if token is None:
            assert (
                "WASMIND_TEST_MCP_TOKEN (named by source.mcp.bearer_token_env) is not set"
                in m.faults[0].error
            )
            return
        outcome = await call(m, ROOT_SCOPE, "add", {"a": 1, "b": 1})
        assert m.faults == []
        assert TOKEN not in "".join(e.payload.decode(errors="replace") for e in m.messages)
    assert outcome.content == "2"


async def test_a_wrong_token_is_a_fault_naming_the_server(
    tmp_path: Path, server_url: str, monkeypatch
) -> None:
    monkeypatch.setenv("WASMIND_TEST_MCP_TOKEN", "wrong")
    private = server_url.replace("/mcp", "/private/mcp")
    grant = {"http_hosts": [f"127.0.0.1:{port_of(server_url)}"]}
    table = {"mcp": {"url": private, "bearer_token_env": "WASMIND_TEST_MCP_TOKEN"}, "capabilities": grant}
    async with mind(mcp_config({"adder": table}), tmp_path) as m:
        await m.wait_idle()
        assert [f.actor for f in m.faults] == ["adder"]
        assert f"MCP server 'adder' ({private}) failed to start" in m.faults[0].error
        assert "wrong" not in m.faults[0].error


def play_dns(monkeypatch, *answers: list[str]) -> None:
    """The gateway's resolver gives ``answers`` in turn, then the last one for ever."""
    given = list(answers)

    def resolver(host: str, port: int) -> list[str]:
        assert host == "mcp-server.test"
        return given.pop(0) if len(given) > 1 else given[0]

    monkeypatch.setattr(gateway, "resolve", resolver)


async def test_connections_go_to_the_checked_address_of_a_granted_name(
    tmp_path: Path, server_url: str, monkeypatch
) -> None:
    play_dns(monkeypatch, ["127.0.0.1"])  # the name exists only in this resolver
    port = port_of(server_url)
    url = server_url.replace("127.0.0.1", "mcp-server.test")
    grant = {"http_hosts": [f"mcp-server.test:{port}", f"127.0.0.1:{port}"]}
    async with mind(mcp_config({"adder": {"mcp": {"url": url}, "capabilities": grant}}), tmp_path) as m:
        outcome = await call(m, ROOT_SCOPE, "add", {"a": 2, "b": 3})
        assert m.faults == [] and m.denials == []
    assert outcome.content == "5"


async def test_a_name_that_rebinds_after_the_check_is_refused_at_the_connection(
    tmp_path: Path, server_url: str, monkeypatch
) -> None:
    play_dns(monkeypatch, ["127.0.0.1"], ["10.20.30.40"])  # granted at the session's check, then not
    port = port_of(server_url)
    url = server_url.replace("127.0.0.1", "mcp-server.test")
    grant = {"http_hosts": [f"mcp-server.test:{port}", f"127.0.0.1:{port}"]}
    async with mind(mcp_config({"adder": {"mcp": {"url": url}, "capabilities": grant}}), tmp_path) as m:
        await m.wait_idle()
        assert [d.capability for d in m.denials] == ["http_hosts"]
        assert "10.20.30.40" in m.denials[0].reason
        assert [f.actor for f in m.faults] == ["adder"]  # its start (tools/list) never reached a server
