"""One-line summaries of the common messages in the view's timeline (notebook/summaries.py)."""

from __future__ import annotations

import json

import pytest

from tests.notebook.test_widget import ROOT, FakeMind, make_view, spawned
from wasmind_nb.notebook import summaries
from wasmind_nb.notebook.summaries import message_summary
from wasmind_nb.notebook.view_state import M_SUMMARY, M_TEXT

C = "wasmind.common."
NAMES = {ROOT: "root", "aaaaaa": "coder"}.get


def summary(kind: str, payload: object, actor: str = "assistant", scope: str = ROOT) -> str:
    data = b"" if payload is None else json.dumps(payload).encode()
    return message_summary(C + kind, data, actor, scope, lambda s: NAMES(s) or s)


def done(result: object) -> dict:
    return {"status": {"Done": {"result": result}}, "id": "c1", "originating_request_id": "r1"}


CALL = {
    "id": "c1",
    "type": "function",
    "function": {"name": "read_file", "arguments": '{"path":"greeting.py"}'},
}
LONG = "Make it greet in French, and add a test that checks the greeting in every supported language"


@pytest.mark.parametrize(
    ("kind", "payload", "actor", "expected"),
    [
        (
            "assistant.AddMessage",
            {"agent": "aaaaaa", "message": {"role": "user", "content": LONG}},
            "wasmind__context",
            'user -> coder: "Make it greet in French, and add a test that checks the gre…"',
        ),
        (
            "assistant.AddMessage",
            {"agent": "aaaaaa", "message": {"role": "system", "content": "Report back"}},
            "delegator",
            'root -> coder (system): "Report back"',
        ),
        (
            "assistant.Response",
            {
                "message": {"content": "", "tool_calls": [CALL]},
                "usage": {"prompt_tokens": 400, "completion_tokens": 67},
            },
            "assistant",
            "reply read_file(path=greeting.py) (467 tokens)",
        ),
        (
            "assistant.Response",
            {"message": {"content": "It prints hi."}},
            "assistant",
            'reply "It prints hi."',
        ),
        (
            "tools.ExecuteToolCall",
            {"tool_call": CALL, "originating_request_id": "r1"},
            "assistant",
            "read_file(path=greeting.py)",
        ),
        (
            "tools.ToolCallStatusUpdate",
            done(
                {
                    "Ok": {
                        "content": "1\tprint('hi')",
                        "ui_display_info": {"collapsed": "read_file greeting.py"},
                    }
                }
            ),
            "file_interaction",
            "tool ok: read_file greeting.py",
        ),
        (
            "tools.ToolCallStatusUpdate",
            done({"Err": "no such file: x.py"}),
            "file_interaction",
            "tool error: no such file: x.py",
        ),
        (
            "tools.ToolCallStatusUpdate",
            {"status": "Received", "id": "c1"},
            "file_interaction",
            "tool received",
        ),
        (
            "assistant.StatusUpdate",
            {"status": {"Wait": {"reason": {"WaitingForTools": {}}}}},
            "assistant",
            "status: waiting for tools",
        ),
        (
            "assistant.StatusUpdate",
            {"status": {"Done": {"result": {"Ok": {"success": True, "summary": "Greets in French"}}}}},
            "assistant",
            "status: done: Greets in French",
        ),
        (
            "actors.AgentSpawned",
            {
                "agent_id": "aaaaaa",
                "name": "coder",
                "parent_agent": ROOT,
                "actors": ["assistant", "file_interaction"],
            },
            "wasmind__context",
            "spawned coder (assistant, file_interaction) under root",
        ),
        ("actors.Exit", None, "wasmind__context", "exit"),
        (
            "ui.UserNotification",
            {"level": "Error", "title": "LLM request failed", "message": "timed out", "source": ROOT},
            "wasmind__context",
            "error: LLM request failed: timed out",
        ),
        ("assistant.Interrupt", {"agent": "aaaaaa"}, "wasmind__context", "interrupt coder"),
        (
            "tools.ToolsAvailable",
            {"tools": [{"type": "function", "function": {"name": "read_file"}}]},
            "f",
            "tools: read_file",
        ),
        (
            "assistant.Request",
            {"chat_state": {"system": {}, "tools": [{}], "messages": [{}, {}]}},
            "assistant",
            "model request: 2 messages, 1 tool",
        ),
        (
            "litellm.BaseUrlUpdate",
            {"base_url": "http://127.0.0.1:41209", "models_available": []},
            "x",
            "LLM endpoint announced",
        ),
    ],
)
def test_common_messages_read_as_one_line(kind: str, payload: object, actor: str, expected: str) -> None:
    assert summary(kind, payload, actor) == expected


def test_other_types_and_bad_payloads_have_no_summary() -> None:
    assert message_summary("custom.Ping", b'{"n": 1}', "echo", ROOT) == ""
    assert message_summary(C + "assistant.AddMessage", b"not json", "x", ROOT) == ""
    assert message_summary(C + "assistant.AddMessage", b'{"message": 3}', "x", ROOT) == ""  # malformed
    assert message_summary(C + "assistant.StatusUpdate", b"[1, 2]", "x", ROOT) == ""
    history = json.dumps({"chat_state": {"messages": [{"content": "x" * 1000}] * 100}}).encode()
    assert len(history) > summaries.MAX_CHAT_STATE
    assert message_summary(C + "assistant.Request", history, "assistant", ROOT) == "model request"
    assert len(summary("ui.UserNotification", {"level": "Info", "title": "t" * 500})) == summaries.WIDTH


def test_the_view_sends_the_summary_and_searches_the_payload() -> None:
    mind = FakeMind()
    view, _loop, sent = make_view(mind)
    mind.emit(spawned("aaaaaa", "coder"))
    env = mind.say(
        C + "assistant.AddMessage",
        {"agent": "aaaaaa", "message": {"role": "user", "content": "Hi"}},
        ROOT,
        "wasmind__context",
    )
    mind.say("custom.Ping", {"n": 1}, ROOT)
    view.flush()
    added, ping = view.messages
    assert added[M_SUMMARY] == 'user -> coder: "Hi"' and added[M_TEXT] == env.payload.decode()
    assert ping[M_SUMMARY] == "" and ping[M_TEXT] == '{"n": 1}'
    assert [m for m in sent if m["kind"] == "delta"][-1]["messages"][0][M_SUMMARY] == 'user -> coder: "Hi"'
    view.filter(text="role")  # the search covers the payload, not the summary
    assert [row.summary for row in view.filtered_messages()] == ['user -> coder: "Hi"']
    view.filter(text="user -> coder")
    assert view.filtered_messages() == []
