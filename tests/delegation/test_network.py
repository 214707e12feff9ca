"""Acceptance: main manager -> sub-manager -> two workers editing real files, all scripted offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.actors_builtin.conftest import llm_requests, trail
from tests.delegation.conftest import (
    AGENT_SPAWNED,
    MAIN,
    ROOT_SCOPE,
    SUB,
    index_of,
    network_config,
    notes_to,
    role,
)
from wasmind_nb import Wasmind
from wasmind_nb.llm import Reply, Router, ToolCallSpec

pytestmark = pytest.mark.anyio


def spawn(*agents: tuple[str, str, str], wait: object = True) -> ToolCallSpec:
    specs = [{"agent_role": r, "task_description": t, "agent_type": k} for r, t, k in agents]
    return ToolCallSpec("spawn_agent", {"agents_to_spawn": specs, "wait": wait})


def writer(path: str, old: str, new: str, summary: str) -> list[Reply]:
    """A worker's script: read the file, edit it, complete."""
    edit = {"path": path, "edits": [{"old_string": old, "new_string": new}]}
    return [
        Reply(tool_calls=[ToolCallSpec("read_file", {"path": path})]),
        Reply(tool_calls=[ToolCallSpec("edit_file", edit)]),
        Reply(tool_calls=[ToolCallSpec("complete", {"summary": summary, "success": True})]),
    ]


def script() -> Router:
    return Router(
        {
            f"marker:{MAIN}": [
                Reply("Delegating.", tool_calls=[spawn(("Docs lead", "Fix both greetings.", "SubManager"))]),
                Reply("Both greetings are fixed."),
            ],
            f"marker:{SUB}": [
                Reply(
                    tool_calls=[
                        spawn(
                            ("Writer A", "Make a.txt greet Wasmind.", "Worker"),
                            ("Writer B", "Make b.txt greet Wasmind.", "Worker"),
                            wait="YES",
                        )
                    ]
                ),
                Reply(tool_calls=[ToolCallSpec("complete", {"summary": "a.txt and b.txt fixed"})]),
            ],
            role("Writer A"): writer("a.txt", "world", "Wasmind", "a.txt now greets Wasmind ✓"),
            role("Writer B"): writer("b.txt", "there", "Wasmind", "b.txt now greets Wasmind — done"),
        }
    )


async def test_manager_submanager_two_workers(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Hello, world!\n")
    (tmp_path / "b.txt").write_text("Hi there!\n")
    async with Wasmind(network_config(), progress=False, llm=script(), working_dir=tmp_path) as mind:
        await mind.send_user_message(ROOT_SCOPE, "Fix the greetings in a.txt and b.txt.")
        await mind.wait_idle()
        assert mind.llm is not None and mind.llm.server is not None
        mind.llm.server.check()
        assert mind.faults == []

        # the files on disk
        assert (tmp_path / "a.txt").read_text() == "Hello, Wasmind!\n"
        assert (tmp_path / "b.txt").read_text() == "Hi Wasmind!\n"

        # the tree, and every finished agent exited
        sub, wa, wb = (mind.scope_of(n) for n in ("Docs lead", "Writer A", "Writer B"))
        assert set(mind.graph.edges) == {(ROOT_SCOPE, sub), (sub, wa), (sub, wb)}
        assert {s: mind.agents[s].state for s in (sub, wa, wb)} == dict.fromkeys((sub, wa, wb), "exited")
        assert mind.agents[ROOT_SCOPE].state == "running"
        assert set(mind.live_graph.nodes) == {ROOT_SCOPE}
        worker_actors = set(mind.agents[wa].actors)
        assert {"worker_assistant", "file_interaction", "complete", "send_manager_message"} <= worker_actors
        assert "spawn_agent" in mind.agents[sub].actors

        # the custom spawn notices
        spawned = [m.json() for m in mind.messages if m.message_type == AGENT_SPAWNED]
        assert spawned == [
            {"agent_type": "SubManager", "agent_id": sub},
            {"agent_type": "Worker", "agent_id": wa},
            {"agent_type": "Worker", "agent_id": wb},
        ]

        # each child got its task as a user message; the workers' reports reached the sub-manager, then
        # spawn_agent's wake-up note; the sub-manager's report reached the main manager, then the wake-up
        assert notes_to(mind, wa)[0][:2] == (sub, "user")
        to_sub = notes_to(mind, sub)
        assert to_sub[0][:2] == (ROOT_SCOPE, "user")
        reports = {s: text for s, r, text in to_sub[1:3]}
        assert set(reports) == {wa, wb}
        assert "a.txt now greets Wasmind ✓" in reports[wa]
        assert "b.txt now greets Wasmind — done" in reports[wb]
        assert to_sub[3][0] == sub and "Every agent you were waiting for has reported" in to_sub[3][2]
        to_root = notes_to(mind, ROOT_SCOPE)
        assert [(s, r) for s, r, _ in to_root] == [
            (ROOT_SCOPE, "user"),
            (sub, "system"),
            (ROOT_SCOPE, "system"),
        ]
        assert "a.txt and b.txt fixed" in to_root[1][2]

        # the main manager waited for coordination and answered only after the sub-manager had exited
        assert "Wait:WaitingForAgentCoordination" in trail(mind, ROOT_SCOPE)
        assert trail(mind, sub)[-1] == "Done" and trail(mind, wa)[-1] == "Done"
        sub_exit = index_of(mind, lambda e: e.message_type.endswith("actors.Exit") and e.from_scope == sub)
        final = index_of(
            mind,
            lambda e: (
                e.message_type.endswith("assistant.Response")
                and e.from_scope == ROOT_SCOPE
                and e.json()["message"].get("content") == "Both greetings are fixed."
            ),
        )
        assert sub_exit < final

        # what the models saw: the sub-manager's second request holds both reports in one turn
        bodies = llm_requests(mind)
        sub_bodies = [b for b in bodies if SUB in b["messages"][0]["content"]]
        assert len(sub_bodies) == 2
        last = sub_bodies[1]["messages"]
        assert (
            sum("completed its task" in (m.get("content") or "") for m in last if m["role"] == "system") == 2
        )
        main_bodies = [b for b in bodies if MAIN in b["messages"][0]["content"]]
        assert len(main_bodies) == 2
        assert "Docs lead" in main_bodies[1]["messages"][0]["content"]  # the network in the prompt
