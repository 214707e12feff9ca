"""Host capabilities as a guest sees them: command, http, host-info, agent, filesystem preopens."""

from __future__ import annotations

import os
import platform
from collections.abc import AsyncIterator

import pytest

from tests.helpers import payloads
from tests.host.loopback import LoopbackServer
from wasmind_nb import Wasmind

pytestmark = pytest.mark.anyio


def probe_config(make_config, capabilities: str = ""):
    text = 'starting_actors = ["probe"]\n[actors.probe]\nsource = { path = "probe" }\n'
    if capabilities:
        text += f"[actors.probe.capabilities]\n{capabilities}\n"
    return make_config(text)


COMMANDS = """commands = ["bash", "pwd", "env", "sleep"]
fs = [{ host = "$WORKDIR", guest = "/work", read_only = false }]"""


@pytest.fixture
async def probe(make_config, tmp_path) -> AsyncIterator[Wasmind]:
    async with Wasmind(probe_config(make_config, COMMANDS), working_dir=tmp_path, progress=False) as mind:
        yield mind


async def ask(mind: Wasmind, message_type: str, request: dict) -> dict:
    await mind.broadcast(message_type, request)
    await mind.wait_idle()
    return payloads(mind, message_type + "Result")[-1]


async def test_command_runs_in_the_working_directory_with_args_and_env(probe, tmp_path) -> None:
    (tmp_path / "sub").mkdir()
    out = await ask(
        probe,
        "probe.Command",
        {
            "program": "bash",
            "args": ["-c", 'pwd; echo "$X $1" > out.txt', "_", "arg"],
            "env": {"X": "from-env"},
        },
    )
    assert out["ok"] and out["exit_code"] == 0
    assert out["stdout"] == "/work\n"  # the working directory, at the path the actor sees it
    assert (tmp_path / "out.txt").read_text() == "from-env arg\n"
    out = await ask(probe, "probe.Command", {"program": "pwd", "cwd": "sub"})
    assert out["stdout"].strip() == "/work/sub"


async def test_the_hosts_environment_never_reaches_a_command(probe, monkeypatch) -> None:
    monkeypatch.setenv("WASMIND_SECRET_FOR_TEST", "visible")
    shown = await ask(probe, "probe.Command", {"program": "env"})
    assert "WASMIND_SECRET_FOR_TEST" not in shown["stdout"] and "PATH=" in shown["stdout"]
    cleared = await ask(probe, "probe.Command", {"program": "env", "env_clear": True, "env": {"ONLY": "me"}})
    assert set(cleared["stdout"].split()) - {"PWD=/work"} == {"ONLY=me"}  # bwrap sets PWD


async def test_command_status_truncation_timeout_and_failure_to_start(probe) -> None:
    out = await ask(probe, "probe.Command", {"program": "bash", "args": ["-c", "echo err >&2; exit 3"]})
    assert (out["exit_code"], out["stderr"]) == (3, "err\n")
    out = await ask(probe, "probe.Command", {"program": "bash", "args": ["-c", "kill -TERM $$"]})
    assert out["exit_code"] is None and out["signal"] == 15
    out = await ask(
        probe,
        "probe.Command",
        {
            "program": "bash",
            "args": ["-c", "yes | head -c 5000; yes | head -c 300000 >&2"],
            "max_output_bytes": 1000,
        },
    )
    assert len(out["stdout"]) == 1000 and out["stdout_truncated"] and out["stderr_truncated"]
    out = await ask(probe, "probe.Command", {"program": "sleep", "args": ["30"], "timeout_s": 1})
    assert out["timed_out"] and out["exit_code"] is None
    out = await ask(probe, "probe.Command", {"program": "no-such-program-anywhere"})
    assert not out["ok"] and "no-such-program-anywhere" in out["error"]
    assert probe.denials[-1].capability == "commands"


async def test_commands_outside_the_allow_list_are_refused(make_config, tmp_path) -> None:
    config = probe_config(make_config, 'commands = ["echo"]')
    async with Wasmind(config, working_dir=tmp_path, progress=False) as mind:
        assert (await ask(mind, "probe.Command", {"program": "echo", "args": ["hi"]}))["stdout"] == "hi\n"
        refused = await ask(mind, "probe.Command", {"program": "rm", "args": ["-rf", str(tmp_path)]})
        assert (
            not refused["ok"] and "probe" in refused["error"] and "capabilities.commands" in refused["error"]
        )
        assert tmp_path.exists()
        assert [(d.capability, d.target) for d in mind.denials] == [("commands", "rm")]


async def test_http_round_trip_and_retries(make_config, tmp_path) -> None:
    server = LoopbackServer()
    config = probe_config(make_config, f'http_hosts = ["127.0.0.1:{server.port}"]')
    statuses = iter([503, 503, 200])
    server.respond = lambda req: (next(statuses), [("X-Reply", "yes")], b"body:" + req.body)
    request = {
        "method": "POST",
        "url": server.url("/p?q=1"),
        "body": "hello",
        "headers": {"X-Test": "1"},
        "max_attempts": 3,
        "base_delay_ms": 1,
        "retry_on": [503],
    }
    try:
        async with Wasmind(config, working_dir=tmp_path, progress=False) as probe:
            out = await ask(probe, "probe.Http", request)
        assert out["ok"] and out["status"] == 200 and out["body"] == "body:hello"
        assert ["x-reply", "yes"] in out["headers"]
        assert len(server.requests) == 3 and server.requests[0].header("X-Test") == "1"
        assert server.requests[0].target == "/p?q=1"
    finally:
        server.close()


async def test_http_errors_reach_the_guest_as_values(probe) -> None:
    out = await ask(probe, "probe.Http", {"url": "not a url"})
    assert not out["ok"] and out["error"].startswith("InvalidUrl")
    out = await ask(
        probe, "probe.Http", {"url": "http://127.0.0.1:1/", "max_attempts": 2, "base_delay_ms": 1}
    )
    assert not out["ok"] and out["error"].startswith("NetworkError")


async def test_http_hosts_outside_the_allow_list_are_refused(make_config, tmp_path) -> None:
    server = LoopbackServer()
    try:
        config = probe_config(make_config, 'http_hosts = ["localhost"]')
        async with Wasmind(config, working_dir=tmp_path, progress=False) as mind:
            out = await ask(mind, "probe.Http", {"url": server.url("/")})
            assert not out["ok"] and "not allowed" in out["error"]
            assert server.requests == []
    finally:
        server.close()


async def test_host_info_and_parent_lookups(probe, tmp_path) -> None:
    info = await ask(probe, "probe.HostInfo", {})
    assert info == {"cwd": str(tmp_path), "os": platform.system().lower(), "arch": platform.machine()}
    child = await probe.spawn_agent(["probe"], name="child")
    assert (await ask(probe, "probe.ParentOf", {"scope": child}))["parent"] == "000000"
    assert (await ask(probe, "probe.ParentOf", {"scope": "000000"}))["parent"] is None
    assert (await ask(probe, "probe.ParentOf", {"scope": "nosuch"}))["parent"] is None


async def test_filesystem_is_denied_unless_preopened(make_config, tmp_path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "note.txt").write_text("inside")
    secret = tmp_path / "secret.txt"
    secret.write_text("outside")
    async with Wasmind(probe_config(make_config), working_dir=tmp_path, progress=False) as mind:
        denied = await ask(mind, "probe.ReadFile", {"path": str(secret)})
        assert not denied["ok"]
    caps = f'fs = [{{ host = "{tmp_path / "data"}", guest = "/data", read_only = true }}]'
    async with Wasmind(probe_config(make_config, caps), working_dir=tmp_path, progress=False) as mind:
        assert await ask(mind, "probe.ReadFile", {"path": "/data/note.txt"}) == {"ok": True, "text": "inside"}
        assert not (await ask(mind, "probe.ReadFile", {"path": "/data/../secret.txt"}))["ok"]
        assert not (await ask(mind, "probe.ReadFile", {"path": str(secret)}))["ok"]
    assert os.access(secret, os.R_OK)
