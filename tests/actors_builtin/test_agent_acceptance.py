"""Acceptance: an agent (assistant + execute_bash + file_interaction) reads, edits and runs, scripted."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.actors_builtin.conftest import (
    ROOT_SCOPE,
    assistant_settings,
    label,
    llm_requests,
    make_config,
    messages_of,
    roles,
    say,
)
from wasmind_nb import Wasmind
from wasmind_nb.config import Config
from wasmind_nb.llm import Reply, ToolCallSpec
from wasmind_sdk.messages import (
    MESSAGE_CLASSES,
    Ok,
    Response,
    StatusUpdate,
    ToolCallDone,
    ToolCallStatusUpdate,
    decode,
    encode,
)

pytestmark = pytest.mark.anyio

EDIT = {"path": "greeting.txt", "edits": [{"old_string": "world", "new_string": "Wasmind"}]}
SCRIPT = [
    Reply(tool_calls=[ToolCallSpec("read_file", {"path": "greeting.txt"}, id="read")]),
    Reply("Found it; editing.", tool_calls=[ToolCallSpec("edit_file", EDIT, id="edit")]),
    Reply(tool_calls=[ToolCallSpec("execute_bash", {"command": "cat greeting.txt"}, id="run")]),
    Reply("The file now says: Hello, Wasmind!"),
]


def agent(tmp_path: Path) -> Config:
    work = {"fs": [{"host": str(tmp_path), "guest": "/work", "read_only": False}]}
    return make_config(
        {
            "assistant": {"config": assistant_settings(system_context=True)},
            "execute_bash": {},
            "file_interaction": {"capabilities": work},
        }
    )


def timeline(mind: Wasmind) -> list[str]:
    """The turn as a list of short labels: the messages the acceptance criteria name, in bus order."""
    out = []
    for envelope in mind.messages:
        kind = envelope.message_type.rsplit(".", 1)[1]
        if kind in ("Request", "Response"):
            out.append(kind)
        elif kind == "ExecuteToolCall":
            out.append(f"ExecuteToolCall:{envelope.json()['tool_call']['function']['name']}")
        elif kind == "ToolCallStatusUpdate":
            update = decode(ToolCallStatusUpdate, envelope.payload)
            outcome = type(update.status.result).__name__ if isinstance(update.status, ToolCallDone) else ""
            out.append(f"ToolCallStatusUpdate:{update.status.TAG}{':' + outcome if outcome else ''}")
        elif kind == "StatusUpdate" and envelope.from_scope == ROOT_SCOPE:
            out.append(label(decode(StatusUpdate, envelope.payload).status))
    return out


async def test_the_agent_reads_edits_runs_and_answers(tmp_path: Path) -> None:
    (tmp_path / "greeting.txt").write_text("Hello, world!\n")
    async with Wasmind(agent(tmp_path), progress=False, llm=SCRIPT, working_dir=tmp_path) as mind:
        await say(mind, "Make greeting.txt greet Wasmind, then show it.")

        assert (tmp_path / "greeting.txt").read_text() == "Hello, Wasmind!\n"
        assert mind.faults == []
        turn = timeline(mind)
        assert turn[turn.index("Processing") :] == [
            "Processing",
            "Request",
            "Response",
            "Wait:WaitingForTools",
            "ExecuteToolCall:read_file",
            "ToolCallStatusUpdate:Done:Ok",
            "Wait:WaitingForTools",
            "Processing",
            "Request",
            "Response",
            "Wait:WaitingForTools",
            "ExecuteToolCall:edit_file",
            "ToolCallStatusUpdate:Done:Ok",
            "Wait:WaitingForTools",
            "Processing",
            "Request",
            "Response",
            "Wait:WaitingForTools",
            "ExecuteToolCall:execute_bash",
            "ToolCallStatusUpdate:Received",
            "ToolCallStatusUpdate:Done:Ok",
            "Wait:WaitingForTools",
            "Processing",
            "Request",
            "Response",
            "Wait:WaitingForUserInput",
        ]

        bodies = llm_requests(mind)
        assert len(bodies) == 4
        assert {tool["function"]["name"] for tool in bodies[0]["tools"]} == {
            "execute_bash",
            "read_file",
            "edit_file",
        }
        assert f"Current working directory: {tmp_path}" in bodies[0]["messages"][0]["content"]
        # the file read is shown to the model, in the tool result and in the system prompt
        assert "Hello, world!" in bodies[1]["messages"][-1]["content"]
        assert "Hello, world!" in bodies[1]["messages"][0]["content"]
        assert "Hello, Wasmind!" in bodies[2]["messages"][0]["content"]
        assert roles(bodies[3]) == [
            "system",
            "user",
            "assistant",
            "tool",
            "assistant",
            "tool",
            "assistant",
            "tool",
        ]
        assert bodies[3]["messages"][-1]["content"].startswith("Exit code: 0")
        assert "Hello, Wasmind!" in bodies[3]["messages"][-1]["content"]
        final = messages_of(mind, Response)[-1].message
        assert final.content == "The file now says: Hello, Wasmind!"
        results = [u for u in messages_of(mind, ToolCallStatusUpdate) if isinstance(u.status, ToolCallDone)]
        assert [(u.id, type(u.status.result)) for u in results] == [("read", Ok), ("edit", Ok), ("run", Ok)]

        for envelope in mind.messages:  # everything on the bus is in the common wire format
            kind = MESSAGE_CLASSES.get(envelope.message_type)
            if kind is not None and envelope.from_actor_id != "wasmind__context":
                assert encode(decode(kind, envelope.payload)) == envelope.payload, envelope.message_type
