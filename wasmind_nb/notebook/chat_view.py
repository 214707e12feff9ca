"""The view's chat pane on the Python side: the selected agent's conversation, live, and its input box.

:class:`ChatPanel` keeps the ``chat`` dict the front end shows (``js/src/chat.js``): the conversation of
the one agent selected in the view, read incrementally with a
:class:`~wasmind_nb.conversation.ConversationBuilder` and bounded in size (the newest ``MAX_ENTRIES``
entries, long texts cut). Changes go out as small deltas (new and changed entries only). It runs the
pane's Send (an ``AddMessage`` as the user) and Interrupt against the source (a
:class:`wasmind_nb.Wasmind`); both are disabled, with the reason, for a source that takes no input, a
stopped run, a replayed recording, an agent that ended or one without an assistant. Errors are shown in
the pane, never raised into the kernel's comm handler.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import Any

from wasmind_nb.conversation import ConversationBuilder, Entry, ToolCallEntry
from wasmind_nb.runtime.events import AgentEvent, Envelope

log = logging.getLogger("wasmind_nb.notebook")

MAX_ENTRIES = 200  # newest entries kept in the pane; older ones are counted in ``first``
MAX_CONTENT = 20_000  # characters of an entry's text
MAX_RESULT = 10_000  # characters of a tool call's arguments or result
MAX_PROMPT = 50_000  # characters of the system prompt
MAX_INPUT = 100_000  # characters a message typed in the pane may have

ENDED = {"exited": "the agent has exited", "exiting": "the agent is exiting", "failed": "the agent failed"}


def _cut(text: str | None, limit: int) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + f"\n… ({len(text) - limit:,} more characters; mind.conversation() has them all)"


def call_row(call: ToolCallEntry) -> dict[str, Any]:
    """What the pane shows of one tool call: its one-line form, arguments as JSON, its status and result."""
    arguments = call.arguments
    shown = arguments if isinstance(arguments, str) else json.dumps(arguments, indent=2, ensure_ascii=False)
    return {
        "id": call.id,
        "name": call.name,
        "call": call.text(),
        "arguments": _cut(shown, MAX_RESULT),
        "status": call.status,
        "result": _cut(call.result, MAX_RESULT),
        "summary": call.summary,
    }


def entry_row(entry: Entry) -> dict[str, Any]:
    """What the pane shows of one entry (JSON-ready)."""
    return {
        "seq": entry.seq,
        "role": entry.role,
        "content": _cut(entry.content, MAX_CONTENT),
        "sender": entry.sender,
        "title": entry.title,
        "tokens": list(entry.tokens) if entry.tokens else None,
        "tool_calls": [call_row(call) for call in entry.tool_calls],
    }


def _field(info: Any, name: str, default: Any = None) -> Any:
    if isinstance(info, Mapping):
        return info.get(name, default)
    return getattr(info, name, default)


def empty_chat(error: str = "") -> dict[str, Any]:
    """The pane with no agent selected."""
    return {
        "scope": "",
        "name": "",
        "rev": 0,
        "available": False,
        "reason": "select an agent to see its conversation",
        "status": "",
        "system_prompt": None,
        "first": 0,
        "entries": [],
        "error": error,
        "sending": False,
    }


class ChatPanel:
    """Follows the conversation of the selected agent of one source; carries out Send and Interrupt."""

    def __init__(
        self,
        source: object | None,
        publish: Callable[[dict[str, Any]], None],
        send: Callable[[dict[str, Any]], None],
    ) -> None:
        self._source = source
        self._publish = publish  # replaces the synced ``chat`` dict (a full sync: on open)
        self._send = send  # sends a delta (the synced dict is changed in place first)
        self._builder: ConversationBuilder | None = None
        self._chat = empty_chat()
        self._open: set[int] = set()  # entries with a call still pending (they may change)
        self._sending = 0

    def current(self) -> dict[str, Any]:
        return self._chat

    @property
    def scope(self) -> str:
        return self._chat["scope"]

    # -- selection ------------------------------------------------------------------------------------

    def open(self, agent: str) -> None:
        """Show the conversation of ``agent`` (a scope, or a name the source resolves); ``""`` closes it."""
        agent = str(agent or "").strip()
        if not agent:
            self._reset(empty_chat())
            return
        try:
            scope = self._resolve(agent)
        except Exception as err:  # an unknown name: shown in the pane
            self._reset(empty_chat(str(err)))
            return
        info = self._agents().get(scope)
        name = str(_field(info, "name", "") or ("root" if scope == "000000" else ""))
        self._builder = ConversationBuilder(scope, name)
        messages = list(getattr(self._source, "messages", None) or ())
        self._builder.feed_all(messages)
        conv = self._builder.conversation
        chat = empty_chat()
        chat.update(
            scope=scope, name=name, status=conv.status, system_prompt=_cut(conv.system_prompt, MAX_PROMPT)
        )
        first = max(0, len(conv.entries) - MAX_ENTRIES)
        chat["first"] = first
        chat["entries"] = [entry_row(e) for e in conv.entries[first:]]
        self._open = {
            i for i, e in enumerate(conv.entries) if any(c.status == "pending" for c in e.tool_calls)
        }
        chat["available"], chat["reason"] = self._availability(scope)
        self._reset(chat)

    def _reset(self, chat: dict[str, Any]) -> None:
        chat["rev"] = self._chat.get("rev", 0) + 1
        if not chat["scope"]:
            self._builder = None
            self._open = set()
        self._chat = chat
        self._publish(chat)

    def _resolve(self, agent: str) -> str:
        if agent in self._agents():
            return agent
        scope_of = getattr(self._source, "scope_of", None)
        if callable(scope_of):
            return str(scope_of(agent))
        raise ValueError(f"no agent named or scoped '{agent}'")

    def _agents(self) -> Mapping[str, Any]:
        try:
            return getattr(self._source, "agents", None) or {}
        except Exception:  # a Wasmind that never started
            return {}

    # -- availability ---------------------------------------------------------------------------------

    def _availability(self, scope: str) -> tuple[bool, str]:
        """Whether the pane takes input for ``scope``, and why not."""
        source = self._source
        if source is None or not callable(getattr(source, "send_user_message", None)):
            return False, "this view's source takes no input (a recording or a static view)"
        if not getattr(source, "running", False):
            return False, "the run has stopped"
        llm = getattr(getattr(source, "config", None), "llm", None)
        if getattr(llm, "mode", "") == "replay":
            return False, 'a replayed recording ([llm] mode = "replay"): its replies are fixed'
        info = self._agents().get(scope)
        if info is None:
            return False, "the agent is unknown"
        state = str(_field(info, "state", "") or "")
        if state in ENDED:
            return False, ENDED[state]
        if not self._has_assistant(_field(info, "actors", ()) or ()):
            return False, "this agent has no assistant (none of its actors is granted llm)"
        return True, ""

    def _has_assistant(self, actors: Iterable[str]) -> bool:
        grants = getattr(self._source, "grants", None)
        if not isinstance(grants, Mapping):
            return True  # a source that cannot say: let the assistant answer (or not)
        return any(getattr(grants.get(actor), "llm", False) for actor in actors)

    # -- live updates ---------------------------------------------------------------------------------

    def apply(self, events: Iterable[object]) -> dict[str, Any] | None:
        """Read a batch of events; the delta for the front end if the pane changed (``None`` otherwise)."""
        builder = self._builder
        if builder is None:
            return None
        conv = builder.conversation
        before = len(conv.entries)
        status, prompt = conv.status, conv.system_prompt
        agent_changed = False
        for event in events:
            if isinstance(event, Envelope):
                builder.feed(event)
            elif isinstance(event, AgentEvent) and event.scope == self.scope:
                agent_changed = True
        changed = self._changed_entries(before)
        header: dict[str, Any] = {}
        if conv.status != status:
            header["status"] = conv.status
        if conv.system_prompt != prompt:
            header["system_prompt"] = _cut(conv.system_prompt, MAX_PROMPT)
        if agent_changed:
            available, reason = self._availability(self.scope)
            if (available, reason) != (self._chat["available"], self._chat["reason"]):
                header.update(available=available, reason=reason)
        if not changed and not header:
            return None
        return self._delta(header, changed)

    def _changed_entries(self, before: int) -> list[int]:
        """Indices (in the whole conversation) of the entries added or changed since the last delta."""
        entries = self._builder.conversation.entries  # type: ignore[union-attr]
        first = self._chat["first"]
        changed = []
        for i in sorted(self._open):
            if i >= first and entry_row(entries[i]) != self._chat["entries"][i - first]:
                changed.append(i)
        changed += range(before, len(entries))
        self._open = {
            i
            for i in self._open | set(range(before, len(entries)))
            if any(c.status == "pending" for c in entries[i].tool_calls)
        }
        return changed

    def _delta(self, header: dict[str, Any], changed: list[int]) -> dict[str, Any]:
        """Applies the change to the shown dict (in place: a page that opens later gets it) and returns it."""
        chat = self._chat
        entries = self._builder.conversation.entries  # type: ignore[union-attr]
        rows = [[i, entry_row(entries[i])] for i in changed]
        chat.update(header)
        for i, row in rows:
            local = i - chat["first"]
            if local < len(chat["entries"]):
                chat["entries"][local] = row
            else:
                chat["entries"].append(row)
        extra = len(chat["entries"]) - MAX_ENTRIES
        if extra > 0:
            del chat["entries"][:extra]
            chat["first"] += extra
        chat["rev"] += 1
        return {
            "kind": "chat",
            "scope": chat["scope"],
            "rev": chat["rev"],
            "first": chat["first"],
            "entries": rows,
            **header,
        }

    def recheck(self) -> None:
        """Re-check whether the pane takes input (the view stops following a run that stopped, say)."""
        if self._builder is None:
            return
        available, reason = self._availability(self.scope)
        if (available, reason) != (self._chat["available"], self._chat["reason"]):
            self._send_header(available=available, reason=reason)

    def _send_header(self, **header: Any) -> None:
        if self._builder is None:  # no agent shown: the empty pane is replaced whole
            self._chat = {**self._chat, **header}
            self._reset(self._chat)
            return
        self._send(self._delta(header, []))

    # -- commands -------------------------------------------------------------------------------------

    def command(self, content: dict[str, Any]) -> None:
        """Run the pane's request: ``{"kind": "chat", "action": "open", "scope": ...}``, ``"send"`` with
        ``"text"``, or ``"interrupt"`` (both for the agent shown)."""
        action = content.get("action")
        if action == "open":
            self.open(str(content.get("scope") or ""))
            return
        if action not in ("send", "interrupt"):
            self._fail(f"unknown chat action {action!r}")
            return
        scope = str(content.get("scope") or "")
        if not self.scope:
            self._fail("select an agent first: click it in the graph")
            return
        if scope != self.scope:
            self._fail("the pane shows another agent now: nothing was sent")
            return
        available, reason = self._availability(scope)
        if not available:
            self._send_header(available=False, reason=reason, error=f"cannot {action}: {reason}")
            return
        if action == "send":
            text = str(content.get("text") or "")
            if not text.strip():
                self._fail("type a message first")
                return
            if len(text) > MAX_INPUT:
                self._fail(f"the message is too long ({len(text):,} characters, at most {MAX_INPUT:,})")
                return
            coroutine = self._source.send_user_message(scope, text)  # type: ignore[union-attr]
        else:
            coroutine = self._source.interrupt(scope)  # type: ignore[union-attr]
        self._run(coroutine)

    def _run(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        """Runs a send / interrupt on the source's loop (a comm handler may run where another is current)."""
        try:
            loop = self._source.runtime.loop  # type: ignore[union-attr]
            future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        except Exception as err:
            coroutine.close()
            self._fail(str(err))
            return
        self._sending += 1
        self._send_header(sending=True, error="")
        future.add_done_callback(self._done)

    def _done(self, future: concurrent.futures.Future[Any]) -> None:
        self._sending -= 1
        error = ""
        if not future.cancelled() and future.exception() is not None:
            error = str(future.exception())
        self._send_header(sending=self._sending > 0, error=error)

    def _fail(self, error: str) -> None:
        self._send_header(error=error)


__all__ = ["ChatPanel", "call_row", "empty_chat", "entry_row"]
