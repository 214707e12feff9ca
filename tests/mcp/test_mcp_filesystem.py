"""A real third-party MCP server, @modelcontextprotocol/server-filesystem from npm, in the command sandbox,
used by the built-in assistant on the scripted embedded model."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.actors_builtin.conftest import assistant_settings, llm_requests, say
from tests.actors_builtin.tools_helpers import call, tools_offered
from tests.mcp.conftest import (
    FILESYSTEM_PACKAGE,
    ROOT_SCOPE,
    SERVERS,
    mcp_config,
    mind,
    needs_filesystem_server,
)
from wasmind_nb.config import Config
from wasmind_nb.errors import ApprovalPending
from wasmind_nb.llm import Reply, ToolCallSpec
from wasmind_sdk.messages import ToolCallDone, ToolCallStatusUpdate, decode

pytestmark = pytest.mark.anyio

SERVER_JS = f"/mcp/{(FILESYSTEM_PACKAGE / 'dist' / 'index.js').as_posix()}"


def files_actor(tmp_path: Path) -> dict:
    """The server sees its package read-only at /mcp and the run's folder, writable, at /work."""
    fs = [
        {"host": str(SERVERS), "guest": "/mcp"},
        {"host": str(tmp_path), "guest": "/work", "read_only": False},
    ]
    return {"mcp": {"command": "node", "args": [SERVER_JS, "/work"]}, "capabilities": {"fs": fs}}


@pytest.fixture(autouse=True)
def _server() -> None:
    needs_filesystem_server()


async def test_the_assistant_writes_and_reads_a_file_through_the_server(tmp_path: Path) -> None:
    script = [
        Reply(
            "Writing it.",
            tool_calls=[
                ToolCallSpec("write_file", {"path": "/work/plan.md", "content": "# Plan\n1. ship\n"}, id="w")
            ],
        ),
        Reply(tool_calls=[ToolCallSpec("read_text_file", {"path": "/work/plan.md"}, id="r")]),
        Reply(tool_calls=[ToolCallSpec("read_text_file", {"path": "/etc/passwd"}, id="x")]),
        Reply("plan.md is written; it has one step."),
    ]
    assistant = {"source": {"builtin": "assistant"}, "config": assistant_settings()}
    config = mcp_config({"assistant": assistant, "files": files_actor(tmp_path)})
    async with mind(config, tmp_path, llm=script) as m:
        await say(m, "Write a one-step plan to plan.md.")
        assert m.faults == []
        updates = [
            decode(ToolCallStatusUpdate, e.payload)
            for e in m.messages
            if e.message_type == ToolCallStatusUpdate.MESSAGE_TYPE
        ]
        results = {u.id: u.status.result for u in updates if isinstance(u.status, ToolCallDone)}
        requests = llm_requests(m)
    assert (tmp_path / "plan.md").read_text() == "# Plan\n1. ship\n"  # the tool's real effect
    assert results["w"].value.content == "Successfully wrote to /work/plan.md"
    assert results["r"].value.content == "# Plan\n1. ship\n"
    assert "Access denied - path outside allowed directories" in results["x"].error.content
    offered = {tool["function"]["name"] for tool in requests[0]["tools"]}
    assert {"write_file", "read_text_file", "list_directory", "edit_file"} <= offered
    tool_messages = [msg for msg in requests[-1]["messages"] if msg["role"] == "tool"]
    assert [msg["tool_call_id"] for msg in tool_messages] == ["w", "r", "x"]
    assert "# Plan" in tool_messages[1]["content"]


async def test_the_servers_schemas_pass_through_and_it_sees_only_its_folder(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "sub").mkdir()
    async with mind(mcp_config({"files": files_actor(tmp_path)}), tmp_path) as m:
        offered = tools_offered(m, ROOT_SCOPE)
        listing = await call(m, ROOT_SCOPE, "list_directory", {"path": "/work"})
        allowed = await call(m, ROOT_SCOPE, "list_allowed_directories", {})
    assert offered["write_file"]["required"] == ["path", "content"]
    assert offered["write_file"]["properties"]["content"]["type"] == "string"
    assert not listing.failed
    assert sorted(listing.content.splitlines()) == ["[DIR] sub", "[FILE] a.txt"]
    assert allowed.content == "Allowed directories:\n/work"


async def test_the_config_pages_example_runs_as_written(tmp_path: Path) -> None:
    """docs/config.md's MCP example, with ./mcp beside the config being the installed test package."""
    page = (Path(__file__).parents[2] / "docs" / "config.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```toml\n(.*?)```", page, flags=re.S) if "[actors.files]" in b)
    files_only = block.split("[actors.clock]")[0]
    (tmp_path / "mcp").symlink_to(SERVERS)
    config = Config.from_toml('starting_actors = ["files"]\n' + files_only, base_dir=tmp_path)
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "hello.txt").write_text("hello")
    async with mind(config, tmp_path / "work") as m:
        assert {"fs_read_text_file", "fs_write_file"} <= set(tools_offered(m, ROOT_SCOPE))
        read = await call(m, ROOT_SCOPE, "fs_read_text_file", {"path": "/work/hello.txt"})
        assert m.faults == []
    assert read.content == "hello"


async def test_approval_holds_a_servers_tool_call_until_a_person_decides(tmp_path: Path) -> None:
    write = {"path": "/work/held.txt", "content": "approved"}
    script = [Reply(tool_calls=[ToolCallSpec("write_file", write, id="w")]), "Done."]
    assistant = {"source": {"builtin": "assistant"}, "config": assistant_settings()}
    files = {**files_actor(tmp_path), "approval": ["write_file"]}
    async with mind(mcp_config({"assistant": assistant, "files": files}), tmp_path, llm=script) as m:
        await m.send_user_message(ROOT_SCOPE, "Write held.txt")
        with pytest.raises(ApprovalPending):
            await m.wait_idle()
        (pending,) = m.pending_approvals
        assert (pending.actor, pending.tool, pending.arguments) == ("files", "write_file", write)
        assert not (tmp_path / "held.txt").exists()
        await m.approve(pending.id)
        await m.wait_idle()
    assert (tmp_path / "held.txt").read_text() == "approved"
