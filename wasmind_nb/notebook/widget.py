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
import logging
import pathlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import anywidget
import traitlets

from wasmind_nb.notebook.approval_view import ApprovalPanel
from wasmind_nb.notebook.bus_controls import BusControls
from wasmind_nb.notebook.chat_view import ChatPanel
from wasmind_nb.notebook.filters import MessageFilter, message_matches
from wasmind_nb.notebook.freezing import FreezingDisplay
from wasmind_nb.notebook.snapshot import render_html, summary_text
from wasmind_nb.notebook.view_state import (
    M_SEQ,
    M_TEXT,
    AgentSource,
    MessageRow,
    ViewState,
    status_of,
)
from wasmind_nb.runtime.events import RuntimeEvent

__all__ = ["AgentSource", "AgentView", "MessageRow", "ViewState", "message_matches", "status_of"]

log = logging.getLogger(__name__)

STATIC = pathlib.Path(__file__).parent / "static"


class Clock(Protocol):
    """The part of an asyncio event loop the throttle uses (a fake one in tests)."""

    def time(self) -> float: ...

    def call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle | Any: ...


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
