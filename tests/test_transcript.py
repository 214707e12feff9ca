"""One-line transcripts: tailored summaries of the common messages, nothing for progress-only updates."""

from __future__ import annotations

import json

from wasmind_nb.runtime.events import Envelope
from wasmind_nb.transcript import describe, transcript


def envelope(seq: int, message_type: str, payload: object, sender: str = "assistant") -> Envelope:
    return Envelope(seq, f"root:{seq:06d}", message_type, sender, "000000", json.dumps(payload).encode())


CALL = {"id": "c1", "type": "function", "function": {"name": "read_file", "arguments": '{"path":"a.py"}'}}
MESSAGES = [
    envelope(0, "wasmind.common.actors.AgentSpawned", {"agent_id": "000000", "name": "root", "actors": []}),
    envelope(1, "wasmind.common.assistant.Response", {"message": {"tool_calls": [CALL]}}),
    envelope(
        2, "wasmind.common.tools.ToolCallStatusUpdate", {"status": {"Received": {}}}, "file_interaction"
    ),
    envelope(
        3,
        "wasmind.common.tools.ToolCallStatusUpdate",
        {"status": {"Done": {"result": {"Err": {"content": "no such file", "ui_display_info": {}}}}}},
        "file_interaction",
    ),
    envelope(4, "wasmind.common.assistant.Response", {"message": {"content": "The file  does\\nnot exist."}}),
    envelope(5, "custom.Thing", {"x": 1}, "mine"),
]


def test_conversation_lines() -> None:
    assert transcript(MESSAGES) == [
        "[000000] assistant: agent root (000000) spawned with no actors",
        '[000000] assistant: calls read_file({"path":"a.py"})',
        "[000000] file_interaction: tool error: no such file",
        "[000000] assistant: answers: The file does\\nnot exist.",
    ]


def test_every_message_gets_a_line_when_asked() -> None:
    lines = transcript(MESSAGES, types=None)
    assert len(lines) == len(MESSAGES) - 1  # the Received progress update says nothing
    assert lines[-1] == "[000000] mine: custom.Thing"


def test_malformed_payloads_fall_back_to_the_type() -> None:
    broken = Envelope(0, "root:1", "wasmind.common.assistant.Response", "a", "000000", b"{not json")
    assert describe(broken) == "[000000] a: wasmind.common.assistant.Response"
