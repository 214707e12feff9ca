"""Runtime events for observers (the widget, the magics), delivered in batches on the asyncio loop."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from wasmind_nb.runtime.events import RuntimeEvent

log = logging.getLogger("wasmind_nb.runtime")
Observer = Callable[[list[RuntimeEvent]], None]


class Outbox:
    """Collects events from any thread and hands each observer the batch on the loop's thread.

    Shares the runtime's lock, so an event is queued in the same critical section as the state change
    it reports. With no observer nothing is kept (``mind.messages`` and ``mind.agents`` hold the history).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, lock: threading.RLock) -> None:
        self._loop = loop
        self._lock = lock
        self._observers: list[Observer] = []
        self._events: list[RuntimeEvent] = []
        self._flush_scheduled = False

    def emit(self, event: RuntimeEvent) -> None:
        """Queue ``event`` (called with the runtime's lock held)."""
        if not self._observers:
            return
        self._events.append(event)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            try:
                self._loop.call_soon_threadsafe(self.flush)
            except RuntimeError:  # loop closed
                self._flush_scheduled = False

    def flush(self) -> None:
        """Hand the queued events to every observer (on the loop's thread, or at shutdown)."""
        with self._lock:
            batch, self._events = self._events, []
            self._flush_scheduled = False
            observers = list(self._observers)
        for observer in observers:
            try:
                observer(batch)
            except Exception:
                log.exception("observer %r failed", observer)

    def observe(self, callback: Observer) -> Callable[[], None]:
        """Call ``callback`` with batches of events on the loop thread; returns an unsubscribe function.

        A new observer may also get the events of a batch that was pending when it subscribed; events
        carry ``seq`` (envelopes) or are idempotent state changes (agents), so a reader can dedupe.
        """
        with self._lock:
            self._observers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._observers:
                    self._observers.remove(callback)

        return unsubscribe
