"""Readers of the common payload shapes as text, shared by every text view of the bus: the transcript,
an agent's conversation, the timeline's one-line summaries, the view's agent states and the approvals.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["message_text", "short", "tool_arguments", "variant"]


def short(text: object, width: int) -> str:
    """``text`` on one line (runs of whitespace made one space), cut to ``width`` ending in ``…``."""
    line = " ".join(str(text).split())
    return line if len(line) <= width else line[: width - 1] + "…"


def variant(value: object) -> tuple[str, Any]:
    """An externally tagged serde enum as ``(tag, body)``: ``"Processing"`` is ``("Processing", None)``,
    ``{"Wait": {...}}`` is ``("Wait", {...})``; anything else is ``("", None)``."""
    if isinstance(value, str):
        return value, None
    if isinstance(value, dict) and len(value) == 1:
        ((tag, body),) = value.items()
        return str(tag), body
    return "", None


def message_text(message: object) -> str:
    """The text of a chat message: its ``content``, a string or OpenAI content parts; ``""`` otherwise."""
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def tool_arguments(raw: object) -> Any:
    """A tool call's arguments: the decoded JSON (``{}`` for none), or the raw string when it is not JSON."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw) if raw.strip() else {}
    except ValueError:
        return raw
