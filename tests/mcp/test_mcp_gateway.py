"""The MCP gateway on its own: its routes, what it refuses, and ending sessions (no runtime, no guest)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.mcp.conftest import needs_sandbox, processes_with, python_grants, python_server, wait_until_gone
from wasmind_nb.config.specs import Capabilities, McpServer, Preopen
from wasmind_nb.mcp import GATEWAY_HOST, McpGateway

URL = f"http://{GATEWAY_HOST}"


@pytest.fixture(autouse=True)
def _sandbox() -> None:
    needs_sandbox()


def server(token: str, **extra: Any) -> McpServer:
    table = python_server("py_server.py", "tools", token, **extra)
    return McpServer(command=table["command"], args=tuple(table["args"]), env=tuple(table["env"].items()))


def caller(name: str = "tools", scope: str = "000000") -> Any:
    fs = tuple(Preopen(Path(g["host"]), g["guest"]) for g in python_grants())
    return SimpleNamespace(actor_name=name, scope=scope, capabilities=Capabilities(fs=fs))


def answer(gateway: McpGateway, path: str, body: Any = None, *, who: Any = None, method: str = "POST"):
    data = None if body is None else json.dumps(body).encode()
    response = gateway.serve(who or caller(), method, URL + path, data)
    return response.status, json.loads(response.body)


def test_the_gateway_answers_only_its_own_origin() -> None:
    assert McpGateway.handles(f"{URL}/tools/list")
    assert McpGateway.handles("HTTP://MCP.WASMIND.INVALID./tools/list")
    assert not McpGateway.handles("http://mcp.wasmind.invalid.example.com/tools/list")
    assert not McpGateway.handles("http://127.0.0.1:8080/")


def test_routes_requests_and_refusals(tmp_path: Path) -> None:
    token = uuid.uuid4().hex
    servers = {"tools": McpServer(**{**server(token).__dict__, "tools": ("echo",)})}
    gateway = McpGateway(servers.get, working_dir=tmp_path, record_denial=str)
    try:
        assert answer(gateway, "/tools/list", who=caller("other"))[0] == 404
        assert answer(gateway, "/tools/list", method="GET")[0] == 404
        assert answer(gateway, "/resources/list")[0] == 404
        status, listing = answer(gateway, "/tools/list", {})
        assert status == 200 and [tool["name"] for tool in listing["tools"]] == ["echo"]
        assert listing["server"].startswith("'tools' (/venv/bin/python /servers/py_server.py tools")
        status, result = answer(gateway, "/tools/call", {"name": "echo", "arguments": {"text": "a"}})
        assert status == 200 and result["isError"] is False
        assert result["content"] == [{"type": "text", "text": "echo: a"}]
        status, refused = answer(gateway, "/tools/call", {"name": "environment", "arguments": {}})
        assert status == 502 and "offers no tool 'environment' to this actor" in refused["error"]
        status, bad = answer(gateway, "/tools/call", ["not", "an", "object"])
        assert status == 502 and "needs a JSON body with 'name' and 'arguments'" in bad["error"]
        assert processes_with(token)
        gateway.release("000000", "tools")
        assert wait_until_gone(token) == []
        assert gateway.running() == 0
    finally:
        gateway.close()
    status, closed = answer(gateway, "/tools/list", {})
    assert status == 502 and closed["error"] == "the runtime is shutting down"
