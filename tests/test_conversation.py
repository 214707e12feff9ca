"""``mind.conversation(agent)``: an agent's conversation read from the bus, as plain data and as text."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from wasmind_nb import Wasmind
from wasmind_nb.config import Config
from wasmind_nb.conversation import ConversationBuilder, call_text, conversation_of, status_text
from wasmind_nb.errors import WasmindError
from wasmind_nb.llm import Reply, ToolCallSpec
from wasmind_nb.llm import Usage as ScriptUsage
from wasmind_nb.runtime.events import Envelope

pytestmark = pytest.mark.anyio

ACTORS = Path(__file__).parents[1] / "actors"
ASSISTANT = 'model_name = "m", system_context = false, max_tokens = 0, max_attempts = 1'


def config(tmp_path: Path) -> Config:
    text = f"""
        starting_actors = ["assistant", "file_interaction"]
        [actors.assistant]
        source = {{ path = "assistant" }}
        config = {{ {ASSISTANT} }}
        [actors.file_interaction]
        source = {{ path = "file_interaction" }}
        [actors.file_interaction.capabilities]
        fs = [{{ host = "{tmp_path}", guest = "/work", read_only = true }}]
    """
    return Config.from_toml(textwrap.dedent(text), base_dir=ACTORS)


async def test_a_run_with_tool_calls_reads_as_its_conversation(tmp_path: Path) -> None:
    (tmp_path / "greeting.py").write_text("print('hi')\n")
    script = [
        Reply(
            "Let me look.",
            tool_calls=[
                ToolCallSpec("read_file", {"path": "greeting.py"}, id="c1"),
                ToolCallSpec("read_file", {"path": "missing.py"}, id="c2"),
            ],
            usage=ScriptUsage(100, 20),
        ),
        Reply("It prints hi.", usage=ScriptUsage(150, 5)),
    ]
    async with Wasmind(config(tmp_path), working_dir=tmp_path, progress=False, llm=script) as mind:
        await mind.send_user_message("000000", "What does greeting.py do?")
        await mind.wait_idle()
        conv = mind.conversation("root")

        assert (conv.scope, conv.name, conv.status) == ("000000", "root", "waiting for user input")
        assert [(e.role, e.content) for e in conv] == [
            ("user", "What does greeting.py do?"),
            ("assistant", "Let me look."),
            ("assistant", "It prints hi."),
        ]
        assert conv[0].sender == "user"
        assert conv[1].tokens == (100, 20) and conv[2].tokens == (150, 5)
        ok, missing = conv[1].tool_calls
        assert (ok.name, ok.arguments, ok.status) == ("read_file", {"path": "greeting.py"}, "ok")
        assert "print('hi')" in ok.result
        assert missing.status == "error" and "missing.py" in missing.result
        assert conv.tool_calls == [ok, missing]
        assert '<file path="greeting.py"' in (conv.system_prompt or "")  # the latest prompt, files read in it
        assert (conv.usage.calls, conv.usage.prompt_tokens, conv.usage.completion_tokens) == (2, 250, 25)
        assert conv.usage == mind.agents["000000"].usage

        text = conv.text()
        assert text.splitlines()[0] == (
            "conversation of root (000000): waiting for user input (275 tokens (250 in, 25 out))"
        )
        assert "user: What does greeting.py do?" in text
        assert "  -> read_file(path=greeting.py)  [ok]" in text
        assert "  -> read_file(path=missing.py)  [error]" in text
        assert "assistant: It prints hi." in text
        assert "system prompt:" not in text and "system prompt:" in conv.text(system_prompt=True)
        assert "print('hi')" not in conv.text(results=False)
        assert str(conv) == text
        assert json.loads(json.dumps(conv.to_json()))["entries"][1]["tool_calls"][0]["status"] == "ok"


async def test_an_interrupt_and_an_error_are_in_the_conversation(tmp_path: Path) -> None:
    script = [Reply(tool_calls=[ToolCallSpec("slow", {}, id="c1")])]
    text = f"""
        starting_actors = ["assistant"]
        [actors.assistant]
        source = {{ path = "assistant" }}
        config = {{ {ASSISTANT} }}
    """
    cfg = Config.from_toml(textwrap.dedent(text), base_dir=ACTORS)
    async with Wasmind(cfg, progress=False, llm=script) as mind:
        tools = {
            "tools": [
                {"type": "function", "function": {"name": "slow", "description": "s", "parameters": {}}}
            ]
        }
        await mind.broadcast("wasmind.common.tools.ToolsAvailable", tools)
        await mind.send_user_message("000000", "Run it")
        await mind.wait_idle()
        assert mind.conversation("000000").tool_calls[0].status == "pending"
        await mind.interrupt("000000")
        await mind.wait_idle()
        await mind.send_user_message("000000", "again")  # the script has no reply left: an error
        await mind.wait_idle()
        conv = mind.conversation("000000")
        roles = [(e.role, e.title) for e in conv]
        assert roles[:3] == [("user", ""), ("assistant", ""), ("notice", "Interrupt")]
        assert ("notice", "Assistant interrupted") in roles
        assert conv.tool_calls[0].status == "error" and "interrupted" in conv.tool_calls[0].result
        assert roles[-1][0] == "error" and conv[-1].content
        assert roles[-2] == ("user", "")


async def test_an_unknown_agent_is_a_clear_error(tmp_path: Path) -> None:
    text = "starting_actors = []\n"
    async with Wasmind(Config.from_toml(text), progress=False) as mind:
        with pytest.raises(WasmindError, match="no agent named or scoped 'nobody'"):
            mind.conversation("nobody")
        assert len(mind.conversation("root")) == 0


def env(seq: int, type_: str, payload: object, scope: str = "aaaaaa", actor: str = "assistant") -> Envelope:
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return Envelope(seq, f"root:{seq}", f"wasmind.common.{type_}", actor, scope, data)


def test_other_agents_messages_and_malformed_payloads_are_left_out() -> None:
    log = [
        env(
            0,
            "assistant.AddMessage",
            {"agent": "aaaaaa", "message": {"role": "system", "content": "Do X"}},
            "bbbbbb",
            "send_message",
        ),
        env(
            1, "assistant.AddMessage", {"agent": "cccccc", "message": {"role": "user", "content": "not ours"}}
        ),
        env(2, "assistant.Response", {"message": {"content": "other agent"}}, scope="cccccc"),
        env(3, "assistant.Response", b"{not json"),
        env(4, "assistant.Response", {"message": "not an object"}),
        env(5, "tools.ToolCallStatusUpdate", {"id": "zz", "status": {"Done": {"result": {"Ok": {}}}}}),
        env(
            6,
            "ui.UserNotification",
            {"level": "Error", "title": "Actor failed", "message": "trap", "source": "aaaaaa"},
            "000000",
            "wasmind__coordinator",
        ),
        env(
            7,
            "ui.UserNotification",
            {"level": "Error", "title": "x", "message": "about another", "source": "cccccc"},
            "000000",
            "wasmind__coordinator",
        ),
        env(
            8,
            "assistant.StatusUpdate",
            {"status": {"Done": {"result": {"Ok": {"summary": "all good", "success": True}}}}},
        ),
    ]
    conv = conversation_of("aaaaaa", log, "worker")
    assert [(e.seq, e.role, e.sender, e.content) for e in conv] == [
        (0, "system", "bbbbbb", "Do X"),
        (6, "error", "", "trap"),
        (8, "notice", "", "done: all good"),
    ]
    assert conv.status == "done: all good"
    assert "system (from bbbbbb): Do X" in conv.text() and "error: Actor failed: trap" in conv.text()


def test_the_builder_reads_each_envelope_once() -> None:
    builder = ConversationBuilder("aaaaaa")
    first = env(
        0,
        "assistant.AddMessage",
        {"agent": "aaaaaa", "message": {"role": "user", "content": "hi"}},
        "000000",
        "wasmind__context",
    )
    assert builder.feed_all([first]) is True
    assert builder.feed_all([first]) is False
    assert builder.feed_all([first, env(1, "custom.Type", {})]) is False
    assert len(builder.conversation) == 1


def test_calls_and_statuses_read_as_one_line() -> None:
    assert (
        call_text("read_file", {"path": "greeting.py", "start_line": 3})
        == "read_file(path=greeting.py, start_line=3)"
    )
    assert call_text("edit", {"text": "x" * 100}).endswith("…)")
    assert call_text("f", "not json") == "f(not json)" and call_text("g", {}) == "g()"
    assert status_text({"Wait": {"reason": "WaitingForUserInput"}}) == "waiting for user input"
    assert status_text({"Wait": {"reason": {"WaitingForTools": {}}}}) == "waiting for tools"
    assert status_text({"Wait": {"reason": "WaitingForLiteLLM"}}) == "waiting for lite llm"
    assert status_text({"Wait": {"reason": "CompactingConversation"}}) == "waiting (CompactingConversation)"
    assert status_text({"Done": {"result": {"Err": "boom"}}}) == "failed: boom"
    assert status_text({"Processing": {"request_id": "r"}}) == "processing"


def test_other_agents_messages_are_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[bytes] = []
    loads = json.loads
    monkeypatch.setattr(json, "loads", lambda data, *a, **k: parsed.append(data) or loads(data, *a, **k))
    reply = b'{"message": {"content": "hi"}, "usage": {}}'
    add = b'{"agent": "bbbbbb", "message": {"role": "user", "content": "x"}}'
    envelopes = [
        Envelope(0, "a:0", "wasmind.common.assistant.Response", "assistant", "bbbbbb", reply),
        Envelope(1, "a:1", "wasmind.common.assistant.AddMessage", "wasmind__context", "000000", add),
        Envelope(2, "a:2", "wasmind.common.assistant.Response", "assistant", "aaaaaa", reply),
    ]
    conv = conversation_of("aaaaaa", envelopes)
    assert [e.content for e in conv] == ["hi"] and parsed == [reply]
