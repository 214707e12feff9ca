"""Stopping is bounded and complete: a failed start and a shutdown leave no thread, command or server."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest

from tests.helpers import payloads
from wasmind_nb import Wasmind
from wasmind_nb.errors import SpawnError
from wasmind_nb.host.engine import shared_engine
from wasmind_nb.runtime.events import AgentEvent

pytestmark = pytest.mark.anyio


def workers() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("wasmind-worker") and t.is_alive()]


def listening(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((parts.hostname, parts.port)) == 0


async def test_a_failed_start_stops_everything_it_started(make_config, tmp_path) -> None:
    config = make_config(
        'starting_actors = ["echo", "bad"]\n[actors.echo]\nsource = { path = "echo" }\n'
        '[actors.bad]\nsource = { path = "echo" }\nconfig = { trap_in_constructor = true }\n'
    )
    before = set(workers())
    mind = Wasmind(config, working_dir=tmp_path, progress=False)
    with pytest.raises(SpawnError, match="constructor trap requested"):
        await mind.start()
    assert mind.llm is not None and not listening(mind.llm.base_url), "the embedded LLM kept running"
    assert set(workers()) <= before, "worker threads kept running"
    assert not mind.running
    assert shared_engine()._ticker_users == 0, "the epoch ticker kept running"
    await mind.shutdown()  # still safe to call


async def test_shutdown_kills_a_running_command_and_returns(make_config, tmp_path) -> None:
    config = make_config(
        'starting_actors = ["probe"]\n[actors.probe]\nsource = { path = "probe" }\n'
        '[actors.probe.capabilities]\ncommands = ["bash"]\n'
        'fs = [{ host = "$WORKDIR", guest = "/work", read_only = false }]\n'
    )
    mind = Wasmind(config, working_dir=tmp_path, progress=False)
    await mind.start()
    script = "touch started; sleep 60; touch late"
    await mind.broadcast("probe.Command", {"program": "bash", "args": ["-c", script], "timeout_s": 120})
    while not (tmp_path / "started").exists():
        await asyncio.sleep(0.05)
    started = time.monotonic()
    await mind.shutdown(timeout=1)
    assert time.monotonic() - started < 30, "shutdown waited for the command, which takes 60 s"
    assert len(mind.runtime.access.commands) == 0
    assert not workers(), "worker threads kept running"
    (result,) = payloads(mind, "probe.CommandResult")
    assert result["exit_code"] != 0  # killed, not finished
    assert not (tmp_path / "late").exists()


async def test_stop_watchers_run_once_after_the_last_events_and_a_failing_one_breaks_nothing(
    make_config, tmp_path
) -> None:
    config = make_config('starting_actors = ["echo"]\n[actors.echo]\nsource = { path = "echo" }\n')
    mind = Wasmind(config, working_dir=tmp_path, progress=False)
    await mind.start()
    seen: list[str] = []
    events: list[object] = []
    mind.observe(events.extend)

    def failing() -> None:
        raise RuntimeError("a broken watcher")

    mind.when_stopped(failing)

    def exits() -> list[str]:
        return [e.scope for e in events if isinstance(e, AgentEvent) and e.change == "exited"]

    mind.when_stopped(lambda: seen.append(f"stopped, exited: {exits()}"))
    removed = mind.when_stopped(lambda: seen.append("removed"))
    removed()
    await mind.shutdown()
    await mind.shutdown()  # idempotent: the watchers ran once
    assert seen == ["stopped, exited: ['000000']"]  # the root's exit reached the observers first
    assert not mind.running
