"""Pause, step and breakpoints of a running Wasmind (the part of its API on top of the runtime's gate).

One *step* is one envelope of the log delivered to every actor that receives it, each handler having
returned (what they send meanwhile is held, in order, for the next steps). See docs/architecture.md,
"Pause, step, breakpoints".
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from wasmind_nb.errors import BusPaused, IdleTimeout, WasmindError
from wasmind_nb.runtime.stepper import Breakpoint, BusState

if TYPE_CHECKING:
    from collections.abc import Callable

    from wasmind_nb.runtime.core import Runtime
    from wasmind_nb.runtime.events import Envelope


class SteppingMixin:
    """``pause``, ``resume``, ``step``, ``break_on`` and friends; mixed into :class:`wasmind_nb.Wasmind`."""

    # Provided by Wasmind (its ``runtime`` property and ``scope_of`` method).
    runtime: Runtime
    scope_of: Callable[[str], str]

    def pause(self) -> None:
        """Hold every message posted from now on: each is appended to ``mind.messages`` (the order never
        changes) but reaches no actor until :meth:`step` or :meth:`resume`. What actors already have
        queued is still handled; spawns still complete (constructors are not messages)."""
        with self.runtime.control() as gate:
            gate.pause()

    def resume(self) -> None:
        """Deliver everything held, in order, and run on; stops again in front of the next message that
        matches a breakpoint (never the one the bus is paused at)."""
        with self.runtime.control() as gate:
            gate.resume()

    @property
    def paused(self) -> bool:
        """Whether the bus is paused (by :meth:`pause` or a breakpoint)."""
        with self.runtime.control() as gate:
            return gate.paused

    @property
    def bus_state(self) -> BusState:
        """Paused or not, how many messages are held, the next one (``at``) and why (``reason``)."""
        with self.runtime.control() as gate:
            return gate.state()

    async def step(self, n: int = 1, timeout: float | None = 60.0) -> list[Envelope]:
        """Deliver the next ``n`` held messages, one at a time: each goes to every actor that receives it,
        and the next is delivered only when all their handlers have returned. Returns the envelopes
        delivered (fewer than ``n`` when nothing more is held once the system is quiet).

        Raises :class:`WasmindError` unless paused, :class:`IdleTimeout` after ``timeout`` seconds.
        """
        if n < 1:
            raise ValueError(f"step(n={n}): n must be 1 or more")
        runtime = self.runtime
        if not self.paused:
            raise WasmindError("step() needs a paused bus: call mind.pause() first, or set a breakpoint")
        delivered: list[Envelope] = []
        try:
            async with asyncio.timeout(timeout):
                for _ in range(n):
                    await runtime.idle_future()  # what already runs finishes first (it may post more)
                    with runtime.control() as gate:
                        envelope = gate.release_next()
                    if envelope is None:
                        break
                    delivered.append(envelope)
                    await runtime.idle_future()
        except TimeoutError:
            done = f"{len(delivered)} of {n} step(s) delivered"
            raise IdleTimeout(
                f"step: still busy after {timeout} s ({done}): {runtime.busy_report()}"
            ) from None
        return delivered

    def break_on(
        self, message_type: str | None = None, *, scope: str | None = None, actor: str | None = None
    ) -> Breakpoint:
        """Pause in front of the next message that matches every field given: ``message_type`` (full or
        its last segment, ``"AddMessage"``), ``scope`` (the sending agent, by scope or name), ``actor``
        (the sending actor, or an actor that receives it, by logical name). Returns the breakpoint."""
        if message_type is None and scope is None and actor is None:
            raise WasmindError(
                "break_on needs message_type, scope or actor (a breakpoint on everything is pause())"
            )
        resolved = self.scope_of(scope) if scope is not None else None
        with self.runtime.control() as gate:
            return gate.add_breakpoint(message_type or None, resolved, actor or None)

    @property
    def breakpoints(self) -> list[Breakpoint]:
        """The breakpoints set, oldest first."""
        with self.runtime.control() as gate:
            return gate.breakpoints

    def clear_breakpoint(self, point: Breakpoint | int | None = None) -> None:
        """Remove one breakpoint (by object or id), or every one with no argument."""
        with self.runtime.control() as gate:
            if point is None:
                gate.clear_breakpoints()
                return
            point_id = point.id if isinstance(point, Breakpoint) else int(point)
            if not gate.remove_breakpoint(point_id):
                known = ", ".join(str(b.id) for b in gate.breakpoints) or "none"
                raise WasmindError(f"no breakpoint {point_id} (breakpoints: {known})")

    def _check_not_held(self) -> None:
        """For ``wait_idle``: idle while messages are held is a pause, not the end of the work."""
        with self.runtime.control() as gate:
            state = gate.state()
        if state.at is None:
            return
        at = state.at
        raise BusPaused(
            f"the bus is paused ({state.reason}) with {state.held} message(s) held; next: #{at.seq} "
            f"{at.message_type} from {at.from_actor_id} in {at.from_scope}. `mind.resume()` runs on, "
            "`await mind.step()` delivers one (`%wasmind resume`, `%wasmind step`)"
        )

    def _release_for_shutdown(self) -> None:
        """Shutdown delivers what is held (breakpoints cleared), so nothing is lost and destructors run
        after it, in order."""
        with self.runtime.control() as gate:
            gate.clear_breakpoints()
            gate.resume(breakpoints=False)


__all__ = ["SteppingMixin"]
