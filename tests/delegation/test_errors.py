"""Bad input gets clear tool errors; a worker that traps is reported and the rest keeps working."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.delegation.conftest import (
    MAIN,
    ROOT_SCOPE,
    by_turn,
    network_config,
    notes_to,
    role,
    spawn_grant,
    spawned_id,
    tool_results,
)
from wasmind_nb import Wasmind
from wasmind_nb.llm import Reply, Router, ToolCallSpec

pytestmark = pytest.mark.anyio

WORKER = ["worker_assistant", "complete", "send_manager_message", "trap_tool"]


def agents(*specs: tuple[str, str], wait: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "agents_to_spawn": [
            {"agent_role": r, "task_description": "Do it.", "agent_type": t} for r, t in specs
        ]
    }
    if wait is not None:
        out["wait"] = wait
    return out


def message_finisher(messages: list[dict[str, Any]]) -> Reply:
    agent_id = spawned_id(messages, "Finisher")
    return Reply(
        tool_calls=[ToolCallSpec("send_message", {"agent_id": agent_id, "message": "Anything else?"})]
    )


def bomber(request: dict) -> Reply:
    """Calls the trapping tool once; its call comes back as an error result, and then it only talks."""
    if any(message.get("role") == "tool" for message in request["messages"]):
        return Reply("The explode tool is broken.")
    return Reply(tool_calls=[ToolCallSpec("explode", {})])


def script() -> Router:
    return Router(
        {
            f"marker:{MAIN}": by_turn(
                Reply(
                    tool_calls=[
                        ToolCallSpec("spawn_agent", agents(("Wizard", "Wizard"))),
                        ToolCallSpec("spawn_agent", agents(("Helper", "Worker"), wait="maybe")),
                        ToolCallSpec("spawn_agent", {"agents_to_spawn": []}),
                        ToolCallSpec("send_message", {"agent_id": "zzzzzz", "message": "hi"}),
                        ToolCallSpec("send_message", {"agent_id": ROOT_SCOPE, "message": "hi"}),
                    ]
                ),
                Reply(
                    tool_calls=[
                        ToolCallSpec(
                            "spawn_agent", agents(("Bomber", "Worker"), ("Finisher", "worker"), wait="True")
                        )
                    ]
                ),
                message_finisher,
                Reply("Bomber crashed; Finisher gave up."),
            ),
            role("Bomber"): bomber,
            role("Finisher"): [
                Reply(
                    tool_calls=[
                        ToolCallSpec("complete", {"summary": "Could not do it: ünïcödé 🚫", "success": "no"}),
                        ToolCallSpec("complete", {"summary": "again"}),
                    ]
                )
            ],
        }
    )


async def test_bad_input_and_a_trapping_worker(tmp_path: Path) -> None:
    overrides = {"spawn_agent": {"config": {"agent_types": {"Worker": WORKER}}, **spawn_grant("trap_tool")}}
    config = network_config(actors={"trap_tool": {}}, overrides=overrides)
    async with Wasmind(config, progress=False, llm=script(), working_dir=tmp_path) as mind:
        await mind.send_user_message(ROOT_SCOPE, "Try some things.")
        await mind.wait_idle()
        assert mind.llm is not None and mind.llm.server is not None
        mind.llm.server.check()

        results = tool_results(mind, ROOT_SCOPE)
        assert [outcome for _, outcome, _ in results] == ["Err"] * 5 + ["Ok", "Err"]
        texts = [content for _, _, content in results]
        assert "unknown agent_type 'Wizard'" in texts[0] and "Worker, SubManager" in texts[0]
        assert "'wait' must be true or false" in texts[1]
        assert "non-empty array" in texts[2]
        assert "'zzzzzz' is not one of your agents" in texts[3]
        assert "cannot send a message to yourself" in texts[4]
        assert "has already completed its task and exited" in texts[6]
        assert set(mind.graph.successors(ROOT_SCOPE)) == {mind.scope_of("Bomber"), mind.scope_of("Finisher")}

        bomber, finisher = mind.scope_of("Bomber"), mind.scope_of("Finisher")
        # the trap: one faulted actor, reported to the manager in spawn_agent's wake-up note
        assert [(f.scope, f.actor) for f in mind.faults] == [(bomber, "trap_tool")]
        wake = [
            text
            for sender, kind, text in notes_to(mind, ROOT_SCOPE)
            if (sender, kind) == (ROOT_SCOPE, "system")
        ]
        assert len(wake) == 1 and f"Agent {bomber} (Bomber) failed" in wake[0]
        # complete twice: the second call is refused; the unicode summary reached the manager intact
        assert [(n, o) for n, o, _ in tool_results(mind, finisher)] == [
            ("complete", "Ok"),
            ("complete", "Err"),
        ]
        assert "cannot complete twice" in tool_results(mind, finisher)[1][2]
        report = [text for sender, _, text in notes_to(mind, ROOT_SCOPE) if sender == finisher]
        assert report == [f"Agent {finisher} FAILED its task. Summary:\nCould not do it: ünïcödé 🚫"]
        assert mind.agents[finisher].state == "exited"
        assert mind.agents[ROOT_SCOPE].state == "running"
