"""A tool actor that traps mid-call: the assistant gets an error result instead of waiting forever."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomli_w

from tests.actors_builtin.conftest import ROOT, assistant_settings, llm_requests, statuses
from wasmind_nb import Config, Wasmind
from wasmind_nb.llm import Reply, ToolCallSpec
from wasmind_sdk.messages import StatusWait, WaitingForUserInput

pytestmark = pytest.mark.anyio

TRAP_TOOL = Path(__file__).parents[1] / "delegation" / "actors" / "trap_tool"


def config() -> Config:
    actors = {
        "assistant": {"source": {"path": str(ROOT / "actors" / "assistant")}, "config": assistant_settings()},
        "trap_tool": {"source": {"path": str(TRAP_TOOL)}},
    }
    return Config.from_toml(tomli_w.dumps({"starting_actors": list(actors), "actors": actors}), base_dir=ROOT)


async def test_a_trapping_tool_fails_its_call_and_the_agent_carries_on() -> None:
    script = [
        Reply(tool_calls=[ToolCallSpec("explode", {}, id="boom")]),
        Reply("The tool is broken; stopping."),
    ]
    async with Wasmind(config(), llm=script, progress=False) as mind:
        await mind.send_user_message("000000", "use the tool")
        await mind.wait_idle(timeout=60)
        assert [(f.actor, f.restarted) for f in mind.faults] == [("trap_tool", False)]
        failed = [m.json() for m in mind.messages if m.message_type == "wasmind.common.actors.ActorFailed"]
        assert failed[0]["actor"] == "trap_tool" and "explode tool blew up" in failed[0]["error"]
        second = llm_requests(mind)[1]
        tool_message = next(m for m in second["messages"] if m["role"] == "tool")
        assert tool_message["tool_call_id"] == "boom"
        assert tool_message["content"].startswith("Error: the tool's actor 'trap_tool' failed")
        assert "tools" not in second  # the dead actor's tool is no longer offered
        assert statuses(mind)[-1] == StatusWait(WaitingForUserInput())
