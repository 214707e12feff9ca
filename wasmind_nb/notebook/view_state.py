"""The state an ``AgentView`` shows, as compact rows, and the deltas that keep a front end in step.

``ViewState`` is built from a source (a ``Wasmind``, a recording) and applies runtime events to its
agent, message and fault rows; ``take_delta`` hands out what changed since the last call. Row positions
are shared with ``js/src/format.js`` (see ``wasmind_nb.notebook.widget``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from wasmind_nb.notebook.summaries import message_summary
from wasmind_nb.payload_text import short, variant
from wasmind_nb.runtime.events import ROOT_SCOPE, ActorFault, AgentEvent, Envelope, RuntimeEvent
from wasmind_nb.usage import RESPONSE_TYPE, Pricing, response_tokens

__all__ = ["AgentSource", "MessageRow", "ViewState", "status_of"]

STATUS_TYPE = "wasmind.common.assistant.StatusUpdate"
SPAWNED_TYPE = "wasmind.common.actors.AgentSpawned"

# Runtime agent states / agent event changes -> the widget's lifecycle states.
_STATES = {"spawned": "live", "running": "live"}

# The scope a message is about: the first "agent" / "agent_id" field holding a scope (AddMessage,
# RequestStatusUpdate, AgentSpawned, ...). A regex, not a JSON parse: it runs for every message.
_TARGET = re.compile(rb'"agent(?:_id)?"\s*:\s*"([A-Za-z0-9]{6})"')

FLAG_CUT = 1
FLAG_REPLAY = 2

# Agent and message row positions.
A_SCOPE, A_NAME, A_PARENT, A_STATE, A_STATUS, A_DETAIL, A_ACTORS, A_FAULTS, A_USAGE, A_FAILED = range(10)
M_SEQ, M_ID, M_TYPE, M_ACTOR, M_SCOPE, M_TARGET, M_TEXT, M_SIZE, M_FLAGS, M_SUMMARY = range(10)

Callback = Callable[[list[RuntimeEvent]], None]


class AgentSource(Protocol):
    """What ``AgentView`` needs from a runtime (``Wasmind`` provides it)."""

    def observe(self, callback: Callback) -> Callable[[], None]:
        """Calls ``callback`` with batches of events on the loop thread; returns an unsubscribe function."""
        ...

    @property
    def agents(self) -> Mapping[str, Any]:
        """Scope -> agent info (attributes or keys ``name``, ``parent``, ``actors``, optional ``state``
        (spawning, running, exiting, exited, failed) and ``error``)."""
        ...

    @property
    def messages(self) -> Sequence[Envelope]:
        """Every envelope so far, in bus order."""
        ...

    # Optional: ``faults`` (``ActorFault`` so far, shown by a view created later) and ``pricing`` (a
    # ``wasmind_nb.usage.Pricing``: the model of each actor and its price, for the cost figures).


_DETAIL = 120  # characters of an agent's detail line at most


class MessageRow(NamedTuple):
    """A timeline row, as returned by ``AgentView.filtered_messages``."""

    seq: int
    id: str
    type: str
    actor: str
    scope: str
    target: str
    text: str
    size: int
    flags: int
    summary: str = ""


def status_of(payload: object) -> tuple[str, str]:
    """``(status, detail)`` of a ``StatusUpdate`` payload: processing/waiting/done/error, a short reason."""
    status = payload.get("status") if isinstance(payload, dict) else None
    kind, body = variant(status)
    if kind == "Processing":
        return "processing", ""
    if kind == "Wait":
        reason, _ = variant(body.get("reason") if isinstance(body, dict) else None)
        return "waiting", reason
    if kind == "Done":
        result = body.get("result") if isinstance(body, dict) else None
        tag, value = variant(result)
        if tag == "Err":
            return "error", short(str(value), _DETAIL)
        ok = value if isinstance(value, dict) else {}
        summary = short(str(ok.get("summary", "")), _DETAIL)
        return ("done" if ok.get("success", True) else "error"), summary
    return "", ""


def _field(info: Any, name: str, default: Any = None) -> Any:
    if isinstance(info, Mapping):
        return info.get(name, default)
    return getattr(info, name, default)


class ViewState:
    """The rows the widget shows, and the delta produced by applying a batch of runtime events."""

    def __init__(
        self,
        *,
        max_messages: int | None = 200_000,
        payload_preview: int = 2048,
        pricing: Pricing | None = None,
    ) -> None:
        self.max_messages = max_messages
        self.payload_preview = payload_preview
        self.pricing = pricing
        self._failed: dict[str, dict[str, str]] = {}  # scope -> failed actor -> first line of its error
        self._history_faults: set[int] = set()  # ids of the source's faults read at attach time
        self.agents: list[list[Any]] = []
        self.messages: list[list[Any]] = []
        self.faults: list[list[Any]] = []
        self.index: dict[str, int] = {}
        self.dropped = 0
        self.last_seq = -1
        self._changed: dict[int, None] = {}  # agent rows touched since the last delta, in order
        self._new_messages = 0
        self._new_faults = 0

    @classmethod
    def from_source(cls, source: AgentSource, **options: Any) -> ViewState:
        """The state of a running (or finished) system: its message history, its agent table, its faults."""
        pricing = getattr(source, "pricing", None)
        state = cls(**options, pricing=pricing if isinstance(pricing, Pricing) else None)
        state.apply(source.messages)
        infos = source.agents
        for scope, info in infos.items():
            row = state._agent(scope, parent=_field(info, "parent"))
            state._describe(row, _field(info, "name", ""), _field(info, "parent"), _field(info, "actors", ()))
            state_name = str(_field(info, "state", None) or "live")
            row[A_STATE] = _STATES.get(state_name, state_name)
            if row[A_STATE] == "failed" and _field(info, "error"):
                row[A_DETAIL] = short(str(_field(info, "error")), _DETAIL)
        # Agents seen in the history but absent from the live table have exited.
        for row in state.agents:
            if row[A_SCOPE] not in infos and row[A_SCOPE] != ROOT_SCOPE and row[A_STATE] != "failed":
                row[A_STATE] = "exited"
        # Faults so far: the red rings and agent records of a view created after an actor crashed.
        faults = list(getattr(source, "faults", None) or ())
        state.apply(faults)
        state._history_faults = {id(fault) for fault in faults}
        state.take_delta()
        return state

    def scopes_named(self, text: str) -> frozenset[str]:
        """The scopes a scope filter ``text`` means: that scope, and every agent named so (any case)."""
        text = text.strip()
        if not text:
            return frozenset()
        lower = text.lower()
        return frozenset([text, *(row[A_SCOPE] for row in self.agents if row[A_NAME].lower() == lower)])

    def name_of(self, scope: str) -> str:
        """An agent's name as the view knows it, else its scope."""
        i = self.index.get(scope)
        return (self.agents[i][A_NAME] if i is not None else "") or scope

    def apply(self, events: Iterable[RuntimeEvent]) -> None:
        """Applies events to the rows, recording what changed for the next delta."""
        for event in events:
            if isinstance(event, Envelope):
                self._envelope(event)
            elif isinstance(event, AgentEvent):
                self._agent_event(event)
            elif isinstance(event, ActorFault):
                self._fault(event)
        self._trim()

    def take_delta(self) -> dict[str, Any] | None:
        """The rows changed since the last call (``None`` if nothing changed)."""
        if not (self._changed or self._new_messages or self._new_faults):
            return None
        count = min(self._new_messages, len(self.messages))
        delta = {
            "agents": [list(self.agents[i]) for i in self._changed],
            "messages": self.messages[len(self.messages) - count :] if count else [],
            "faults": self.faults[len(self.faults) - self._new_faults :] if self._new_faults else [],
            "dropped": self.dropped,
        }
        self._changed.clear()
        self._new_messages = self._new_faults = 0
        return delta

    def _agent(self, scope: str, parent: str | None = None) -> list[Any]:
        """The row of ``scope``, created (after its parent's) if unknown."""
        i = self.index.get(scope)
        if i is not None:
            return self.agents[i]
        if parent is not None and parent != scope and parent not in self.index:
            self._agent(parent)
        name = "root" if scope == ROOT_SCOPE else ""
        row: list[Any] = [scope, name, parent, "unknown", "", "", [], 0, [0, 0, 0, None], 0]
        self.index[scope] = len(self.agents)
        self.agents.append(row)
        self._touch(scope)
        return row

    def _touch(self, scope: str) -> None:
        self._changed[self.index[scope]] = None

    def _describe(self, row: list[Any], name: str, parent: str | None, actors: Iterable[str]) -> None:
        if name:
            row[A_NAME] = name
        if parent is not None and parent != row[A_SCOPE]:
            if parent not in self.index:
                self._agent(parent)
            row[A_PARENT] = parent
        actors = list(actors)
        if actors:
            row[A_ACTORS] = actors
        self._touch(row[A_SCOPE])

    def _agent_event(self, event: AgentEvent) -> None:
        row = self._agent(event.scope, parent=event.parent)
        self._describe(row, event.name, event.parent, event.actors)
        row[A_STATE] = _STATES.get(event.change, event.change)
        if event.change == "failed" and event.error:
            row[A_DETAIL] = short(event.error, _DETAIL)
        self._settle(row)

    def _fault(self, fault: ActorFault) -> None:
        if id(fault) in self._history_faults:
            self._history_faults.discard(id(fault))
            return  # read with the history at attach time, then delivered again
        row = self._agent(fault.scope)
        row[A_FAULTS] += 1
        if not fault.restarted:
            first = fault.error.strip().splitlines()
            self._failed.setdefault(fault.scope, {})[fault.actor] = first[0] if first else "trap"
            row[A_FAILED] = len(self._failed[fault.scope])
            self._settle(row)
        self._touch(fault.scope)
        self.faults.append([fault.scope, fault.actor, fault.error, fault.restarted])
        self._new_faults += 1

    def _settle(self, row: list[Any]) -> None:
        """An agent all of whose actors failed is failed (as ``AgentInfo`` says), even once it exits."""
        failed = self._failed.get(row[A_SCOPE])
        if not failed or row[A_STATE] == "failed" or not row[A_ACTORS]:
            return
        if all(actor in failed for actor in row[A_ACTORS]):
            actor = row[A_ACTORS][0]
            row[A_STATE] = "failed"
            row[A_DETAIL] = short(f"actor '{actor}' failed: {failed[actor]}", _DETAIL)

    def _envelope(self, env: Envelope) -> None:
        if env.seq <= self.last_seq:
            return  # already seen (history read at attach time, then delivered again)
        self.last_seq = env.seq
        parsed = self._parse(env)
        found = _TARGET.search(env.payload) if b'"agent' in env.payload else None
        target = found.group(1).decode() if found else ""
        row = self._agent(env.from_scope)
        if row[A_STATE] == "unknown" and env.from_scope != ROOT_SCOPE:
            row[A_STATE] = "live"
            self._touch(env.from_scope)
        if env.message_type == STATUS_TYPE:
            row[A_STATUS], row[A_DETAIL] = status_of(parsed)
            self._touch(env.from_scope)
        elif env.message_type == RESPONSE_TYPE and not env.replay:
            self._count_usage(row, env)
        elif env.message_type == SPAWNED_TYPE and isinstance(parsed, dict) and target:
            child = self._agent(target, parent=parsed.get("parent_agent"))
            self._describe(
                child, str(parsed.get("name") or ""), parsed.get("parent_agent"), parsed.get("actors") or ()
            )
            if child[A_STATE] == "unknown":
                child[A_STATE] = "live"
        payload = env.payload
        cut = len(payload) > self.payload_preview
        text = payload[: self.payload_preview].decode("utf-8", errors="replace")
        flags = (FLAG_CUT if cut else 0) | (FLAG_REPLAY if env.replay else 0)
        summary = message_summary(env.message_type, payload, env.from_actor_id, env.from_scope, self.name_of)
        self.messages.append(
            [
                env.seq,
                env.id,
                env.message_type,
                env.from_actor_id,
                env.from_scope,
                target,
                text,
                len(payload),
                flags,
                summary,
            ]
        )
        self._new_messages += 1

    def _count_usage(self, row: list[Any], env: Envelope) -> None:
        """Adds a model call's tokens (and cost, with a price for its model) to the sender's row."""
        tokens = response_tokens(env.payload)
        if tokens is None:
            return
        pricing = self.pricing
        cost = pricing.cost(pricing.model(env.from_actor_id), *tokens) if pricing is not None else None
        calls, prompt, completion, total = row[A_USAGE]
        total = cost if calls == 0 else (None if total is None or cost is None else total + cost)
        row[A_USAGE] = [calls + 1, prompt + tokens[0], completion + tokens[1], total]
        self._touch(row[A_SCOPE])

    @staticmethod
    def _parse(env: Envelope) -> object:
        """The payload as JSON, for the message types whose content changes the graph."""
        if env.message_type not in (STATUS_TYPE, SPAWNED_TYPE):
            return None
        try:
            return json.loads(env.payload)
        except (ValueError, UnicodeDecodeError):
            return None

    def _trim(self) -> None:
        extra = len(self.messages) - self.max_messages if self.max_messages is not None else 0
        if extra > 0:
            del self.messages[:extra]
            self.dropped += extra
