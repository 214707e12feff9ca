"""Human in the loop: tool calls held by the host until approved or rejected (runtime/approvals.py)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from tests.actors_builtin.conftest import assistant_settings, llm_requests, make_config
from wasmind_nb import Wasmind
from wasmind_nb.approving import decisions_path
from wasmind_nb.config import Config
from wasmind_nb.config.settings import LLMSettings
from wasmind_nb.errors import ApprovalError, ApprovalPending, ConfigError
from wasmind_nb.llm import Reply, ToolCallSpec

pytestmark = pytest.mark.anyio

ROOT = "000000"
CREATE = {"path": "hello.txt", "edits": [{"old_string": "", "new_string": "hi\n"}]}
EDIT = Reply(tool_calls=[ToolCallSpec("edit_file", CREATE, id="c1")])
READ = Reply(tool_calls=[ToolCallSpec("read_file", {"path": "hello.txt"}, id="r1")])
EXECUTE = "wasmind.common.tools.ExecuteToolCall"
STATUS = "wasmind.common.tools.ToolCallStatusUpdate"


def config(approval: Any, **extra: Any) -> Config:
    """The root agent: an assistant and ``file_interaction``, whose entry says ``approval``."""
    tool: dict[str, Any] = {"approval": approval} if approval is not None else {}
    actors = {"assistant": {"config": assistant_settings()}, "file_interaction": {**tool, **extra}}
    return make_config(actors)


def with_llm(base: Config, **settings: Any) -> Config:
    return dataclasses.replace(base, llm=LLMSettings(**settings))


def tool_messages(mind: Wasmind) -> list[dict[str, Any]]:
    """The ``tool`` messages of the last model request."""
    return [m for m in llm_requests(mind)[-1]["messages"] if m["role"] == "tool"]


async def ask(mind: Wasmind, text: str = "Write hello.txt") -> None:
    """Send user input and wait until only the held calls are left."""
    await mind.send_user_message(ROOT, text)
    with pytest.raises(ApprovalPending):
        await mind.wait_idle()


# ----------------------------------------------------------------------------------------- the hold


async def test_a_held_edit_writes_nothing_until_approved_then_runs_unchanged(tmp_path: Path) -> None:
    async with Wasmind(config(True), working_dir=tmp_path, progress=False, llm=[EDIT, "Written."]) as mind:
        await ask(mind)
        (pending,) = mind.pending_approvals
        assert (pending.id, pending.agent, pending.tool, pending.arguments) == (
            "a1",
            ROOT,
            "edit_file",
            CREATE,
        )
        assert pending.actor == "file_interaction" and pending.tool_call_id == "c1"
        assert not (tmp_path / "hello.txt").exists()
        # the call is on the bus in its place, seen by the others; the tool has not answered
        held = mind.messages[pending.seq]
        assert held.message_type == EXECUTE
        assert not [m for m in mind.messages if m.message_type == STATUS]
        assert len(llm_requests(mind)) == 1

        approved = await mind.approve("a1")
        assert approved.state == "approved"
        await mind.wait_idle()
        assert (tmp_path / "hello.txt").read_text() == "hi\n"
        assert mind.pending_approvals == []
        (result,) = tool_messages(mind)
        assert result["tool_call_id"] == "c1" and "hello.txt" in result["content"]
        done = [m for m in mind.messages if m.message_type == STATUS]
        assert done[-1].from_actor_id == "file_interaction"
        assert done[-1].id.split(":")[0] == held.id.split(":")[-1]  # answers the same envelope


async def test_a_rejection_reaches_the_assistant_as_the_tools_error_result(tmp_path: Path) -> None:
    async with Wasmind(config(True), working_dir=tmp_path, progress=False, llm=[EDIT, "Fine."]) as mind:
        await ask(mind)
        rejected = await mind.reject("a1", "  not in this folder  ")
        assert (rejected.state, rejected.reason) == ("rejected", "not in this folder")
        await mind.wait_idle()
        assert not (tmp_path / "hello.txt").exists()
        (result,) = tool_messages(mind)
        assert result["tool_call_id"] == "c1"
        assert result["content"] == "Error: The user rejected this call of edit_file: not in this folder"
        update = [m for m in mind.messages if m.message_type == STATUS][-1]
        assert update.from_actor_id == "wasmind__approvals" and update.from_scope == ROOT
        assert update.json()["status"]["Done"]["result"]["Err"]["content"].endswith("not in this folder")


async def test_a_list_holds_only_the_tools_it_names(tmp_path: Path) -> None:
    (tmp_path / "hello.txt").write_text("old\n")
    script = [READ, "Read it."]
    async with Wasmind(config(["edit_file"]), working_dir=tmp_path, progress=False, llm=script) as mind:
        await mind.send_user_message(ROOT, "Read hello.txt")
        await mind.wait_idle()  # read_file is not listed: it ran at once
        assert mind.pending_approvals == []
        (result,) = tool_messages(mind)
        assert "old" in result["content"]


async def test_without_approval_nothing_is_held(tmp_path: Path) -> None:
    async with Wasmind(config(None), working_dir=tmp_path, progress=False, llm=[EDIT, "Written."]) as mind:
        await mind.send_user_message(ROOT, "Write hello.txt")
        await mind.wait_idle()
        assert mind.pending_approvals == []
        assert (tmp_path / "hello.txt").read_text() == "hi\n"


# ------------------------------------------------------------------------------------------- errors


async def test_unknown_and_decided_ids_are_clear_errors(tmp_path: Path) -> None:
    async with Wasmind(config(True), working_dir=tmp_path, progress=False, llm=[EDIT, "Ok."]) as mind:
        await ask(mind)
        with pytest.raises(ApprovalError, match=r"no approval with id 'a9' \(waiting: a1\)"):
            await mind.approve("a9")
        with pytest.raises(ApprovalError, match="an approval id is text"):
            await mind.approve(1)  # type: ignore[arg-type]
        with pytest.raises(ApprovalError, match="the reason must be text"):
            await mind.reject("a1", 3)  # type: ignore[arg-type]
        assert [a.id for a in mind.pending_approvals] == ["a1"]  # nothing was lost
        await mind.reject("a1", "")
        with pytest.raises(
            ApprovalError, match=r"approval a1 \(edit_file\) was already rejected \(no reason"
        ):
            await mind.approve("a1")
        await mind.wait_idle()
        assert not (tmp_path / "hello.txt").exists()


async def test_wait_idle_names_each_waiting_call(tmp_path: Path) -> None:
    async with Wasmind(config(True), working_dir=tmp_path, progress=False, llm=[EDIT, "Ok."]) as mind:
        await mind.send_user_message(ROOT, "Write hello.txt")
        with pytest.raises(ApprovalPending) as caught:
            await mind.wait_idle()
        text = str(caught.value)
        assert "1 tool call(s) wait for approval" in text
        assert "a1 edit_file(path='hello.txt'" in text and "for root (000000)" in text
        assert "await mind.approve('a1')" in text and "%wasmind reject a1 why" in text


async def test_shutdown_cancels_waiting_calls_and_runs_none(tmp_path: Path) -> None:
    mind = Wasmind(config(True), working_dir=tmp_path, progress=False, llm=[EDIT, "Ok."])
    await mind.start()
    await ask(mind)
    runtime = mind.runtime
    await mind.shutdown()
    assert runtime.approvals.pending == []
    cancelled = runtime.approvals.decided("a1")
    assert cancelled is not None and cancelled.state == "cancelled" and "exited" in cancelled.reason
    assert not (tmp_path / "hello.txt").exists()
    assert all(not agent.live for agent in runtime.agents.values())
    with pytest.raises(ApprovalError, match="already cancelled"):
        runtime.decide("a1", True)


async def test_an_interrupt_cancels_the_agents_waiting_calls(tmp_path: Path) -> None:
    """The assistant drops the calls it waited for; approving one later would run it for nobody."""
    async with Wasmind(config(True), working_dir=tmp_path, progress=False, llm=[EDIT, "Stopped."]) as mind:
        await ask(mind)
        await mind.interrupt(ROOT)
        await mind.wait_idle()  # no ApprovalPending: nothing waits any more
        assert mind.pending_approvals == []
        cancelled = mind.runtime.approvals.decided("a1")
        assert cancelled is not None and cancelled.state == "cancelled"
        assert cancelled.reason == "the agent was interrupted"
        with pytest.raises(ApprovalError, match="already cancelled \\(the agent was interrupted\\)"):
            await mind.approve("a1")
        await mind.wait_idle()
        assert not (tmp_path / "hello.txt").exists()  # the edit never ran
        assert not [
            m for m in mind.messages if m.message_type == EXECUTE and m.from_actor_id == "file_interaction"
        ]


async def test_an_interrupt_of_another_agent_leaves_the_calls_waiting(tmp_path: Path) -> None:
    async with Wasmind(config(True), working_dir=tmp_path, progress=False, llm=[EDIT, "Ok."]) as mind:
        await ask(mind)
        other = await mind.spawn_agent(["assistant"], name="other")
        await mind.interrupt(other)
        with pytest.raises(ApprovalPending):
            await mind.wait_idle()
        assert [a.id for a in mind.pending_approvals] == ["a1"]
        await mind.approve("a1")
        await mind.wait_idle()
        assert (tmp_path / "hello.txt").read_text() == "hi\n"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("3", "expected true, false or a list of tool names, got 3"),
        ('["edit_file", "edit_file"]', "tool name(s) listed twice: edit_file"),
        ('[""]', "expected true, false or a list of tool names"),
    ],
)
def test_bad_approval_values_name_file_and_key(tmp_path: Path, value: str, message: str) -> None:
    path = tmp_path / "run.toml"
    path.write_text(
        f'starting_actors = ["x"]\n[actors.x]\nsource = {{ builtin = "execute_bash" }}\napproval = {value}\n'
    )
    with pytest.raises(ConfigError) as caught:
        Config.from_file(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value) and "actors.x.approval" in str(caught.value)


def test_approval_values_become_the_spec() -> None:
    assert config(True).actors["file_interaction"].approval is True
    assert config(["edit_file"]).actors["file_interaction"].approval == ("edit_file",)
    assert config(None).actors["file_interaction"].approval is False
    spec = config(["edit_file"]).actors["file_interaction"]
    assert spec.needs_approval("edit_file") and not spec.needs_approval("read_file")


# ---------------------------------------------------------------------------------- scripts, replay


async def test_a_callback_decides_for_a_script(tmp_path: Path) -> None:
    seen = []

    async def decide(approval):
        seen.append((approval.tool, approval.arguments["path"]))
        return "scripts may not write" if approval.tool == "edit_file" else True

    mind = Wasmind(config(True), working_dir=tmp_path, progress=False, llm=[EDIT, "Ok."], on_approval=decide)
    async with mind:
        await mind.send_user_message(ROOT, "Write hello.txt")
        await mind.wait_idle()  # waits for the callback's decision and what follows it
        assert seen == [("edit_file", "hello.txt")]
        assert tool_messages(mind)[0]["content"].endswith("scripts may not write")
    assert not (tmp_path / "hello.txt").exists()


async def test_a_callback_that_raises_rejects_and_none_leaves_it_waiting(tmp_path: Path) -> None:
    async with Wasmind(config(True), working_dir=tmp_path, progress=False, llm=[EDIT, "Ok."]) as mind:
        mind.on_approval(lambda approval: None)
        await ask(mind)
        assert [a.id for a in mind.pending_approvals] == ["a1"]

        def broken(approval):
            raise RuntimeError("no network")

        mind.on_approval(broken)  # offered what is already waiting
        await mind.wait_idle()
        assert "the approval callback failed: RuntimeError: no network" in tool_messages(mind)[0]["content"]
    assert not (tmp_path / "hello.txt").exists()


async def test_a_recorded_run_replays_its_decisions(tmp_path: Path) -> None:
    trace = tmp_path / "run.jsonl"
    script = [EDIT, "Written.", Reply(tool_calls=[ToolCallSpec("edit_file", CREATE, id="c2")]), "Stopped."]
    record = with_llm(config(True), mode="record", trace=str(trace))
    async with Wasmind(record, working_dir=tmp_path, progress=False, llm=script) as mind:
        await ask(mind)
        await mind.approve("a1")
        await mind.wait_idle()
        (tmp_path / "hello.txt").unlink()
        await ask(mind, "Again")
        await mind.reject("a2", "once is enough")
        await mind.wait_idle()
    lines = [json.loads(line) for line in decisions_path(trace).read_text().splitlines()]
    assert [(d["tool_call_id"], d["decision"], d["reason"]) for d in lines] == [
        ("c1", "approved", ""),
        ("c2", "rejected", "once is enough"),
    ]

    work = tmp_path / "replay"
    work.mkdir()
    replay = with_llm(config(True), mode="replay", trace=str(trace))
    async with Wasmind(replay, working_dir=work, progress=False) as mind:
        await mind.send_user_message(ROOT, "Write hello.txt")
        await mind.wait_idle()  # the recorded approval applies itself
        assert (work / "hello.txt").read_text() == "hi\n"
        (work / "hello.txt").unlink()
        await mind.send_user_message(ROOT, "Again")
        await mind.wait_idle()
        assert mind.pending_approvals == []
        assert not (work / "hello.txt").exists()
        mind.llm.check()
