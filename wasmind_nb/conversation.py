"""The conversation of one agent, read from the bus: what `mind.conversation(agent)` and the chat view show.

An agent's conversation is read from the messages its assistant and tools broadcast and the input sent to
it: ``AddMessage`` for it (user and system input), ``Request`` (the system prompt, the latest one kept),
``Response`` (a reply and the tool calls it asks for, with its tokens), ``ToolCallStatusUpdate`` ``Done``
(each call's result), ``UserNotification`` (errors and notices, including the host's about the agent),
``Interrupt``, ``CompactedConversation``, ``StatusUpdate`` (the agent's current status) and
``ChatStateUpdated`` (only to settle calls the assistant closed itself, as on an interrupt). Entries keep
bus order; a result is attached to its call, so a call and its result read together.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from wasmind_nb.payload_text import message_text, short, tool_arguments, variant
from wasmind_nb.runtime.events import Envelope
from wasmind_nb.usage import Usage, usage_text

__all__ = [
    "Conversation",
    "ConversationBuilder",
    "Entry",
    "ToolCallEntry",
    "call_text",
    "conversation_of",
    "status_text",
]

ADD_MESSAGE = "wasmind.common.assistant.AddMessage"
REQUEST = "wasmind.common.assistant.Request"
RESPONSE = "wasmind.common.assistant.Response"
STATUS = "wasmind.common.assistant.StatusUpdate"
CHAT_STATE = "wasmind.common.assistant.ChatStateUpdated"
INTERRUPT = "wasmind.common.assistant.Interrupt"
COMPACTED = "wasmind.common.assistant.CompactedConversation"
TOOL_STATUS = "wasmind.common.tools.ToolCallStatusUpdate"
NOTIFICATION = "wasmind.common.ui.UserNotification"
HOST_SENDERS = ("wasmind__context", "wasmind__coordinator")
_ARG_WIDTH = 40
_WORD_START = re.compile(r"(?<=[a-z])(?=[A-Z])")

#: The types read only from the agent itself (the others are about it: they name its scope).
_OWN_TYPES = frozenset({REQUEST, RESPONSE, STATUS, TOOL_STATUS, CHAT_STATE})

#: The message types a conversation reads (anything else is skipped without being parsed).
TYPES = frozenset(
    {ADD_MESSAGE, REQUEST, RESPONSE, STATUS, INTERRUPT, COMPACTED, TOOL_STATUS, NOTIFICATION, CHAT_STATE}
)


@dataclass
class ToolCallEntry:
    """One tool call of a reply: ``status`` is ``pending`` until its result arrives, then ``ok`` or ``error``.

    ``arguments`` is the decoded JSON object (the raw string when it is not JSON); ``result`` is what the
    model reads, ``summary`` the tool's one-line display of it.
    """

    id: str
    name: str
    arguments: Any
    status: str = "pending"
    result: str | None = None
    summary: str | None = None

    def text(self) -> str:
        """``read_file(path=greeting.py)``."""
        return call_text(self.name, self.arguments)


@dataclass
class Entry:
    """One turn: ``role`` is ``user``, ``system`` (input from another agent or the host), ``assistant``,
    ``error`` or ``notice`` (interrupts, warnings, compaction, the end of the agent's task).

    ``seq`` is the bus position of the message it came from; ``sender`` the scope that sent input
    (``user`` for input from the notebook); ``tokens`` the ``(prompt, completion)`` tokens of a reply.
    """

    seq: int
    role: str
    content: str
    sender: str = ""
    tool_calls: list[ToolCallEntry] = field(default_factory=list)
    tokens: tuple[int, int] | None = None
    title: str = ""


@dataclass
class Conversation:
    """An agent's conversation: plain data, in bus order. ``str(conv)`` (or ``conv.text()``) reads it.

    ``status`` is the assistant's latest status; ``usage`` its model calls (as ``mind.usage()`` counts).
    """

    scope: str
    name: str
    system_prompt: str | None = None
    entries: list[Entry] = field(default_factory=list)
    status: str = ""
    usage: Usage = field(default_factory=Usage)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> Entry:
        return self.entries[index]

    @property
    def tool_calls(self) -> list[ToolCallEntry]:
        """Every tool call, in order."""
        return [call for entry in self.entries for call in entry.tool_calls]

    def to_json(self) -> dict[str, Any]:
        """The conversation as JSON-ready dicts (what the chat view receives)."""
        return asdict(self)

    def text(self, *, system_prompt: bool = False, results: bool = True) -> str:
        """A readable transcript: one block per entry, tool calls indented under their reply.

        ``system_prompt=True`` includes the system prompt; ``results=False`` leaves out tool results.
        """
        label = f"{self.name} ({self.scope})" if self.name else self.scope
        lines = [f"conversation of {label}" + (f": {self.status}" if self.status else "")]
        if self.usage.calls:
            lines[0] += (
                f" ({usage_text(self.usage.prompt_tokens, self.usage.completion_tokens, self.usage.cost)})"
            )
        if system_prompt and self.system_prompt:
            lines += ["system prompt:", *_indent(self.system_prompt)]
        for entry in self.entries:
            lines += _entry_lines(entry, results)
        return "\n".join(lines)

    __str__ = text


def _indent(text: str, prefix: str = "    ") -> list[str]:
    return [prefix + line for line in (text.splitlines() or [""])]


def _entry_lines(entry: Entry, results: bool) -> list[str]:
    head = entry.role
    if entry.role == "system" and entry.sender:
        head = f"system (from {entry.sender})"
    elif entry.role in ("error", "notice") and entry.title:
        head = f"{entry.role}: {entry.title}"
    lines = []
    if entry.content or not entry.tool_calls:
        first, *rest = (entry.content or "").splitlines() or [""]
        lines.append(f"{head}: {first}" if first else head)
        lines += _indent("\n".join(rest)) if rest else []
    else:
        lines.append(f"{head}:")
    for call in entry.tool_calls:
        lines.append(f"  -> {call.text()}  [{call.status}]")
        if results and call.result is not None:
            lines += _indent(call.result, "     ")
    return lines


def call_text(name: str, arguments: Any, width: int = _ARG_WIDTH) -> str:
    """A call as one line: ``read_file(path=greeting.py)``; long values end in ``…``."""
    if isinstance(arguments, dict):
        parts = [f"{key}={_value_text(value, width)}" for key, value in arguments.items()]
        return f"{name}({', '.join(parts)})"
    return f"{name}({short(str(arguments), width)})" if arguments not in (None, "") else f"{name}()"


def _value_text(value: Any, width: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return short(text, width)


def status_text(status: Any) -> str:
    """``processing``, ``waiting for user input``, ``done: <summary>``, ``failed: <why>``."""
    kind, body = variant(status)
    if kind == "Processing":
        return "processing"
    if kind == "Wait":
        reason, _ = variant(body.get("reason") if isinstance(body, dict) else None)
        words = reason.removeprefix("WaitingFor").removeprefix("Waiting")
        spaced = _WORD_START.sub(" ", words).lower().strip()  # WaitingForLiteLLM: "lite llm"
        return f"waiting for {spaced}" if reason.startswith("WaitingFor") else f"waiting ({reason})"
    if kind == "Done":
        outcome, result = variant(body.get("result") if isinstance(body, dict) else None)
        if outcome == "Ok" and isinstance(result, dict):
            word = "done" if result.get("success", True) else "failed"
            return f"{word}: {result.get('summary', '')}"
        return f"failed: {result}"
    return kind.lower()


class ConversationBuilder:
    """Reads envelopes one at a time (in bus order) into the conversation of ``scope``."""

    def __init__(self, scope: str, name: str = "") -> None:
        self.conversation = Conversation(scope, name)
        self._calls: dict[str, ToolCallEntry] = {}
        self._pending: dict[str, ToolCallEntry] = {}
        self._scope_bytes = scope.encode()
        self.last_seq = -1

    def feed_all(self, envelopes: Iterable[Envelope]) -> bool:
        """Reads the envelopes not read yet; returns whether the conversation changed."""
        changed = False
        for env in envelopes:
            changed = self.feed(env) or changed
        return changed

    def feed(self, env: Envelope) -> bool:
        """Reads one envelope; returns whether the conversation changed."""
        if env.seq <= self.last_seq:
            return False
        self.last_seq = env.seq
        if env.message_type not in TYPES or env.replay:
            return False
        if env.message_type == CHAT_STATE and not self._pending:
            return False  # read only to settle calls closed without a result (an interrupt, a lost tool)
        if env.from_scope != self.conversation.scope and (
            env.message_type in _OWN_TYPES or self._scope_bytes not in env.payload
        ):
            return False  # another agent's message, not about this one: not parsed (a log of many agents)
        try:
            payload = json.loads(env.payload)
        except (ValueError, UnicodeDecodeError):
            return False
        if not isinstance(payload, dict):
            return False
        handler = _HANDLERS[env.message_type]
        try:
            return handler(self, env, payload)
        except (AttributeError, KeyError, TypeError):  # a malformed payload is not part of the conversation
            return False

    # -- one handler per message type -----------------------------------------------------------------

    def _own(self, env: Envelope) -> bool:
        return env.from_scope == self.conversation.scope

    def _add(self, entry: Entry) -> bool:
        self.conversation.entries.append(entry)
        return True

    def _add_message(self, env: Envelope, p: dict[str, Any]) -> bool:
        if p.get("agent") != self.conversation.scope:
            return False
        message = p.get("message") or {}
        role = message.get("role", "user")
        sender = "user" if env.from_actor_id in HOST_SENDERS else env.from_scope
        return self._add(Entry(env.seq, role, message_text(message), sender=sender))

    def _request(self, env: Envelope, p: dict[str, Any]) -> bool:
        if not self._own(env):
            return False
        system = message_text((p.get("chat_state") or {}).get("system"))
        if system == self.conversation.system_prompt:
            return False
        self.conversation.system_prompt = system
        return True

    def _response(self, env: Envelope, p: dict[str, Any]) -> bool:
        if not self._own(env):
            return False
        message = p.get("message") or {}
        calls = []
        for raw in message.get("tool_calls") or []:
            function = raw.get("function") or {}
            call = ToolCallEntry(
                str(raw.get("id", "")),
                str(function.get("name", "")),
                tool_arguments(function.get("arguments")),
            )
            self._calls[call.id] = self._pending[call.id] = call
            calls.append(call)
        usage = p.get("usage") or {}
        tokens = (int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))
        return self._add(Entry(env.seq, "assistant", message_text(message), tool_calls=calls, tokens=tokens))

    def _tool_status(self, env: Envelope, p: dict[str, Any]) -> bool:
        call = self._calls.get(str(p.get("id")))
        kind, body = variant(p.get("status"))
        if call is None or not self._own(env) or kind != "Done" or call.status != "pending":
            return False
        outcome, result = variant(body.get("result"))
        result = result if isinstance(result, dict) else {"content": str(result)}
        call.summary = (result.get("ui_display_info") or {}).get("collapsed")
        self._settle(call, "ok" if outcome == "Ok" else "error", str(result.get("content", "")))
        return True

    def _settle(self, call: ToolCallEntry, status: str, result: str) -> None:
        call.status, call.result = status, result
        self._pending.pop(call.id, None)

    def _chat_state(self, env: Envelope, p: dict[str, Any]) -> bool:
        """The history's ``tool`` messages settle calls the assistant closed itself (an interrupt, a tool
        actor that failed): they never get a ``ToolCallStatusUpdate``."""
        if not self._own(env):
            return False
        changed = False
        for message in (p.get("chat_state") or {}).get("messages") or []:
            call = self._pending.get(str(message.get("tool_call_id")))
            if call is not None and message.get("role") == "tool":
                content = message_text(message)
                self._settle(call, "error" if content.startswith("Error:") else "ok", content)
                changed = True
        return changed

    def _notification(self, env: Envelope, p: dict[str, Any]) -> bool:
        about = p.get("source") if env.from_actor_id in HOST_SENDERS else env.from_scope
        if about != self.conversation.scope:
            return False
        role = "error" if p.get("level") == "Error" else "notice"
        return self._add(Entry(env.seq, role, str(p.get("message", "")), title=str(p.get("title", ""))))

    def _interrupt(self, env: Envelope, p: dict[str, Any]) -> bool:
        if p.get("agent") != self.conversation.scope:
            return False
        return self._add(Entry(env.seq, "notice", "interrupt requested", title="Interrupt"))

    def _compacted(self, env: Envelope, p: dict[str, Any]) -> bool:
        if p.get("agent") != self.conversation.scope:
            return False
        n = len(p.get("messages") or [])
        text = f"the history before {p.get('compacted_to')} was replaced by {n} message(s)"
        return self._add(Entry(env.seq, "notice", text, title="Conversation compacted"))

    def _status(self, env: Envelope, p: dict[str, Any]) -> bool:
        if not self._own(env):
            return False
        text = status_text(p.get("status"))
        if text == self.conversation.status:
            return False
        self.conversation.status = text
        if text.startswith(("done:", "failed:")):
            self._add(Entry(env.seq, "notice", text, title="Task finished"))
        return True


_HANDLERS = {
    ADD_MESSAGE: ConversationBuilder._add_message,
    REQUEST: ConversationBuilder._request,
    RESPONSE: ConversationBuilder._response,
    TOOL_STATUS: ConversationBuilder._tool_status,
    NOTIFICATION: ConversationBuilder._notification,
    INTERRUPT: ConversationBuilder._interrupt,
    COMPACTED: ConversationBuilder._compacted,
    STATUS: ConversationBuilder._status,
    CHAT_STATE: ConversationBuilder._chat_state,
}


def conversation_of(scope: str, envelopes: Iterable[Envelope], name: str = "") -> Conversation:
    """The conversation of ``scope`` read from a whole log."""
    builder = ConversationBuilder(scope, name)
    builder.feed_all(envelopes)
    return builder.conversation
