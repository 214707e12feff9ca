"""The view's pause / resume / step controls against a real Wasmind (the Python side of stepper.js)."""

from __future__ import annotations

import asyncio

import pytest

from wasmind_nb import Wasmind
from wasmind_nb.notebook.widget import AgentView

pytestmark = pytest.mark.anyio

ECHO = """
starting_actors = ["echo"]
[actors.echo]
source = { path = "echo" }
"""


async def until(view: AgentView, check) -> dict:
    """Wait (on the loop, which delivers the runtime's events) until ``check(view.bus)`` holds."""
    for _ in range(2000):
        view.flush()
        if check(view.bus):
            return view.bus
        await asyncio.sleep(0.005)
    raise AssertionError(f"the view's bus state never matched: {view.bus}")


async def test_buttons_pause_step_and_resume_the_bus(make_config) -> None:
    async with Wasmind(make_config(ECHO), progress=False) as mind:
        await mind.wait_idle()
        view = AgentView(mind)
        assert view.bus == {
            "available": True,
            "paused": False,
            "held": 0,
            "seq": -1,
            "at": "",
            "reason": "",
            "stepping": False,
            "error": "",
        }
        view._answer({"kind": "bus", "action": "pause"})
        assert mind.paused and view.bus["paused"] and view.bus["reason"] == "paused"
        ping = await mind.broadcast("demo.Ping", {})
        bus = await until(view, lambda b: b["held"] == 1)
        assert (
            bus["at"] == f"#{ping.seq} demo.Ping from wasmind__context in 000000" and bus["seq"] == ping.seq
        )

        view._answer({"kind": "bus", "action": "step", "n": 1})
        bus = await until(view, lambda b: not b["stepping"] and "demo.Pong" in b["at"])
        assert bus["held"] == 1 and bus["error"] == ""
        view._answer({"kind": "bus", "action": "resume"})
        bus = await until(view, lambda b: not b["paused"])
        assert bus["held"] == 0
        await mind.wait_idle()
        assert [m.message_type for m in mind.messages[-2:]] == ["demo.Ping", "demo.Pong"]


async def test_a_step_while_running_shows_the_error_in_the_bar(make_config) -> None:
    async with Wasmind(make_config(ECHO), progress=False) as mind:
        view = AgentView(mind)
        view._answer({"kind": "bus", "action": "step"})
        bus = await until(view, lambda b: not b["stepping"])
        assert "step() needs a paused bus" in bus["error"] and not bus["paused"]
        view._answer({"kind": "bus", "action": "pause"})
        assert view.bus["error"] == "" and view.bus["paused"]  # the next action clears the error
        view._answer({"kind": "bus", "action": "resume"})


def test_a_source_without_controls_shows_none() -> None:
    view = AgentView()
    assert view.bus["available"] is False
    view._answer({"kind": "bus", "action": "pause"})  # ignored, nothing raised
    assert view.bus["available"] is False
