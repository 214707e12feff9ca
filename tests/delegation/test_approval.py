"""code_with_experts: ``file_interaction_with_approval`` and its ``approve`` / ``request_changes`` agents."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from tests.delegation.conftest import ROOT, ROOT_SCOPE, by_turn, tool_results
from wasmind_nb import Wasmind
from wasmind_nb.config import Config
from wasmind_nb.llm import Reply, Router, ToolCallSpec

pytestmark = pytest.mark.anyio

CODER = "[role:coder]"
REVIEWER = "You are the approver 'reviewer'"
ORIGINAL = "alpha\nbeta\ngamma\n"
SMALL = {"path": "a.txt", "edits": [{"old_string": "beta", "new_string": "BETA"}]}
LONG_LINE = "x" * 300
BIG = {"path": "a.txt", "edits": [{"old_string": "beta", "new_string": LONG_LINE}]}
READ = ToolCallSpec("read_file", {"path": "a.txt"})


def config(approvers: dict[str, list[str]]) -> Config:
    assistant = {"model_name": "test-model", "max_attempts": 2, "base_delay_ms": 1, "system_context": False}
    data: dict[str, Any] = {
        "starting_actors": ["assistant", "file_interaction_with_approval"],
        "actors": {
            "assistant": {
                "source": {"builtin": "assistant"},
                "config": {**assistant, "system_prompt": {"defaults": {"identity": f"You code {CODER}."}}},
            },
            "file_interaction_with_approval": {
                "source": {"builtin": "file_interaction_with_approval"},
                "config": {"approvers": approvers},
                "capabilities": {
                    "spawn": sorted(
                        {"approve", "request_changes", *(n for ns in approvers.values() for n in ns)}
                    )
                },
            },
            "reviewer_assistant": {"source": {"builtin": "assistant"}, "config": assistant},
            "approve": {"source": {"builtin": "approve"}},
            "request_changes": {"source": {"builtin": "request_changes"}},
            "complete": {"source": {"builtin": "complete"}},
            "execute_bash": {"source": {"builtin": "execute_bash"}},
            "broken_assistant": {"source": {"builtin": "assistant"}},  # no model_name: it cannot start
        },
    }
    return Config.from_toml(tomli_w.dumps(data), base_dir=ROOT)


def coder(edit: dict[str, Any]) -> Any:
    return by_turn(
        Reply(tool_calls=[READ]),
        Reply(tool_calls=[ToolCallSpec("edit_file", edit)]),
        Reply("Finished."),
    )


async def run(tmp_path: Path, approvers: dict[str, list[str]], script: dict[str, Any]) -> Wasmind:
    (tmp_path / "a.txt").write_text(ORIGINAL)
    async with Wasmind(config(approvers), progress=False, llm=Router(script), working_dir=tmp_path) as mind:
        await mind.send_user_message(ROOT_SCOPE, "Edit a.txt.")
        await mind.wait_idle()
        assert mind.llm is not None and mind.llm.server is not None
        mind.llm.server.check()
        assert mind.faults == []
    return mind


REVIEWERS = {"reviewer": ["reviewer_assistant"]}


async def test_small_edit_is_applied_at_once(tmp_path: Path) -> None:
    mind = await run(tmp_path, REVIEWERS, {f"marker:{CODER}": coder(SMALL)})
    assert (tmp_path / "a.txt").read_text() == "alpha\nBETA\ngamma\n"
    assert [r[:2] for r in tool_results(mind, ROOT_SCOPE)] == [("read_file", "Ok"), ("edit_file", "Ok")]
    assert list(mind.agents) == [ROOT_SCOPE]  # no approver was spawned


async def test_big_edit_is_applied_once_the_approver_approves(tmp_path: Path) -> None:
    script = {
        f"marker:{CODER}": coder(BIG),
        f"marker:{REVIEWER}": [Reply(tool_calls=[ToolCallSpec("approve", {})])],
    }
    mind = await run(tmp_path, REVIEWERS, script)
    assert (tmp_path / "a.txt").read_text() == f"alpha\n{LONG_LINE}\ngamma\n"
    reviewer = mind.scope_of("reviewer")
    assert mind.agents[reviewer].parent == ROOT_SCOPE and mind.agents[reviewer].state == "exited"
    results = tool_results(mind, ROOT_SCOPE)
    assert results[1][:2] == ("edit_file", "Ok") and "Edited a.txt" in results[1][2]
    assert tool_results(mind, reviewer)[0][:2] == ("approve", "Ok")


async def test_requested_changes_leave_the_file_unchanged(tmp_path: Path) -> None:
    changes = ToolCallSpec("request_changes", {"changes_requested": "Do not replace beta with noise."})
    script = {f"marker:{CODER}": coder(BIG), f"marker:{REVIEWER}": [Reply(tool_calls=[changes])]}
    mind = await run(tmp_path, REVIEWERS, script)
    assert (tmp_path / "a.txt").read_text() == ORIGINAL
    name, outcome, content = tool_results(mind, ROOT_SCOPE)[1]
    assert (name, outcome) == ("edit_file", "Err")
    assert "NOT applied" in content and "Do not replace beta with noise." in content
    assert mind.agents[mind.scope_of("reviewer")].state == "exited"


async def test_no_approvers_applies_big_edits_at_once(tmp_path: Path) -> None:
    mind = await run(tmp_path, {}, {f"marker:{CODER}": coder(BIG)})
    assert (tmp_path / "a.txt").read_text() == f"alpha\n{LONG_LINE}\ngamma\n"
    assert list(mind.agents) == [ROOT_SCOPE]


async def test_two_pending_edits_each_wait_for_their_own_approver(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text(ORIGINAL)
    big_b = {**BIG, "path": "b.txt"}
    script = {
        f"marker:{CODER}": by_turn(
            Reply(tool_calls=[READ, ToolCallSpec("read_file", {"path": "b.txt"})]),
            Reply(tool_calls=[ToolCallSpec("edit_file", BIG), ToolCallSpec("edit_file", big_b)]),
            Reply("Finished."),
        ),
        f"marker:{REVIEWER}": [Reply(tool_calls=[ToolCallSpec("approve", {})])] * 2,
    }
    mind = await run(tmp_path, REVIEWERS, script)
    for name in ("a.txt", "b.txt"):
        assert (tmp_path / name).read_text() == f"alpha\n{LONG_LINE}\ngamma\n"
    assert [r[:2] for r in tool_results(mind, ROOT_SCOPE)[2:]] == [("edit_file", "Ok")] * 2
    assert len(mind.agents) == 3  # one approver per edit


async def test_an_approver_that_ends_without_answering_counts_as_a_refusal(tmp_path: Path) -> None:
    leave = ToolCallSpec("complete", {"summary": "not my job", "success": False})
    script = {f"marker:{CODER}": coder(BIG), f"marker:{REVIEWER}": [Reply(tool_calls=[leave])]}
    mind = await run(tmp_path, {"reviewer": ["reviewer_assistant", "complete"]}, script)
    assert (tmp_path / "a.txt").read_text() == ORIGINAL
    name, outcome, content = tool_results(mind, ROOT_SCOPE)[1]
    assert (name, outcome) == ("edit_file", "Err")
    assert "ended without approving or requesting changes" in content


async def test_an_edit_is_not_applied_if_the_file_changed_while_it_waited(tmp_path: Path) -> None:
    touch = ToolCallSpec("execute_bash", {"command": "echo meddled >> a.txt"})
    script = {
        f"marker:{CODER}": coder(BIG),
        f"marker:{REVIEWER}": by_turn(
            Reply(tool_calls=[touch]), Reply(tool_calls=[ToolCallSpec("approve", {})])
        ),
    }
    mind = await run(tmp_path, {"reviewer": ["reviewer_assistant", "execute_bash"]}, script)
    assert (tmp_path / "a.txt").read_text() == ORIGINAL + "meddled\n"
    name, outcome, content = tool_results(mind, ROOT_SCOPE)[1]
    assert (name, outcome) == ("edit_file", "Err")
    assert "approved but NOT applied: the file changed while it waited" in content


async def test_an_approver_that_cannot_be_spawned_is_a_clear_error(tmp_path: Path) -> None:
    mind = await run(tmp_path, {"ghost": ["no_such_actor"]}, {f"marker:{CODER}": coder(BIG)})
    assert (tmp_path / "a.txt").read_text() == ORIGINAL
    name, outcome, content = tool_results(mind, ROOT_SCOPE)[1]
    assert (name, outcome) == ("edit_file", "Err")
    assert "NOT applied" in content and "'ghost'" in content and "no_such_actor" in content
    assert list(mind.agents) == [ROOT_SCOPE]


async def test_an_approver_that_fails_to_start_counts_as_a_refusal(tmp_path: Path) -> None:
    mind = await run(tmp_path, {"broken": ["broken_assistant"]}, {f"marker:{CODER}": coder(BIG)})
    assert (tmp_path / "a.txt").read_text() == ORIGINAL
    name, outcome, content = tool_results(mind, ROOT_SCOPE)[1]
    assert (name, outcome) == ("edit_file", "Err")
    assert re.search(r"- broken \(\w+\): failed: .*model_name", content)
    assert mind.agents[mind.scope_of("broken")].state == "failed"
