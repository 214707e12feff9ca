"""Pause, step and breakpoints: a gate between the bus and the lanes.

Every envelope is appended to the log when it is posted (so the total order never changes); the gate
decides when its deliveries reach the actors' lanes. Open, it hands them on at once. Paused, it *holds*
them, envelope by envelope, in log order; :meth:`Gate.release_next` hands on the first one (one
*step*: that envelope to every actor that receives it, plus the destructors an ``Exit`` queues), and
:meth:`Gate.resume` hands on all of them, stopping again in front of the next breakpoint. A breakpoint
is checked when an envelope reaches the gate: a match pauses the bus in front of that envelope.

Constructors are not messages: they run while paused (a spawn completes), and what they broadcast is
held like anything else. Not thread-safe: the runtime calls every method with its lock held.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wasmind_nb.runtime.events import Envelope
from wasmind_nb.runtime.state import Actor, Lane, Work

Item = tuple[Lane, Work, Actor, "Envelope | None"]
"""One unit of lane work, as :meth:`~wasmind_nb.runtime.lanes.Lanes.enqueue` takes it."""


@dataclass(frozen=True, slots=True)
class Breakpoint:
    """Pause in front of an envelope that matches every field given.

    ``message_type``: the full type or its last segment (``AddMessage``). ``scope``: the sending scope.
    ``actor``: the sending actor, or an actor that receives the envelope (by logical name).
    """

    id: int
    message_type: str | None = None
    scope: str | None = None
    actor: str | None = None

    def matches(self, envelope: Envelope, recipients: Sequence[Actor]) -> bool:
        if self.message_type is not None and self.message_type not in (
            envelope.message_type,
            envelope.message_type.rsplit(".", 1)[-1],
        ):
            return False
        if self.scope is not None and envelope.from_scope != self.scope:
            return False
        if self.actor is not None and self.actor != envelope.from_actor_id:
            return any(actor.name == self.actor for actor in recipients)
        return True

    def describe(self) -> str:
        """``type=AddMessage scope=a1B2c3`` (the fields given)."""
        fields = (("type", self.message_type), ("scope", self.scope), ("actor", self.actor))
        return " ".join(f"{key}={value}" for key, value in fields if value is not None)


@dataclass(frozen=True, slots=True)
class BusState:
    """The gate changed: an event for observers (the view's "paused at ..." line).

    ``at`` is the next held envelope (``None`` when nothing is held); ``reason`` says why the bus is
    paused (``"paused"``, ``"breakpoint 1 (type=AddMessage)"``), empty when running.
    """

    paused: bool
    held: int
    at: Envelope | None
    reason: str


@dataclass(slots=True)
class _Held:
    envelope: Envelope
    items: list[Item]


class Gate:
    """Holds deliveries while paused; counts nothing as queued until it hands it on."""

    def __init__(self, enqueue: Callable[..., None], emit: Callable[[BusState], None]) -> None:
        self._enqueue = enqueue
        self._emit = emit
        self._held: deque[_Held] = deque()
        self._breakpoints: dict[int, Breakpoint] = {}
        self._ids = itertools.count(1)
        self.paused = False
        self.reason = ""

    # ------------------------------------------------------------------ routing
    def route(self, envelope: Envelope, items: list[Item]) -> None:
        """Hand ``envelope``'s work to the lanes, or hold it (paused, or a breakpoint matches)."""
        if not self.paused and not self._held:
            hit = self._hit(envelope, items)
            if hit is None:
                self._hand_on(items)
                return
            self.paused, self.reason = True, f"breakpoint {hit.id} ({hit.describe()})"
        self._held.append(_Held(envelope, items))
        if len(self._held) == 1:
            self._changed()
        else:
            self._emit(BusState(True, len(self._held), self._held[0].envelope, self.reason))

    def _hit(self, envelope: Envelope, items: list[Item]) -> Breakpoint | None:
        if not self._breakpoints:
            return None
        recipients = [actor for _, work, actor, _ in items if work is Work.DELIVER]
        return next((b for b in self._breakpoints.values() if b.matches(envelope, recipients)), None)

    def _hand_on(self, items: list[Item]) -> None:
        for item in items:
            self._enqueue(*item)

    # ------------------------------------------------------------------ control
    def pause(self, reason: str = "paused") -> None:
        """Hold every envelope posted from now on (what lanes already have still runs)."""
        if not self.paused:
            self.paused, self.reason = True, reason
            self._changed()

    def release_next(self) -> Envelope | None:
        """One step: hand on the first held envelope; ``None`` when nothing is held."""
        if not self._held:
            return None
        held = self._held.popleft()
        self._hand_on(held.items)
        self._changed()
        return held.envelope

    def resume(self, *, breakpoints: bool = True) -> None:
        """Hand on everything held, in order, and run on; stops in front of the next held envelope that
        matches a breakpoint (never the first one: resuming from a stop moves past it)."""
        first = True
        while self._held:
            held = self._held[0]
            hit = None if first or not breakpoints else self._hit(held.envelope, held.items)
            if hit is not None:
                self.reason = f"breakpoint {hit.id} ({hit.describe()})"
                self._changed()
                return
            self._held.popleft()
            self._hand_on(held.items)
            first = False
        self.paused, self.reason = False, ""
        self._changed()

    # ------------------------------------------------------------------ breakpoints
    def add_breakpoint(self, message_type: str | None, scope: str | None, actor: str | None) -> Breakpoint:
        """A new breakpoint; at least one field must be given (the caller checks)."""
        point = Breakpoint(next(self._ids), message_type, scope, actor)
        self._breakpoints[point.id] = point
        return point

    def remove_breakpoint(self, point_id: int) -> bool:
        """Forget one breakpoint; ``False`` if there is none with that id."""
        return self._breakpoints.pop(point_id, None) is not None

    def clear_breakpoints(self) -> None:
        self._breakpoints.clear()

    @property
    def breakpoints(self) -> list[Breakpoint]:
        return list(self._breakpoints.values())

    # ------------------------------------------------------------------ state
    @property
    def held(self) -> int:
        """How many envelopes wait to be delivered."""
        return len(self._held)

    def state(self) -> BusState:
        at = self._held[0].envelope if self._held else None
        return BusState(self.paused, len(self._held), at, self.reason)

    def _changed(self) -> None:
        self._emit(self.state())


__all__ = ["Breakpoint", "BusState", "Gate", "Item"]
