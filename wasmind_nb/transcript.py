"""One readable line per message, for terminals, logs and notebook text output.

Common message types get a tailored summary (a user message, a tool call and its result, an answer, a
status change); other types show their type and sender. Lines carry no times and no random ids, so a
transcript of a deterministic run is stable.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from wasmind_nb.payload_text import short, variant
from wasmind_nb.runtime.events import Envelope

_WIDTH = 100


def _add_message(p: dict) -> str:
    message = p.get("message", {})
    return f"{message.get('role', '?')} -> {p.get('agent')}: {short(message.get('content', ''), _WIDTH)}"


def _response(p: dict) -> str:
    message = p.get("message", {})
    calls = message.get("tool_calls") or []
    if calls:
        return "calls " + ", ".join(_call(c.get("function", {})) for c in calls)
    return f"answers: {short(message.get('content') or '', _WIDTH)}"


def _call(function: dict) -> str:
    return f"{function.get('name')}({short(function.get('arguments', ''), 60)})"


def _tool_status(p: dict) -> str | None:
    kind, body = variant(p.get("status"))
    if kind != "Done":
        return None
    outcome, result = variant(body.get("result"))
    summary = (result or {}).get("ui_display_info", {}).get("collapsed") or (result or {}).get("content", "")
    return f"tool {'ok' if outcome == 'Ok' else 'error'}: {short(summary, _WIDTH)}"


def _status(p: dict) -> str:
    kind, body = variant(p.get("status"))
    if kind == "Wait":
        reason, _ = variant(body.get("reason"))
        return f"status: waiting ({reason})"
    if kind == "Done":
        outcome, result = variant(body.get("result"))
        detail = result.get("summary") if isinstance(result, dict) else result
        return f"status: done ({'ok' if outcome == 'Ok' else 'failed'}): {short(detail or '', _WIDTH)}"
    return f"status: {kind.lower()}"


def _spawned(p: dict) -> str:
    actors = ", ".join(p.get("actors", [])) or "no actors"
    return f"agent {p.get('name')} ({p.get('agent_id')}) spawned with {actors}"


def _notification(p: dict) -> str:
    return f"{str(p.get('level', '')).lower()}: {p.get('title')}: {short(p.get('message', ''), _WIDTH)}"


_DESCRIBE: dict[str, Callable[[dict], str | None]] = {
    "wasmind.common.assistant.AddMessage": _add_message,
    "wasmind.common.assistant.Response": _response,
    "wasmind.common.tools.ToolCallStatusUpdate": _tool_status,
    "wasmind.common.assistant.StatusUpdate": _status,
    "wasmind.common.actors.AgentSpawned": _spawned,
    "wasmind.common.ui.UserNotification": _notification,
}

#: Types a transcript shows by default: the conversation, tools, spawns, problems.
CONVERSATION = frozenset(_DESCRIBE) - {"wasmind.common.assistant.StatusUpdate"}


def summarize(envelope: Envelope) -> str | None:
    """The tailored summary of a common message, or ``None`` (other types, progress-only updates)."""
    describer = _DESCRIBE.get(envelope.message_type)
    if describer is None:
        return None
    try:
        payload = json.loads(envelope.payload) if envelope.payload else None
        return describer(payload) if isinstance(payload, dict) else None
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def describe(envelope: Envelope) -> str:
    """One line for one message: ``[scope] sender: summary`` (the type when there is no summary)."""
    return f"[{envelope.from_scope}] {envelope.from_actor_id}: {summarize(envelope) or envelope.message_type}"


def transcript(envelopes: Iterable[Envelope], types: Iterable[str] | None = CONVERSATION) -> list[str]:
    """Lines for the messages whose type is in ``types`` (every message with ``types=None``).

    Common messages with nothing to report (a tool's ``Received`` progress) are left out.
    """
    wanted = None if types is None else set(types)
    lines = []
    for envelope in envelopes:
        if wanted is not None and envelope.message_type not in wanted:
            continue
        if envelope.message_type in _DESCRIBE and summarize(envelope) is None:
            continue
        lines.append(describe(envelope))
    return lines
