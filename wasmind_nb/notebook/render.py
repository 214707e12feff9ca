"""Short, stable text and HTML for the ``%wasmind`` magics (compared by nbval, so no times or ids).

Scope ids do appear (users type them); every place that shows one matches a pattern of
``notebooks/nbval_sanitize.cfg``: ``scope XXXXXX`` in sentences, the first column of a text table, and
``<code>XXXXXX</code>`` in HTML.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from wasmind_nb.config import Capabilities
from wasmind_nb.mind import AgentInfo
from wasmind_nb.runtime.events import ActorFault
from wasmind_nb.usage import Usage, total

_COMMON = "wasmind.common."


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def short_type(message_type: str) -> str:
    """``wasmind.common.actors.ActorReady`` -> ``actors.ActorReady``; custom types unchanged."""
    return message_type.removeprefix(_COMMON)


def text_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces, no trailing blanks."""
    rows = [list(header), *(list(r) for r in rows)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def html_table(header: Sequence[str], rows: Iterable[Sequence[str]], *, css_class: str) -> str:
    """A plain HTML table; the first column holds scopes and is set in ``<code>``."""
    head = "".join(f"<th style='text-align:left'>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td style='text-align:left'>{f'<code>{escape(c)}</code>' if i == 0 else escape(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table class='{css_class}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class StatusTable:
    """``%wasmind status``: one row per agent (scope, name, state, actors, and its model usage if any
    agent called a model), as text and HTML."""

    HEADER = ("scope", "name", "state", "actors")

    def __init__(
        self,
        agents: Mapping[str, AgentInfo],
        *,
        messages: int,
        running: bool,
        grants: Mapping[str, Capabilities] | None = None,
        denials: int = 0,
    ) -> None:
        used_models = any(a.usage.calls for a in agents.values())
        self.header = (*self.HEADER, "usage") if used_models else self.HEADER
        self.rows = [
            (a.scope, a.name, a.state_text, ", ".join(a.actors), *([_usage(a.usage)] if used_models else []))
            for a in agents.values()
        ]
        live = sum(1 for a in agents.values() if a.alive)
        where = "running" if running else "stopped"
        self.caption = f"Wasmind {where}: {plural(live, 'live agent')}, {plural(messages, 'message')}"
        if used_models:
            self.caption += f", {total(a.usage for a in agents.values())}"
        if denials:
            self.caption += f", {plural(denials, 'denial')} (`mind.denials`)"
        used = {name for a in agents.values() for name in a.actors}
        shown = sorted(
            name for name in (grants or {}) if name in used and grants[name].summary() != "nothing"
        )
        self.grants = "; ".join(f"{name}: {grants[name].summary()}" for name in shown) if grants else ""

    def __repr__(self) -> str:
        text = f"{self.caption}\n{text_table(self.header, self.rows)}"
        return f"{text}\ngrants: {self.grants}" if self.grants else text

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        table = html_table(self.header, self.rows, css_class="wasmind-status")
        grants = f"<div>grants: {escape(self.grants)}</div>" if self.grants else ""
        return f"<div class='wasmind-status'><div><b>{escape(self.caption)}</b></div>{table}{grants}</div>"


def _usage(usage: Usage) -> str:
    """An agent's usage cell: empty when it called no model."""
    return str(usage) if usage.calls else ""


def timeline_text(rows: Sequence[Any], total: int, last: int, *, filtered: bool = False) -> str:
    """The text fallback of ``%wasmind timeline``: the last ``last`` rows (scope, #, type, from actor).

    ``rows`` are ``AgentView`` message rows (``MessageRow``) that passed the filters, ``total`` counts
    every message; with ``filtered``, the heading says how many match (``0 of 16 messages match``).
    """
    shown = rows[-last:] if last > 0 else []
    if filtered and len(shown) < len(rows):
        what = f"last {len(shown)} of {len(rows)} matching messages ({total} in all)"
    elif filtered:
        what = f"{len(rows)} of {plural(total, 'message')} match"
    elif len(shown) < total:
        what = f"last {len(shown)} of {plural(total, 'message')}"
    else:
        what = plural(total, "message")
    if not shown:
        return f"Wasmind timeline: {what}"
    table = text_table(
        ("scope", "#", "type", "from"), ((r.scope, str(r.seq), short_type(r.type), r.actor) for r in shown)
    )
    return f"Wasmind timeline: {what}\n{table}"


def started_text(agents: Mapping[str, AgentInfo], llm_mode: str, var: str) -> str:
    """What ``%wasmind start`` prints once the root agent is ready."""
    root = next(iter(agents.values()), None)
    actors = ", ".join(root.actors) if root and root.actors else "no actors"
    return f"Wasmind started: root scope 000000 ({actors}); LLM {llm_mode}; `{var}` is the Wasmind object"


def spawned_text(info: AgentInfo) -> str:
    return f"spawned '{info.name}' in scope {info.scope} ({', '.join(info.actors)})"


def idle_text(agents: Mapping[str, AgentInfo], messages: int) -> str:
    live = sum(1 for a in agents.values() if a.alive)
    return f"idle: {plural(live, 'live agent')}, {plural(messages, 'message')}"


def faults_text(faults: Sequence[ActorFault]) -> str:
    """One line per actor that trapped (first line of the error)."""
    lines = []
    for f in faults:
        first = (f.error or "").strip().splitlines()
        lines.append(f"actor '{f.actor}' in scope {f.scope} failed: {first[0] if first else 'trap'}")
    return "\n".join(lines)
