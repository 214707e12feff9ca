"""The view's pause / resume / step controls and its "paused at ..." line, on the Python side.

:class:`BusControls` turns the runtime's :class:`~wasmind_nb.runtime.stepper.BusState` events into the
``bus`` dict the front end shows (``js/src/stepper.js``) and runs the buttons' requests against the
source (a :class:`wasmind_nb.Wasmind`). A source without ``pause`` (a recording, a test double) shows no
controls.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable, Iterable
from typing import Any

from wasmind_nb.runtime.stepper import BusState

log = logging.getLogger("wasmind_nb.notebook")

MAX_STEP = 1000  # most envelopes one click may ask for


def bus_dict(state: BusState | None, *, available: bool, stepping: bool = False, error: str = "") -> dict:
    """What the front end shows: whether paused, how many held, the next envelope, why, and errors."""
    at = state.at if state is not None else None
    return {
        "available": available,
        "paused": bool(state and state.paused),
        "held": state.held if state is not None else 0,
        "seq": at.seq if at is not None else -1,
        "at": f"#{at.seq} {at.message_type} from {at.from_actor_id} in {at.from_scope}" if at else "",
        "reason": state.reason if state is not None else "",
        "stepping": stepping,
        "error": error,
    }


class BusControls:
    """Follows the bus state of one source and carries out the view's pause, resume and step."""

    def __init__(self, source: object | None, publish: Callable[[dict], None]) -> None:
        self._source = source
        self._publish = publish
        self._available = source is not None and callable(getattr(source, "pause", None))
        self._state: BusState | None = None
        self._stepping = False
        self._error = ""
        if self._available:
            try:
                self._state = source.bus_state  # type: ignore[union-attr]
            except Exception:  # a stopped Wasmind: no controls to offer
                self._available = False

    def current(self) -> dict:
        return bus_dict(self._state, available=self._available, stepping=self._stepping, error=self._error)

    def apply(self, events: Iterable[object]) -> bool:
        """Take the latest bus state from a batch of events; whether it changed."""
        latest = None
        for event in events:
            if isinstance(event, BusState):
                latest = event
        if latest is None or latest == self._state:
            return False
        self._state = latest
        return True

    def command(self, content: dict[str, Any]) -> None:
        """Run a button's request: ``{"kind": "bus", "action": "pause" | "resume" | "step", "n": 1}``."""
        if not self._available:
            return
        action = content.get("action")
        self._error = ""
        try:
            if action == "pause":
                self._source.pause()  # type: ignore[union-attr]
            elif action == "resume":
                self._source.resume()  # type: ignore[union-attr]
            elif action == "step" and not self._stepping:
                n = max(1, min(MAX_STEP, int(content.get("n", 1))))
                self._stepping = True
                # On the Wasmind's own loop: a comm handler may run where another loop is current.
                loop = self._source.runtime.loop  # type: ignore[union-attr]
                future = asyncio.run_coroutine_threadsafe(self._source.step(n), loop)  # type: ignore[union-attr]
                future.add_done_callback(self._stepped)
        except Exception as err:  # shown in the bar, never raised into the kernel's comm handler
            self._error = str(err)
        self._refresh()

    def _stepped(self, future: concurrent.futures.Future[Any]) -> None:
        self._stepping = False
        if not future.cancelled() and future.exception() is not None:
            self._error = str(future.exception())
        self._refresh()

    def _refresh(self) -> None:
        if self._available:
            try:
                self._state = self._source.bus_state  # type: ignore[union-attr]
            except Exception:
                log.debug("no bus state to show", exc_info=True)
        self._publish(self.current())


__all__ = ["BusControls", "bus_dict"]
