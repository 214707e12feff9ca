"""One-line summaries of the common Wasmind messages, for the view's timeline and its static snapshot.

``user -> coder: "Make it greet in French"``, ``read_file(path=greeting.py)``, ``tool ok: read_file
greeting.py (lines 1-1 of 1)``, ``status: waiting for tools``, ``spawned coder (assistant,
file_interaction)``. A message of another type (or a payload that does not parse) has no summary
(``""``): the timeline shows the start of its payload instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from wasmind_nb.conversation import HOST_SENDERS, call_text, status_text
from wasmind_nb.payload_text import message_text, short, tool_arguments, variant

__all__ = ["MAX_PARSED", "WIDTH", "message_summary"]

WIDTH = 160  # characters of a summary at most
MAX_PARSED = 256 << 10  # payloads larger than this are not parsed for a summary (bytes)
MAX_CHAT_STATE = 64 << 10  # ... and for the whole histories of Request and ChatStateUpdated
_QUOTE = 60  # characters of quoted text (a message's content, a reply)
_COMMON = "wasmind.common."

NameOf = Callable[[str], str]


def _quote(text: str) -> str:
    return f'"{short(text, _QUOTE)}"'


def _call(raw: Any) -> str:
    function = (raw.get("function") if isinstance(raw, dict) else None) or {}
    return call_text(str(function.get("name", "?")), tool_arguments(function.get("arguments")), width=30)


def _add_message(p: dict[str, Any], sender: str, name_of: NameOf) -> str:
    message = p.get("message") or {}
    role = message.get("role", "user")
    to = name_of(str(p.get("agent", "")))
    kind = "" if role == "user" else f" ({role})"
    return f"{sender} -> {to}{kind}: {_quote(message_text(message))}"


def _response(p: dict[str, Any]) -> str:
    message = p.get("message") or {}
    calls = [_call(raw) for raw in message.get("tool_calls") or []]
    text = message_text(message)
    parts = ([_quote(text)] if text or not calls else []) + calls
    usage = p.get("usage") or {}
    tokens = int(usage.get("prompt_tokens") or 0) + int(usage.get("completion_tokens") or 0)
    return "reply " + ", ".join(parts) + (f" ({tokens:,} tokens)" if tokens else "")


def _tool_status(p: dict[str, Any]) -> str:
    kind, body = variant(p.get("status"))
    if kind != "Done":
        return f"tool {kind.lower() or 'status'}"  # Received, AwaitingSystem (call ids vary run to run)
    outcome, result = variant((body or {}).get("result"))
    if isinstance(result, dict):
        shown = (result.get("ui_display_info") or {}).get("collapsed") or result.get("content", "")
    else:
        shown = str(result)
    return f"tool {'ok' if outcome == 'Ok' else 'error'}: {short(shown, _QUOTE * 2)}"


def _chat_state(p: dict[str, Any], what: str) -> str:
    state = p.get("chat_state") or {}
    n, tools = len(state.get("messages") or []), len(state.get("tools") or [])
    return f"{what}: {n} message{'s' if n != 1 else ''}, {tools} tool{'s' if tools != 1 else ''}"


def _spawned(p: dict[str, Any], name_of: NameOf) -> str:
    actors = ", ".join(p.get("actors") or [])
    parent = p.get("parent_agent")
    under = f" under {name_of(parent)}" if parent else ""
    return f"spawned {p.get('name') or p.get('agent_id')} ({actors}){under}"


def _notification(p: dict[str, Any]) -> str:
    level = str(p.get("level", "Info")).lower()
    title, message = str(p.get("title", "")), str(p.get("message", ""))
    return f"{level}: " + ": ".join(x for x in (title, short(message, _QUOTE * 2)) if x)


def _build(message_type: str, p: Any, sender: str, name_of: NameOf) -> str:
    kind = message_type.removeprefix(_COMMON)
    if p is None:
        return {
            "actors.Exit": "exit",
            "actors.ActorReady": "ready",
            "actors.AllActorsReady": "all actors ready",
        }.get(kind, "")
    if not isinstance(p, dict):
        return ""
    if kind == "assistant.AddMessage":
        return _add_message(p, sender, name_of)
    if kind == "assistant.Response":
        return _response(p)
    if kind == "tools.ExecuteToolCall":
        return _call(p.get("tool_call"))
    if kind == "tools.ToolCallStatusUpdate":
        return _tool_status(p)
    if kind == "assistant.StatusUpdate":
        return f"status: {status_text(p.get('status'))}"
    if kind in ("assistant.RequestStatusUpdate", "assistant.QueueStatusChange"):
        return f"{name_of(str(p.get('agent', '')))} status: {status_text(p.get('status'))}"
    if kind == "assistant.Request":
        return _chat_state(p, "model request")
    if kind == "assistant.ChatStateUpdated":
        return _chat_state(p, "chat state")
    if kind == "assistant.Interrupt":
        return f"interrupt {name_of(str(p.get('agent', '')))}"
    if kind == "assistant.CompactedConversation":
        return f"compacted {name_of(str(p.get('agent', '')))} to {len(p.get('messages') or [])} message(s)"
    if kind == "assistant.SystemPromptContribution":
        return f"prompt part {p.get('key', '')} for {name_of(str(p.get('agent', '')))}"
    if kind == "tools.ToolsAvailable":
        names = [str(((t or {}).get("function") or {}).get("name", "?")) for t in p.get("tools") or []]
        return "tools: " + ", ".join(names)
    if kind == "actors.AgentSpawned":
        return _spawned(p, name_of)
    if kind == "actors.ActorFailed":
        first = (str(p.get("error", "")).strip().splitlines() or ["trap"])[0]
        return f"actor {p.get('actor', '?')} failed: {first}"
    if kind == "ui.UserNotification":
        return _notification(p)
    if kind == "litellm.BaseUrlUpdate":  # the URL's port changes from run to run: not in the summary
        models = ", ".join(p.get("models_available") or [])
        return "LLM endpoint announced" + (f", models: {models}" if models else "")
    return ""


_KNOWN = frozenset(
    _COMMON + kind
    for kind in [
        "actors.Exit",
        "actors.ActorReady",
        "actors.AllActorsReady",
        "actors.AgentSpawned",
        "actors.ActorFailed",
        "assistant.AddMessage",
        "assistant.Response",
        "assistant.StatusUpdate",
        "assistant.RequestStatusUpdate",
        "assistant.QueueStatusChange",
        "assistant.Request",
        "assistant.ChatStateUpdated",
        "assistant.Interrupt",
        "assistant.CompactedConversation",
        "assistant.SystemPromptContribution",
        "tools.ToolsAvailable",
        "tools.ExecuteToolCall",
        "tools.ToolCallStatusUpdate",
        "ui.UserNotification",
        "litellm.BaseUrlUpdate",
    ]
)


_CHAT_STATES = {
    _COMMON + "assistant.Request": "model request",
    _COMMON + "assistant.ChatStateUpdated": "chat state",
}


def message_summary(
    message_type: str, payload: bytes, from_actor: str, from_scope: str, name_of: NameOf = str
) -> str:
    """The one-line summary of a message (``""`` for a type without one, or a payload that is not JSON).

    ``name_of(scope)`` names an agent (its name, else the scope); input from the host reads as ``user``.
    """
    if message_type not in _KNOWN or len(payload) > MAX_PARSED:
        return ""
    if message_type in _CHAT_STATES and len(payload) > MAX_CHAT_STATE:
        return _CHAT_STATES[message_type]  # a long history: not parsed for its counts
    try:
        parsed = json.loads(payload) if payload else None
    except (ValueError, UnicodeDecodeError):
        return ""
    sender = "user" if from_actor in HOST_SENDERS else name_of(from_scope)
    try:
        return short(_build(message_type, parsed, sender, name_of), WIDTH)
    except (AttributeError, KeyError, TypeError, ValueError):  # a malformed payload: no summary
        return ""
