"""check_health: an analyzer reviews a worker every few steps; flag_issue pauses it, report_normal not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.actors_builtin.conftest import fake_tools, publish, statuses, tool_done
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
from wasmind_nb.config import Config
from wasmind_nb.llm import Reply, Router, ToolCallSpec
from wasmind_sdk.messages import (
    AddMessage,
    ExecuteToolCall,
    Request,
    StatusWait,
    SystemMessage,
    WaitingForSystemInput,
    decode,
)

pytestmark = pytest.mark.anyio

WORKER = ["worker_assistant", "file_interaction", "complete", "send_manager_message", "check_health"]
TEST_MODEL = {"model_name": "test-model", "max_attempts": 2, "base_delay_ms": 1, "system_context": False}
SPAWN = {
    "agents_to_spawn": [
        {"agent_role": "Builder", "task_description": "Read notes.txt.", "agent_type": "Worker"}
    ]
}
RELEASE = "Let the worker go on."


def config() -> Config:
    worker = {**TEST_MODEL, "require_tool_call": False, "wake_on_system_input": True}
    worker["system_prompt"] = {"defaults": {"identity": "You are a worker."}}
    return network_config(
        actors={"check_health": {"source": {"builtin": "check_health"}, "config": {"interval": 2}}},
        overrides={
            "spawn_agent": {"config": {"agent_types": {"Worker": WORKER}}, **spawn_grant()},
            "worker_assistant": {"config": worker},
            "health_analyzer": {"config": TEST_MODEL},
        },
    )


def main_step(request: dict[str, Any]) -> Reply:
    messages = request["messages"]
    if not any(m["role"] == "tool" for m in messages):
        return Reply(tool_calls=[ToolCallSpec("spawn_agent", SPAWN)])
    if messages[-1]["role"] == "user" and messages[-1]["content"] == RELEASE:
        builder = spawned_id(messages, "Builder")
        return Reply(tool_calls=[ToolCallSpec("send_message", {"agent_id": builder, "message": "Carry on."})])
    return Reply("Noted.")


def script(verdict: ToolCallSpec) -> Router:
    return Router(
        {
            f"marker:{MAIN}": main_step,
            role("Builder"): by_turn(
                Reply(tool_calls=[ToolCallSpec("read_file", {"path": "notes.txt"})]),
                Reply("Read it."),
                Reply(tool_calls=[ToolCallSpec("complete", {"summary": "Read notes.txt."})]),
            ),
            role("Health analyzer"): by_turn(Reply(tool_calls=[verdict])),
        }
    )


def requests_of(mind: Wasmind, scope: str) -> int:
    return sum(e.message_type == Request.MESSAGE_TYPE and e.from_scope == scope for e in mind.messages)


async def nudge(mind: Wasmind, scope: str) -> None:
    """A system message to the agent from its own scope: it wakes an idle worker, not a paused one."""
    await mind.broadcast(AddMessage.MESSAGE_TYPE, AddMessage(scope, SystemMessage("Any news?")), scope=scope)
    await mind.wait_idle()


async def run_until_verdict(mind: Wasmind) -> tuple[str, str]:
    await mind.send_user_message(ROOT_SCOPE, "Have notes.txt read.")
    await mind.wait_idle()
    assert mind.faults == []
    builder, analyzer = mind.scope_of("Builder"), mind.scope_of("Health analyzer")
    assert mind.agents[analyzer].parent == builder and mind.agents[analyzer].state == "exited"
    assert sorted(mind.agents[analyzer].actors) == ["flag_issue", "health_analyzer", "report_normal"]
    # the analyzer's task is the worker's recent history
    task = notes_to(mind, analyzer)[0][2]
    assert "read_file" in task and "notes.txt" in task and "Read it." in task
    return builder, analyzer


async def test_flag_issue_pauses_worker_until_manager_answers(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    verdict = ToolCallSpec("flag_issue", {"reason": "It reads the same file forever."})
    async with Wasmind(config(), progress=False, llm=script(verdict), working_dir=tmp_path) as mind:
        builder, analyzer = await run_until_verdict(mind)
        assert [(n, o) for n, o, _ in tool_results(mind, analyzer)] == [("flag_issue", "Ok")]
        alerts = [text for sender, _, text in notes_to(mind, ROOT_SCOPE) if sender == builder]
        assert len(alerts) == 1
        assert f"flagged a problem with agent {builder}" in alerts[0]
        assert "It reads the same file forever." in alerts[0]

        # paused: a message that would wake an idle worker does not make it call the model
        before = requests_of(mind, builder)
        await nudge(mind, builder)
        assert requests_of(mind, builder) == before
        last = statuses(mind, builder)[-1]
        assert isinstance(last, StatusWait) and last.reason == WaitingForSystemInput(ROOT_SCOPE, True)

        # the manager's message releases it
        await mind.send_user_message(ROOT_SCOPE, RELEASE)
        await mind.wait_idle()
        assert mind.faults == []
        assert requests_of(mind, builder) == before + 1
        assert mind.agents[builder].state == "exited"
        assert [n for n, _, _ in tool_results(mind, builder)] == ["read_file", "complete"]
        assert mind.llm is not None and mind.llm.server is not None
        mind.llm.server.check()


async def test_report_normal_leaves_worker_running(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    async with Wasmind(
        config(), progress=False, llm=script(ToolCallSpec("report_normal", {})), working_dir=tmp_path
    ) as mind:
        builder, analyzer = await run_until_verdict(mind)
        assert [(n, o) for n, o, _ in tool_results(mind, analyzer)] == [("report_normal", "Ok")]
        assert [text for sender, _, text in notes_to(mind, ROOT_SCOPE) if sender == builder] == []

        # not paused: the same message wakes it, and it finishes its task
        await nudge(mind, builder)
        assert mind.faults == []
        assert mind.agents[builder].state == "exited"
        assert [n for n, _, _ in tool_results(mind, builder)] == ["read_file", "complete"]


async def test_flag_issue_pauses_worker_waiting_for_tools_at_once(tmp_path: Path) -> None:
    router = Router(
        {
            f"marker:{MAIN}": main_step,
            role("Builder"): by_turn(
                Reply("Ready."),
                Reply(tool_calls=[ToolCallSpec("slow_step", {})]),
                Reply(tool_calls=[ToolCallSpec("complete", {"summary": "Done slowly."})]),
            ),
            role("Health analyzer"): by_turn(
                Reply(tool_calls=[ToolCallSpec("flag_issue", {"reason": "Slow."})])
            ),
        }
    )
    async with Wasmind(config(), progress=False, llm=router, working_dir=tmp_path) as mind:
        await mind.send_user_message(ROOT_SCOPE, "Do it slowly.")
        await mind.wait_idle()
        builder = mind.scope_of("Builder")
        await publish(mind, fake_tools("slow_step"), scope=builder)  # a tool that answers when told
        await nudge(mind, builder)  # second reply: calls slow_step; the analyzer flags meanwhile
        assert mind.faults == []
        last = statuses(mind, builder)[-1]  # paused while its tool is still running
        assert isinstance(last, StatusWait) and last.reason == WaitingForSystemInput(ROOT_SCOPE, True)

        (call,) = [
            decode(ExecuteToolCall, e.payload)
            for e in mind.messages
            if e.message_type == ExecuteToolCall.MESSAGE_TYPE and e.from_scope == builder
        ]
        before = requests_of(mind, builder)
        await publish(mind, tool_done(call.tool_call.id, call.originating_request_id, "ok"), scope=builder)
        await mind.wait_idle()
        assert requests_of(mind, builder) == before  # the result is in, but it stays paused

        await mind.send_user_message(ROOT_SCOPE, RELEASE)
        await mind.wait_idle()
        assert mind.faults == []
        assert mind.agents[builder].state == "exited"
        assert requests_of(mind, builder) == before + 1
