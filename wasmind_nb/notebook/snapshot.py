"""Static fallback of ``AgentView``: plain text and self-contained HTML (no JavaScript).

Shown where widgets do not run (nbconvert, GitHub) and compared by nbval, so the output is stable from
run to run: no times, no message ids, and scope ids other than the root's are replaced by ``#1``, ``#2``,
... in spawn order. A common message reads as its one-line summary (``notebook/summaries.py``, scope ids
in it aliased too); any other payload is summarised by shape (the JSON object's keys), never quoted. An
agent that exited keeps the colour of its last status (the line is paler), as in the live view.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from html import escape
from typing import Any

from wasmind_nb.runtime.events import ROOT_SCOPE

__all__ = ["render_html", "summary_text"]

# Row positions (see widget.py).
A_SCOPE, A_NAME, A_PARENT, A_STATE, A_STATUS, A_DETAIL, A_ACTORS, A_FAULTS, A_USAGE, A_FAILED = range(10)
M_SEQ, M_ID, M_TYPE, M_ACTOR, M_SCOPE, M_TARGET, M_TEXT, M_SIZE, M_FLAGS, M_SUMMARY = range(10)

MAX_TREE = 100  # agents drawn in the tree; the rest are counted

_COLORS = {
    "processing": "#2f80ed",
    "waiting": "#e0a030",
    "done": "#27ae60",
    "error": "#d64545",
    "exited": "#aab1ba",
    "failed": "#8e1f1f",
}
_LEGEND = ("processing", "waiting", "done", "error", "failed")
_SCOPE_WORD = re.compile(r"\b[A-Za-z0-9]{6}\b")
_COMMON = "wasmind.common."
_STATUS_TYPE = "wasmind.common.assistant.StatusUpdate"


def summary_text(agents: Sequence[Sequence[Any]], total_messages: int) -> str:
    """``AgentView: 3 agents, 12 messages``."""
    return f"AgentView: {_plural(len(agents), 'agent')}, {_plural(total_messages, 'message')}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def render_html(
    agents: Sequence[Sequence[Any]],
    messages: Sequence[Sequence[Any]],
    *,
    total: int | None = None,
    last: int = 20,
) -> str:
    """A tree of agents and a table of the last ``last`` messages, as one ``<div>``."""
    total = len(messages) if total is None else total
    alias = _aliases(agents)
    live = sum(1 for a in agents if a[A_STATE] == "live")
    parts = [
        '<div class="wasmind-agent-view-snapshot" style="font-family:sans-serif;font-size:12px">',
        f"<div><b>{escape(summary_text(agents, total))}</b> ({live} live)</div>",
        _legend() if agents else "",
        _tree(agents, alias),
        _table(messages[-last:] if last > 0 else [], agents, alias, total),
        "</div>",
    ]
    return "\n".join(p for p in parts if p)


def _legend() -> str:
    """The colours of the tree's dots, in one line."""
    dots = [f'<span style="color:{_COLORS[key]}">●</span> {key}' for key in _LEGEND]
    return '<div style="color:#888">' + " ".join(dots) + " · paler: exited, its last status</div>"


def _aliases(agents: Sequence[Sequence[Any]]) -> dict[str, str]:
    """Scope -> a stable label: the root keeps its id, the others are numbered in spawn order."""
    alias: dict[str, str] = {}
    for row in agents:
        scope = row[A_SCOPE]
        alias[scope] = scope if scope == ROOT_SCOPE else f"#{len(alias) + (ROOT_SCOPE not in alias)}"
    return alias


def _children(agents: Sequence[Sequence[Any]]) -> tuple[list[int], dict[int, list[int]]]:
    index = {row[A_SCOPE]: i for i, row in enumerate(agents)}
    roots: list[int] = []
    kids: dict[int, list[int]] = {}
    for i, row in enumerate(agents):
        p = index.get(row[A_PARENT]) if row[A_PARENT] is not None else None
        if p is None or p == i:
            roots.append(i)
        else:
            kids.setdefault(p, []).append(i)
    return roots, kids


def _tree(agents: Sequence[Sequence[Any]], alias: dict[str, str]) -> str:
    if not agents:
        return "<div><i>no agents</i></div>"
    roots, kids = _children(agents)
    lines: list[str] = []
    shown = 0
    seen: set[int] = set()
    stack = [(i, 0) for i in reversed(roots)]
    while stack and shown < MAX_TREE:
        i, depth = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        shown += 1
        lines.append(_agent_line(agents[i], alias, depth))
        stack.extend((c, depth + 1) for c in reversed(kids.get(i, [])))
    if len(agents) > shown:
        lines.append(f'<div style="color:#888">… and {len(agents) - shown} more agents</div>')
    return '<div style="margin:4px 0">' + "".join(lines) + "</div>"


def _agent_line(row: Sequence[Any], alias: dict[str, str], depth: int) -> str:
    state, status = row[A_STATE], row[A_STATUS]
    key = "failed" if state == "failed" else status or state  # an exited agent keeps its last status
    color = _COLORS.get(key, "#7f8c9b")
    failed = row[A_FAILED] if len(row) > A_FAILED else 0  # rows saved before 'failed' existed have none
    shown = f"{state}, {_plural(failed, 'actor')} failed" if failed and state != "failed" else state
    words = [shown] + ([status] if status else []) + ([row[A_DETAIL]] if row[A_DETAIL] else [])
    actors = ", ".join(row[A_ACTORS])
    faults = f' <span style="color:#d64545">{_plural(row[A_FAULTS], "fault")}</span>' if row[A_FAULTS] else ""
    style = f"padding-left:{depth * 1.5:g}em" + (";opacity:0.6" if state == "exited" else "")
    return (
        f'<div style="{style}"><span style="color:{color}">●</span> '
        f"<b>{escape(row[A_NAME] or '(unnamed)')}</b> <code>{escape(alias[row[A_SCOPE]])}</code> "
        f"{escape(' · '.join(words))}"
        + (f' <span style="color:#888">[{escape(actors)}]</span>' if actors else "")
        + f"{faults}</div>"
    )


def _table(
    messages: Sequence[Sequence[Any]],
    agents: Sequence[Sequence[Any]],
    alias: dict[str, str],
    total: int,
) -> str:
    if not messages:
        return ""
    names = {row[A_SCOPE]: row[A_NAME] for row in agents}
    head = "".join(
        f'<th style="text-align:left;padding:0 6px">{h}</th>'
        for h in ("#", "agent", "actor", "type", "message")
    )
    rows = []
    for m in messages:
        scope = m[M_SCOPE]
        who = f"{names.get(scope) or ''} {alias.get(scope, '?')}".strip()
        summary = m[M_SUMMARY] if len(m) > M_SUMMARY else ""  # rows saved before summaries have none
        if summary:
            what = _SCOPE_WORD.sub(lambda w: alias.get(w.group(), w.group()), summary)
        else:
            what = (f"→ {alias.get(m[M_TARGET], '?')} " if m[M_TARGET] else "") + _payload_shape(m)
        cells = (str(m[M_SEQ]), who, m[M_ACTOR], _short_type(m[M_TYPE]), what)
        rows.append("<tr>" + "".join(f'<td style="padding:0 6px">{escape(c)}</td>' for c in cells) + "</tr>")
    caption = f"last {len(messages)} of {total} messages" if total > len(messages) else f"{total} messages"
    return (
        f'<table style="border-collapse:collapse;font-family:monospace;font-size:11px">'
        f'<caption style="text-align:left;color:#888">{caption}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _short_type(message_type: str) -> str:
    return message_type[len(_COMMON) :] if message_type.startswith(_COMMON) else message_type


def _payload_shape(m: Sequence[Any]) -> str:
    """A run-independent summary of a payload: a status, the keys of an object, or its kind."""
    text, size = m[M_TEXT], m[M_SIZE]
    if size == 0:
        return ""
    try:
        value = json.loads(text)
    except ValueError:  # a preview cut short, or not JSON: say what it is, never how long (run-dependent)
        start = text.lstrip()[:1]
        return {"{": "{…}", "[": "[…]"}.get(start, "text")
    if m[M_TYPE] == _STATUS_TYPE and isinstance(value, dict):
        return _status_shape(value.get("status"))
    if isinstance(value, dict):
        keys = list(value)
        return "{" + ", ".join(keys[:6]) + (", …" if len(keys) > 6 else "") + "}"
    if value is None:
        return "null"
    return type(value).__name__


def _status_shape(status: object) -> str:
    """``Processing``, ``Done`` or ``Wait(WaitingForTools)``."""
    if not isinstance(status, dict) or len(status) != 1:
        return str(status)
    ((tag, body),) = status.items()
    reason = body.get("reason") if isinstance(body, dict) else None
    if isinstance(reason, dict) and len(reason) == 1:
        reason = next(iter(reason))
    return f"{tag}({reason})" if isinstance(reason, str) else str(tag)
