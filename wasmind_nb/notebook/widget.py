"""``AgentView``: the live agent graph and message timeline of a Wasmind run, as an anywidget.

The full state lives in synced traitlets of compact lists (rows), so a saved notebook re-renders the final
state and a front end that connects later receives all of it. Live changes travel as batched *deltas*
(custom messages), at most ``max_fps`` times a second, scheduled on the asyncio loop. The state lists
are mutated in place when a delta is flushed, so trait change notifications (full resends) never fire
for them; the front end applies the same delta to its copy.

Rows (positions are shared with ``js/src/format.js``):

- agent: ``[scope, name, parent, state, status, detail, actors, faults, usage, failed]``, ``usage`` being
  ``[calls, prompt_tokens, completion_tokens, cost or None]`` and ``failed`` how many actors failed
- message: ``[seq, id, type, actor, scope, target, text, size, flags, summary]``, ``text`` the start of
  the payload (what the page searches), ``summary`` its one line (``notebook/summaries.py``, or ``""``)
- fault: ``[scope, actor, error, restarted]``
"""

from __future__ import annotations

import asyncio
import bisect
import json
import logging
import pathlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

import anywidget
import traitlets

from wasmind_nb.notebook.approval_view import ApprovalPanel
from wasmind_nb.notebook.bus_controls import BusControls
from wasmind_nb.notebook.chat_view import ChatPanel
from wasmind_nb.notebook.filters import MessageFilter, message_matches
from wasmind_nb.notebook.freezing import FreezingDisplay
from wasmind_nb.notebook.snapshot import render_html, summary_text
from wasmind_nb.notebook.summaries import message_summary
from wasmind_nb.payload_text import short, variant
from wasmind_nb.runtime.events import ROOT_SCOPE, ActorFault, AgentEvent, Envelope, RuntimeEvent
from wasmind_nb.usage import RESPONSE_TYPE, Pricing, response_tokens

__all__ = ["AgentSource", "AgentView", "MessageRow", "ViewState", "message_matches", "status_of"]

log = logging.getLogger(__name__)

STATIC = pathlib.Path(__file__).parent / "static"
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


class Clock(Protocol):
    """The part of an asyncio event loop the throttle uses (a fake one in tests)."""

    def time(self) -> float: ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle | Any: ...


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


class Throttle:
    """Runs ``action`` soon after ``request()``, at most once per ``interval`` seconds, on a loop."""

    def __init__(
        self, action: Callable[[], None], interval: float, clock: Callable[[], Clock | None]
    ) -> None:
        self._action = action
        self._interval = interval
        self._clock = clock
        self._handle: Any = None
        self._last = float("-inf")

    @property
    def pending(self) -> bool:
        return self._handle is not None

    def request(self) -> None:
        if self._handle is not None:
            return
        loop = self._clock()
        if loop is None:  # no loop (a plain script): flush at once
            self._action()
            return
        now = loop.time()
        delay = max(0.0, self._last + self._interval - now)
        self._handle = loop.call_later(delay, self._fire)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _fire(self) -> None:
        self._handle = None
        loop = self._clock()
        self._last = loop.time() if loop is not None else self._last
        self._action()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class AgentView(anywidget.AnyWidget):
    """Live agent graph + message timeline of a Wasmind system.

    ``AgentView(mind)`` attaches at once; ``AgentView()`` then ``view.attach(mind)`` works too.
    Filters (``filter_scope``, ``filter_type``, ``filter_actor``, ``filter_text``) are shared with the
    front end: clicking an agent sets ``filter_scope``; setting them from Python filters the view.
    """

    _esm = STATIC / "widget.js"
    _css = STATIC / "widget.css"

    agents = traitlets.List().tag(sync=True)
    messages = traitlets.List().tag(sync=True)
    faults = traitlets.List().tag(sync=True)
    meta = traitlets.Dict().tag(sync=True)
    filter_scope = traitlets.Unicode("").tag(sync=True)
    filter_type = traitlets.Unicode("").tag(sync=True)
    filter_actor = traitlets.Unicode("").tag(sync=True)
    filter_text = traitlets.Unicode("").tag(sync=True)
    height = traitlets.Int(480).tag(sync=True)
    bus = traitlets.Dict().tag(sync=True)  # pause / step state (notebook/bus_controls.py)
    approvals = traitlets.Dict().tag(sync=True)  # held tool calls (notebook/approval_view.py)
    chat = traitlets.Dict().tag(sync=True)  # the selected agent's conversation (notebook/chat_view.py)

    def __init__(
        self,
        mind: AgentSource | None = None,
        *,
        max_fps: float = 30.0,
        max_messages: int | None = 200_000,
        payload_preview: int = 2048,
        loop: Clock | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._options = {"max_messages": max_messages, "payload_preview": payload_preview}
        self._loop = loop
        self._source: AgentSource | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._unwatch_stop: Callable[[], None] | None = None
        self._outputs = FreezingDisplay()  # this view's outputs, replaced by its snapshot at the stop
        self._html: Callable[[], str] = self.snapshot_html
        self._pending: list[RuntimeEvent] = []
        self._throttle = Throttle(self.flush, 1.0 / max_fps, lambda: self._loop or _running_loop())
        self._state = ViewState(**self._options)
        self._controls = BusControls(None, self._set_bus)
        self.bus = self._controls.current()
        self._approval_panel = ApprovalPanel(None, self._set_approvals)
        self.approvals = self._approval_panel.current()
        self._chat = ChatPanel(None, self._set_chat, self._send_custom)
        self.chat = self._chat.current()
        self._publish()
        self.on_msg(self._on_front_end_message)
        if mind is not None:
            self.attach(mind)

    # -- source ---------------------------------------------------------------------------------------

    def attach(self, source: AgentSource) -> None:
        """Shows ``source``: its current state at once (a full state sync), then its changes as deltas."""
        self.detach()
        self._unwatch()
        self._source = source
        self._pending = []
        when_stopped = getattr(source, "when_stopped", None)  # a Wasmind: freeze the outputs at its stop
        self._unwatch_stop = when_stopped(self.freeze) if callable(when_stopped) else None
        # Subscribe before reading the history so nothing falls between the two; what the first batches
        # repeat is dropped (envelopes by seq) or harmless (agent events are upserts, in order).
        self._unsubscribe = source.observe(self._on_events)
        self._state = ViewState.from_source(source, **self._options)
        self._controls = BusControls(source, self._set_bus)
        self.bus = self._controls.current()
        self._approval_panel = ApprovalPanel(source, self._set_approvals)
        self.approvals = self._approval_panel.current()
        shown = self._chat.scope
        self._chat = ChatPanel(source, self._set_chat, self._send_custom)
        if shown and shown in source.agents:
            self._chat.open(shown)
        self._publish()

    def detach(self) -> None:
        """Stops following the source, keeping what was shown so far."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.flush()
        self._chat.recheck()  # a stopped run takes no more input

    def close(self) -> None:
        if hasattr(self, "_throttle"):  # ipywidgets may close a widget whose __init__ failed
            self.detach()
            self._unwatch()
            self._source = None
        super().close()

    def _unwatch(self) -> None:
        if self._unwatch_stop is not None:
            self._unwatch_stop()
            self._unwatch_stop = None

    def _on_events(self, events: list[RuntimeEvent]) -> None:
        try:
            self._pending.extend(events)
            self._throttle.request()
        except Exception:  # an observer must never break the runtime
            log.exception("AgentView could not take events")

    # -- state and deltas -----------------------------------------------------------------------------

    def flush(self) -> None:
        """Applies pending events to the state and sends them to the front end as one delta."""
        self._throttle.cancel()
        if not self._pending:
            return
        events, self._pending = self._pending, []
        if self._controls.apply(events):
            self.bus = self._controls.current()
        if self._approval_panel.apply(events):
            self.approvals = self._approval_panel.current()
        self._state.apply(events)
        chat = self._chat.apply(events)
        if chat is not None:
            self._send_custom(chat)
        delta = self._state.take_delta()
        if delta is None:
            return
        rev = self.meta["rev"] + 1
        self.meta["rev"] = rev
        self.meta["dropped"] = self._state.dropped
        self._send_custom({"kind": "delta", "rev": rev, **delta})

    def _send_custom(self, content: dict[str, Any]) -> None:
        if self.comm is not None:
            self.send(content)

    def _publish(self) -> None:
        """Replaces the synced state with ``self._state`` (one full sync, used on attach)."""
        s = self._state
        rev = self.meta.get("rev", 0) + 1 if self.meta else 0
        with self.hold_sync():
            self.agents, self.messages, self.faults = s.agents, s.messages, s.faults
            self.meta = {"rev": rev, "dropped": s.dropped}
        # Keep one set of lists: the ones the traits hold are the ones the state mutates.
        s.agents, s.messages, s.faults = self.agents, self.messages, self.faults

    def _on_front_end_message(self, _widget: object, content: object, _buffers: object) -> None:
        if not isinstance(content, dict):
            return
        try:
            self._answer(content)
        except Exception:  # a bad request from a page must not raise in the kernel's comm handler
            log.exception("AgentView could not answer %r", content.get("kind"))

    def _answer(self, content: dict[str, Any]) -> None:
        if content.get("kind") == "resync":
            self.flush()
            self._send_custom(
                {
                    "kind": "snapshot",
                    "rev": self.meta["rev"],
                    "dropped": self._state.dropped,
                    "agents": self.agents,
                    "messages": self.messages,
                    "faults": self.faults,
                }
            )
        elif content.get("kind") == "bus":
            self._controls.command(content)
        elif content.get("kind") == "approval":
            self._approval_panel.command(content)
        elif content.get("kind") == "chat":
            self.flush()  # the conversation read so far, before what the command changes
            self._chat.command(content)
        elif content.get("kind") == "payload":
            seq = int(content.get("seq", -1))
            self._send_custom({"kind": "payload", "seq": seq, "text": self.payload_text(seq)})

    def _set_bus(self, state: dict[str, Any]) -> None:
        self.bus = state

    def _set_approvals(self, state: dict[str, Any]) -> None:
        self.approvals = state

    def _set_chat(self, state: dict[str, Any]) -> None:
        self.chat = state

    # -- chat -----------------------------------------------------------------------------------------

    def open_chat(self, agent: str) -> None:
        """Shows the conversation of ``agent`` (a scope or a name) in the chat pane; ``""`` closes it.

        Clicking a node in the graph does the same. The pane follows it live; ``view.chat`` holds what it
        shows (``mind.conversation(agent)`` has the whole conversation as plain data).
        """
        self.flush()
        self._chat.open(agent)

    def payload_text(self, seq: int) -> str | None:
        """The full payload of message ``seq`` as text, if the source still has it."""
        messages = self._source.messages if self._source is not None else []
        i = bisect.bisect_left(messages, seq, key=lambda e: e.seq)
        if i < len(messages) and messages[i].seq == seq:
            return messages[i].payload.decode("utf-8", errors="replace")
        return None

    # -- filters --------------------------------------------------------------------------------------

    def filter(
        self,
        scope: str | None = None,
        type: str | None = None,
        actor: str | None = None,
        text: str | None = None,
    ) -> None:
        """Sets the timeline filters (``None`` leaves one unchanged, ``""`` clears it).

        ``scope``: an agent's scope or name (any case): messages from or to it. ``type``, ``actor``:
        contained in the message type, the sending actor. ``text``: contained in the payload (any case).
        """
        with self.hold_sync():
            for key, value in (("scope", scope), ("type", type), ("actor", actor), ("text", text)):
                if value is not None:
                    setattr(self, f"filter_{key}", value)

    def filtered_messages(self) -> list[MessageRow]:
        """The timeline rows that pass the current filters, oldest first."""
        self.flush()
        f = MessageFilter(
            self._state.scopes_named(self.filter_scope),
            self.filter_type,
            self.filter_actor,
            self.filter_text,
            text_of=self._whole_payload,
        )
        return [MessageRow(*row) for row in self.messages if f.matches(row)]

    def _whole_payload(self, row: Sequence[Any]) -> str:
        """What the text filter searches here: the whole payload (the front end has the preview only)."""
        text = self.payload_text(row[M_SEQ])
        return row[M_TEXT] if text is None else text

    @property
    def message_count(self) -> int:
        """Every message the view has seen, including those dropped from its front (``max_messages``)."""
        self.flush()
        return self._state.dropped + len(self.messages)

    # -- static output --------------------------------------------------------------------------------

    def summary(self) -> str:
        """A short, stable one-line description (the ``text/plain`` output)."""
        self.flush()
        return summary_text(self.agents, self._state.dropped + len(self.messages))

    def snapshot_html(self, last: int = 20) -> str:
        """A self-contained HTML picture of the current state (no JavaScript needed)."""
        self.flush()
        return render_html(
            self.agents, self.messages, total=self._state.dropped + len(self.messages), last=last
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        data["text/plain"] = self.summary()
        data["text/html"] = self.snapshot_html()
        return data, metadata

    def _ipython_display_(self) -> None:
        self.show()

    def show(self, text: str | None = None, html: Callable[[], str] | None = None) -> None:
        """Display the view (what ``display(view)`` does): ``text`` replaces its ``text/plain``, ``html()``
        makes its ``text/html`` now and when it freezes (default: :meth:`snapshot_html`)."""
        bundle = self._repr_mimebundle_()
        if bundle is None:
            return
        data, metadata = bundle
        if html is not None:
            self._html = html
        data["text/html"] = self._html()
        if text is not None:
            data["text/plain"] = text
        self._outputs.show(data, metadata)

    def freeze(self) -> None:
        """Replace every output of this view by plain output: its text as shown and the final snapshot as
        HTML (see ``notebook/freezing.py``), so the saved notebook and an exported page show the snapshot
        without a kernel. Called when the Wasmind it follows stops."""
        self.flush()
        self._outputs.freeze(text_html=self._html())

    def __repr__(self) -> str:
        return summary_text(self.agents, self._state.dropped + len(self.messages))
