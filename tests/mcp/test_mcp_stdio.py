"""Stdio MCP servers written with the SDK (``servers/py_server.py``) and by hand (``servers/raw_server.py``),
run in the command sandbox: tools, results, the sandbox's view, and every way a server can go wrong."""

from __future__ import annotations

import asyncio
import json
import os
import sysconfig
import uuid
from pathlib import Path

import pytest

from tests.actors_builtin.tools_helpers import call, send_call, statuses_for, tools_offered
from tests.mcp.conftest import (
    ROOT_SCOPE,
    SERVERS,
    mcp_config,
    mind,
    needs_sandbox,
    one_line,
    processes_with,
    python_grants,
    python_server,
    wait_until_gone,
)
from wasmind_nb.host.cgroup import pids_base

pytestmark = pytest.mark.anyio

SERVER = "'tools' (/venv/bin/python /servers/py_server.py"


@pytest.fixture(autouse=True)
def _sandbox() -> None:
    needs_sandbox()


def tools_actor(tmp_path: Path, *args: str, fs: list | None = None, **mcp: object) -> dict:
    work = [{"host": str(tmp_path), "guest": "/work", "read_only": False}]
    grants = python_grants() + (work if fs is None else fs)
    return {"mcp": python_server("py_server.py", *args, **mcp), "capabilities": {"fs": grants}}


async def test_the_servers_tools_are_announced_and_called(tmp_path: Path) -> None:
    async with mind(mcp_config({"tools": tools_actor(tmp_path)}), tmp_path) as m:
        offered = tools_offered(m, ROOT_SCOPE)
        assert {"echo", "environment", "fail", "die", "hang", "picture"} <= set(offered)
        assert offered["echo"]["properties"]["text"]["type"] == "string"
        assert offered["echo"]["required"] == ["text"]
        outcome = await call(m, ROOT_SCOPE, "echo", {"text": "hi"})
        assert not outcome.failed and outcome.content == "echo: hi"
        assert m.faults == []


async def test_the_tools_key_offers_only_the_named_tools(tmp_path: Path) -> None:
    config = mcp_config({"tools": tools_actor(tmp_path, tools=["echo"])})
    async with mind(config, tmp_path) as m:
        assert set(tools_offered(m, ROOT_SCOPE)) == {"echo"}


async def test_the_prefix_renames_the_tools_the_agent_sees(tmp_path: Path) -> None:
    config = mcp_config({"tools": tools_actor(tmp_path, tools=["echo"], prefix="py_")})
    async with mind(config, tmp_path) as m:
        assert set(tools_offered(m, ROOT_SCOPE)) == {"py_echo"}
        assert (await call(m, ROOT_SCOPE, "py_echo", {"text": "x"})).content == "echo: x"


async def test_a_tool_error_is_an_err_result_and_other_content_is_summarised(tmp_path: Path) -> None:
    async with mind(mcp_config({"tools": tools_actor(tmp_path)}), tmp_path) as m:
        failed = await call(m, ROOT_SCOPE, "fail", {"reason": "the disk is full"})
        assert failed.failed and "the disk is full" in failed.content
        picture = await call(m, ROOT_SCOPE, "picture", {})
        assert not picture.failed
        assert picture.content.splitlines()[0] == "a red dot"
        assert picture.content.splitlines()[1].startswith("[image: image/png, about ")
        await m.wait_idle()
        assert m.faults == []


async def test_the_server_sees_its_grants_and_nothing_of_the_host(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("WASMIND_TEST_HOST_SECRET", "s3cret-of-the-host")
    (tmp_path / "visible.txt").write_text("x")
    table = tools_actor(tmp_path, env={"SERVER_SETTING": "on"})
    table["capabilities"]["command_env"] = {"FROM_GRANT": "yes"}
    async with mind(mcp_config({"tools": table}), tmp_path) as m:
        env = json.loads((await call(m, ROOT_SCOPE, "environment", {})).content)
        view = (await call(m, ROOT_SCOPE, "whoami", {})).content
        network = (await call(m, ROOT_SCOPE, "connect", {"host": "127.0.0.1", "port": 9})).content
    env.pop("PYTHONPATH")
    assert env == {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
        "FROM_GRANT": "yes",
        "SERVER_SETTING": "on",
        "PWD": "/work",  # bwrap's --chdir sets it
    }
    assert "s3cret-of-the-host" not in json.dumps(env)
    assert view == "host=wasmind uid=1000 cwd=/work work=['visible.txt']"
    assert network.startswith("refused:")


async def test_env_from_host_passes_the_named_host_variables_only(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("WASMIND_TEST_TOKEN", "token-for-the-server")
    monkeypatch.setenv("WASMIND_TEST_OTHER", "not-for-the-server")
    table = tools_actor(tmp_path, env_from_host=["WASMIND_TEST_TOKEN"])
    async with mind(mcp_config({"tools": table}), tmp_path) as m:
        env = json.loads((await call(m, ROOT_SCOPE, "environment", {})).content)
    assert env["WASMIND_TEST_TOKEN"] == "token-for-the-server"
    assert "WASMIND_TEST_OTHER" not in env


async def test_env_from_host_naming_an_unset_variable_is_a_fault(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("WASMIND_TEST_UNSET", raising=False)
    table = tools_actor(tmp_path, env_from_host=["WASMIND_TEST_UNSET"])
    async with mind(mcp_config({"tools": table}), tmp_path) as m:
        await m.wait_idle()
        error = m.faults[0].error
    assert "environment variable WASMIND_TEST_UNSET (named by source.mcp.env_from_host) is not set" in error


async def test_a_server_that_crashes_at_start_is_a_fault_naming_it_and_the_rest_runs(tmp_path: Path) -> None:
    token = uuid.uuid4().hex
    config = mcp_config(
        {"tools": tools_actor(tmp_path, "crash", token), "good": tools_actor(tmp_path)},
        starting=["tools", "good"],
    )
    async with mind(config, tmp_path) as m:
        await m.wait_idle()
        assert [fault.actor for fault in m.faults] == ["tools"]
        error = one_line(m.faults[0].error)
        assert SERVER in error and "crash" in error and "failed to start" in error
        assert "the config file /etc/py_server.toml is missing" in error  # its stderr
        assert not (await call(m, ROOT_SCOPE, "echo", {"text": "still here"})).failed
        assert wait_until_gone(token) == []


async def test_a_server_with_no_tools_is_a_fault(tmp_path: Path) -> None:
    async with mind(mcp_config({"tools": tools_actor(tmp_path, "no-tools")}), tmp_path) as m:
        await m.wait_idle()
        assert len(m.faults) == 1
        assert "lists no tools" in m.faults[0].error and SERVER in m.faults[0].error


async def test_a_tools_key_naming_a_missing_tool_is_a_fault_and_its_server_is_stopped(tmp_path: Path) -> None:
    token = uuid.uuid4().hex
    config = mcp_config({"tools": tools_actor(tmp_path, "tools", token, tools=["echo", "nope"])})
    async with mind(config, tmp_path) as m:
        await m.wait_idle()
        assert "does not offer nope (named in source.mcp.tools)" in m.faults[0].error
        # the server was running when the actor failed: failing ends its session
        assert wait_until_gone(token) == []
        assert m.runtime.access.mcp.running() == 0


async def test_a_program_that_does_not_exist_is_a_fault(tmp_path: Path) -> None:
    config = mcp_config({"tools": {"mcp": {"command": "no-such-mcp-server"}}})
    async with mind(config, tmp_path) as m:
        await m.wait_idle()
        error = m.faults[0].error
    assert "MCP server 'tools' (no-such-mcp-server) cannot start: cannot run 'no-such-mcp-server'" in error


async def test_a_cwd_outside_the_grants_is_a_denial(tmp_path: Path) -> None:
    async with mind(mcp_config({"tools": tools_actor(tmp_path, cwd="/srv")}), tmp_path) as m:
        await m.wait_idle()
        assert "outside the folders actor 'tools' may use" in m.faults[0].error
        assert [d.capability for d in m.denials] == ["fs"]


async def test_a_server_that_hangs_gives_the_call_an_error_and_later_calls_work(tmp_path: Path) -> None:
    token = uuid.uuid4().hex
    config = mcp_config({"tools": tools_actor(tmp_path, "tools", token, call_timeout_s=1)})
    async with mind(config, tmp_path) as m:
        hung = await call(m, ROOT_SCOPE, "hang", {})
        assert hung.failed
        assert "did not answer tools/call of 'hang' within 1 s" in hung.content
        assert hung.content.startswith(f"MCP server {SERVER} tools {token})")
        assert (await call(m, ROOT_SCOPE, "echo", {"text": "after"})).content == "echo: after"
        await m.wait_idle()
        assert m.faults == []
    assert wait_until_gone(token) == []  # still in its hung call at shutdown: killed


async def test_a_server_that_dies_mid_call_gives_errors_and_the_rest_goes_idle(tmp_path: Path) -> None:
    token = uuid.uuid4().hex
    config = mcp_config({"tools": tools_actor(tmp_path, "tools", token)})
    async with mind(config, tmp_path) as m:
        died = await call(m, ROOT_SCOPE, "die", {})
        assert died.failed and f"MCP server {SERVER}" in died.content
        later = await call(m, ROOT_SCOPE, "echo", {"text": "anyone?"})
        assert later.failed and f"MCP server {SERVER}" in later.content
        await m.wait_idle()
        assert m.faults == []
        assert wait_until_gone(token) == []


async def test_a_malformed_result_is_an_error_naming_the_server(tmp_path: Path) -> None:
    table = tools_actor(tmp_path)
    table["mcp"] = python_server("raw_server.py", "bad-result")
    async with mind(mcp_config({"raw": table}), tmp_path) as m:
        assert set(tools_offered(m, ROOT_SCOPE)) == {"odd"}
        outcome = await call(m, ROOT_SCOPE, "odd", {})
        await m.wait_idle()
    assert outcome.failed
    assert "MCP server 'raw' (/venv/bin/python /servers/raw_server.py bad-result)" in outcome.content
    assert "malformed" in outcome.content


async def test_a_server_answering_noise_fails_to_start_within_its_timeout(tmp_path: Path) -> None:
    table = tools_actor(tmp_path)
    table["mcp"] = python_server("raw_server.py", "noise", start_timeout_s=2)
    async with mind(mcp_config({"raw": table}), tmp_path) as m:
        await m.wait_idle()
        assert len(m.faults) == 1
        assert "MCP server 'raw'" in m.faults[0].error


async def test_the_server_is_stopped_when_its_agent_exits_and_at_shutdown(tmp_path: Path) -> None:
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    config = mcp_config(
        {"a": tools_actor(tmp_path, "tools", first), "b": tools_actor(tmp_path, "tools", second)},
        starting=["b"],
    )
    async with mind(config, tmp_path) as m:
        scope = await m.spawn_agent(["a"], name="helper")
        assert not (await call(m, scope, "echo", {"text": "x"})).failed
        assert m.runtime.access.mcp.running() == 2
        await m.exit_agent(scope)
        await m.wait_idle()
        assert wait_until_gone(first) == []
        assert m.runtime.access.mcp.running() == 1
        assert not (await call(m, ROOT_SCOPE, "echo", {"text": "b lives"})).failed
    assert wait_until_gone(second) == []


async def test_a_servers_processes_are_bounded_and_killed_with_it(tmp_path: Path) -> None:
    """Its own pids cgroup, as a command has: the bound holds for root too, and nothing outlives it."""
    if pids_base() is None:
        pytest.skip("no writable pids cgroup here: only RLIMIT_NPROC bounds a server's processes")
    token = uuid.uuid4().hex
    table = tools_actor(tmp_path)
    table["capabilities"]["command_limits"] = {"processes": 8}
    async with mind(mcp_config({"tools": table}), tmp_path) as m:
        outcome = await call(m, ROOT_SCOPE, "fork", {"count": 50, "token": token})
        started = int(outcome.content.split()[-1])
        assert 0 < started < 8, outcome.content  # the server itself (bwrap, python) counts too
        assert processes_with(token)  # the children run detached (their own sessions) ...
    assert wait_until_gone(token) == []  # ... and die with the server's cgroup at shutdown


@pytest.mark.parametrize("instance", ["isolated", "pooled"])
async def test_each_agent_has_its_own_server_in_either_instance_mode(tmp_path: Path, instance: str) -> None:
    table = {**tools_actor(tmp_path), "instance": instance}
    async with mind(mcp_config({"tools": table}), tmp_path) as m:
        scopes = [ROOT_SCOPE, *[await m.spawn_agent(["tools"], name=f"a{n}") for n in range(2)]]
        outcomes = [await call(m, scope, "echo", {"text": scope}) for scope in scopes]
        assert m.runtime.access.mcp.running() == 3
        assert m.faults == []
    assert [o.content for o in outcomes] == [f"echo: {scope}" for scope in scopes]


async def test_unsandboxed_a_server_runs_on_the_host_with_a_cleared_environment(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("WASMIND_TEST_HOST_SECRET", "s3cret-of-the-host")
    server = python_server("py_server.py")
    server["args"] = [str(SERVERS / "py_server.py")]
    server["env"] = {"PYTHONPATH": sysconfig.get_paths()["purelib"]}
    table = {"mcp": server, "capabilities": {"fs": python_grants()}}
    config = mcp_config({"tools": table}, runtime={"unsandboxed_commands": True})
    async with mind(config, tmp_path) as m:
        env = json.loads((await call(m, ROOT_SCOPE, "environment", {})).content)
        assert m.faults == []
    assert "WASMIND_TEST_HOST_SECRET" not in env
    assert env["HOME"] != os.environ.get("HOME") and env["PATH"] == "/usr/local/bin:/usr/bin:/bin"


async def test_a_call_still_hanging_at_shutdown_ends_with_an_error_and_its_server(tmp_path: Path) -> None:
    token = uuid.uuid4().hex
    config = mcp_config({"tools": tools_actor(tmp_path, "tools", token, call_timeout_s=600)})
    async with mind(config, tmp_path) as m:
        call_id = await send_call(m, ROOT_SCOPE, "hang", {})
        await asyncio.sleep(1)  # the call reaches the server
        await m.shutdown(timeout=1)
        statuses = statuses_for(m, call_id)
    assert wait_until_gone(token) == []
    assert len(statuses) == 1 and "MCP server 'tools'" in statuses[0].result.error.content
