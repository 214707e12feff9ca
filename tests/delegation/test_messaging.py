"""Fire-and-forget spawn then ``wait``; ``send_manager_message`` up and ``send_message`` down."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.actors_builtin.conftest import trail
from tests.delegation.conftest import (
    MAIN,
    ROOT_SCOPE,
    by_turn,
    network_config,
    notes_to,
    role,
    spawned_id,
    tool_results,
)
from wasmind_nb import Wasmind
from wasmind_nb.llm import Reply, Router, ToolCallSpec

pytestmark = pytest.mark.anyio


def answer(messages: list[dict[str, Any]]) -> Reply:
    agent_id = spawned_id(messages, "Helper")
    return Reply(
        tool_calls=[
            ToolCallSpec("send_message", {"agent_id": agent_id, "message": "Say Howdy.", "wait": "No"})
        ]
    )


SPAWN = {
    "agents_to_spawn": [
        {"agent_role": "Helper", "task_description": "Greet the user.", "agent_type": "Manager"}
    ],
    "wait": "false",
}


def script() -> Router:
    return Router(
        {
            f"marker:{MAIN}": by_turn(
                Reply(tool_calls=[ToolCallSpec("spawn_agent", SPAWN)]),
                Reply(tool_calls=[ToolCallSpec("wait", {"reason": "the helper's question"})]),
                answer,
                Reply(tool_calls=[ToolCallSpec("wait", {})]),
                Reply("The helper said Howdy."),
            ),
            role("Helper"): by_turn(
                Reply(
                    tool_calls=[
                        ToolCallSpec("send_manager_message", {"message": "Which greeting?", "wait": "TRUE"})
                    ]
                ),
                Reply(tool_calls=[ToolCallSpec("complete", {"summary": "Said Howdy.", "success": "yes"})]),
            ),
        }
    )


async def test_wait_and_messages_both_ways(tmp_path: Path) -> None:
    async with Wasmind(network_config(), progress=False, llm=script(), working_dir=tmp_path) as mind:
        await mind.send_user_message(ROOT_SCOPE, "Greet me through a helper.")
        await mind.wait_idle()
        assert mind.llm is not None and mind.llm.server is not None
        mind.llm.server.check()
        assert mind.faults == []

        helper = mind.scope_of("Helper")
        assert mind.agents[helper].parent == ROOT_SCOPE and mind.agents[helper].state == "exited"
        assert "spawn_agent" in mind.agents[helper].actors  # "Manager" means a SubManager here
        # up: the helper's question woke the waiting main manager; down: the answer woke the helper
        up = [text for sender, _, text in notes_to(mind, ROOT_SCOPE) if sender == helper]
        assert up[0] == f"Message from agent {helper}:\nWhich greeting?"
        assert "Said Howdy." in up[1]
        down = [text for sender, _, text in notes_to(mind, helper) if sender == ROOT_SCOPE]
        assert down[1] == f"Message from your manager ({ROOT_SCOPE}):\nSay Howdy."
        assert [(name, outcome) for name, outcome, _ in tool_results(mind, ROOT_SCOPE)] == [
            ("spawn_agent", "Ok"),
            ("wait", "Ok"),
            ("send_message", "Ok"),
            ("wait", "Ok"),
        ]
        assert trail(mind, ROOT_SCOPE).count("Wait:WaitingForSystemInput") >= 2
        assert "Wait:WaitingForAgentCoordination" in trail(mind, helper)
        assert trail(mind, helper)[-1] == "Done"
