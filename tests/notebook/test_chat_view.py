"""The view's chat pane against a real Wasmind (the Python side of chat.js): open, deltas, Send, Interrupt."""

from __future__ import annotations

import asyncio
import copy
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wasmind_nb import Wasmind
from wasmind_nb.config import Config
from wasmind_nb.llm import Reply, ToolCallSpec
from wasmind_nb.notebook import chat_view
from wasmind_nb.notebook.widget import AgentView
from wasmind_nb.runtime.events import Envelope

pytestmark = pytest.mark.anyio

ACTORS = Path(__file__).parents[2] / "actors"
ASSISTANT = 'model_name = "m", system_context = false, max_tokens = 0, max_attempts = 1'
ROOT = "000000"
SLOW_TOOL = {
    "tools": [{"type": "function", "function": {"name": "slow", "description": "s", "parameters": {}}}]
}


def config(tmp_path: Path, *, tools: bool = True) -> Config:
    text = f"""
        starting_actors = {'["assistant", "file_interaction"]' if tools else '["assistant"]'}
        [actors.assistant]
        source = {{ path = "assistant" }}
        config = {{ {ASSISTANT} }}
        [actors.file_interaction]
        source = {{ path = "file_interaction" }}
        [actors.file_interaction.capabilities]
        fs = [{{ host = "{tmp_path}", guest = "/work", read_only = true }}]
    """
    return Config.from_toml(textwrap.dedent(text), base_dir=ACTORS)


def make_view(mind: Any) -> tuple[AgentView, list[dict[str, Any]]]:
    view = AgentView(mind)
    sent: list[dict[str, Any]] = []
    view.send = lambda content, buffers=None: sent.append(copy.deepcopy(content))  # type: ignore[method-assign]
    return view, sent


def front_end(chat: dict[str, Any], delta: dict[str, Any]) -> None:
    """What js/src/chat.js does with a delta (applyChatDelta), to check the two copies stay equal."""
    assert delta["scope"] == chat["scope"] and delta["rev"] == chat["rev"] + 1
    for key in ("status", "system_prompt", "available", "reason", "error", "sending"):
        if key in delta:
            chat[key] = delta[key]
    for i, row in delta["entries"]:
        local = i - chat["first"]
        if local < len(chat["entries"]):
            chat["entries"][local] = row
        else:
            chat["entries"].append(row)
    drop = delta["first"] - chat["first"]
    if drop > 0:
        del chat["entries"][:drop]
    chat["first"], chat["rev"] = delta["first"], delta["rev"]


async def until(view: AgentView, check: Callable[[dict[str, Any]], bool], timeout: float = 120) -> dict:
    """Wait (on the loop, which delivers the runtime's events) until ``check(view.chat)`` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        view.flush()
        if check(view.chat):
            return view.chat
        await asyncio.sleep(0.005)
    raise AssertionError(f"the chat pane never matched: {view.chat}")


def roles(chat: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["role"], e["content"]) for e in chat["entries"]]


async def test_send_shows_the_reply_and_the_tool_call_with_its_result_live(tmp_path: Path) -> None:
    (tmp_path / "greeting.py").write_text("print('hi')\n")
    script = [
        Reply("Let me look.", tool_calls=[ToolCallSpec("read_file", {"path": "greeting.py"}, id="c1")]),
        Reply("It prints hi."),
    ]
    async with Wasmind(config(tmp_path), working_dir=tmp_path, progress=False, llm=script) as mind:
        await mind.wait_idle()
        view, sent = make_view(mind)
        view._answer({"kind": "chat", "action": "open", "scope": "root"})  # a name is resolved
        opened = copy.deepcopy(view.chat)
        assert (opened["scope"], opened["name"], opened["available"], opened["reason"]) == (
            ROOT,
            "root",
            True,
            "",
        )
        assert opened["entries"] == [] and opened["error"] == ""

        view._answer({"kind": "chat", "action": "send", "scope": ROOT, "text": "What does greeting.py do?"})
        await mind.wait_idle()  # the reply's StatusUpdate (waiting for user input) follows the reply itself
        chat = await until(
            view,
            lambda c: (
                ("assistant", "It prints hi.") in roles(c)
                and not c["sending"]
                and c["status"] == "waiting for user input"
            ),
        )
        assert roles(chat) == [
            ("user", "What does greeting.py do?"),
            ("assistant", "Let me look."),
            ("assistant", "It prints hi."),
        ]
        assert chat["entries"][0]["sender"] == "user"
        (call,) = chat["entries"][1]["tool_calls"]
        assert (call["call"], call["status"]) == ("read_file(path=greeting.py)", "ok")
        assert call["arguments"] == '{\n  "path": "greeting.py"\n}' and "print('hi')" in call["result"]
        assert (
            chat["status"] == "waiting for user input" and '<file path="greeting.py"' in chat["system_prompt"]
        )
        assert chat["error"] == ""
        # Only deltas after the open, and they rebuild what the kernel shows, in order, from the opened state.
        deltas = [m for m in sent if m["kind"] == "chat"]
        assert deltas and all(len(d["entries"]) <= 2 for d in deltas)  # new or changed entries only
        for delta in deltas:
            front_end(opened, delta)
        assert opened == view.chat
        # The same conversation as mind.conversation(agent).
        assert [e["content"] for e in chat["entries"]] == [e.content for e in mind.conversation(ROOT)]


async def test_interrupt_stops_the_turn_and_settles_the_call(tmp_path: Path) -> None:
    script = [Reply(tool_calls=[ToolCallSpec("slow", {}, id="c1")])]
    async with Wasmind(config(tmp_path, tools=False), progress=False, llm=script) as mind:
        await mind.broadcast("wasmind.common.tools.ToolsAvailable", SLOW_TOOL)
        view, _ = make_view(mind)
        view.open_chat(ROOT)
        view._answer({"kind": "chat", "action": "send", "scope": ROOT, "text": "Run it"})
        chat = await until(view, lambda c: len(c["entries"]) == 2)
        assert chat["entries"][1]["tool_calls"][0]["status"] == "pending"
        view._answer({"kind": "chat", "action": "interrupt", "scope": ROOT})
        chat = await until(view, lambda c: c["entries"][1]["tool_calls"][0]["status"] == "error")
        assert "interrupted" in chat["entries"][1]["tool_calls"][0]["result"]
        assert ("notice", "interrupt requested") in roles(chat) and chat["error"] == ""


async def test_input_is_refused_with_a_reason_and_nothing_is_sent(tmp_path: Path) -> None:
    async with Wasmind(config(tmp_path), working_dir=tmp_path, progress=False, llm=["Hi."]) as mind:
        await mind.wait_idle()
        worker = await mind.spawn_agent(["file_interaction"], "worker")
        view, sent = make_view(mind)
        view.open_chat("worker")
        assert view.chat["scope"] == worker and view.chat["available"] is False
        assert view.chat["reason"] == "this agent has no assistant (none of its actors is granted llm)"
        count = len(mind.messages)
        view._answer({"kind": "chat", "action": "send", "scope": worker, "text": "hello"})
        assert view.chat["error"].startswith("cannot send: this agent has no assistant")

        view.open_chat(ROOT)
        for bad, error in [
            ({"action": "send", "scope": ROOT, "text": "  "}, "type a message first"),
            ({"action": "send", "scope": worker, "text": "hi"}, "the pane shows another agent now"),
            ({"action": "dance", "scope": ROOT}, "unknown chat action 'dance'"),
            (
                {"action": "send", "scope": ROOT, "text": "x" * (chat_view.MAX_INPUT + 1)},
                "the message is too long",
            ),
        ]:
            view._answer({"kind": "chat", **bad})
            assert view.chat["error"].startswith(error), (bad, view.chat["error"])
        assert len(mind.messages) == count  # nothing reached the bus

        await mind.exit_agent(worker)
        await mind.wait_idle()
        view.open_chat(worker)
        assert view.chat["reason"] == "the agent has exited"
        view.open_chat("nobody")
        assert view.chat["scope"] == "" and "no agent named or scoped 'nobody'" in view.chat["error"]
        view.open_chat(ROOT)
        assert view.chat["available"] is True
        sent.clear()
    view.detach()  # what %wasmind stop does to its views: the pane says why it takes no more input
    assert view.chat["available"] is False and view.chat["reason"] == "the run has stopped"
    assert [m["available"] for m in sent if m["kind"] == "chat" and "available" in m] == [False]


async def test_the_pane_keeps_the_newest_entries_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chat_view, "MAX_ENTRIES", 3)
    monkeypatch.setattr(chat_view, "MAX_CONTENT", 10)
    async with Wasmind(config(tmp_path, tools=False), progress=False, llm=["one", "two", "three"]) as mind:
        view, sent = make_view(mind)
        view.open_chat(ROOT)
        opened = copy.deepcopy(view.chat)
        for text in ("first question", "b", "c"):
            await mind.send_user_message(ROOT, text)
            await mind.wait_idle()
        chat = await until(view, lambda c: c["entries"] and c["entries"][-1]["content"] == "three")
        assert chat["first"] == 3 and [e["content"] for e in chat["entries"]] == ["two", "c", "three"]
        view.open_chat(ROOT)  # reopened from the log: the same newest entries
        assert view.chat["first"] == 3 and [e["content"] for e in view.chat["entries"]] == [
            "two",
            "c",
            "three",
        ]
        assert mind.conversation(ROOT)[0].content == "first question"
        view.open_chat(ROOT)
        assert view.chat["entries"][0]["content"] == "two"
        for delta in [m for m in sent if m["kind"] == "chat"]:
            if delta["rev"] == opened["rev"] + 1:
                front_end(opened, delta)
        assert [e["content"] for e in opened["entries"]] == ["two", "c", "three"]
        long = chat_view.entry_row(mind.conversation(ROOT)[0])["content"]
        assert long.startswith("first ques\n… (4 more characters")


def test_a_source_without_input_shows_the_pane_disabled() -> None:
    class Recording:
        def __init__(self) -> None:
            self.agents = {ROOT: {"name": "root", "parent": None, "actors": ["assistant"]}}
            self.messages: list[Envelope] = []

        def observe(self, callback: object) -> Callable[[], None]:
            return lambda: None

    view = AgentView(Recording())
    view._answer({"kind": "chat", "action": "send", "scope": "", "text": "hi"})
    assert view.chat["error"] == "select an agent first: click it in the graph"
    view.open_chat(ROOT)
    assert view.chat["scope"] == ROOT and view.chat["available"] is False
    assert view.chat["reason"].startswith("this view's source takes no input")
    view._answer({"kind": "chat", "action": "send", "scope": ROOT, "text": "hi"})  # no error raised
    assert view.chat["error"].startswith("cannot send")
    view._answer({"kind": "chat", "action": "open", "scope": 42})  # bad input: a clear error, no raise
    assert "no agent named or scoped '42'" in view.chat["error"]
