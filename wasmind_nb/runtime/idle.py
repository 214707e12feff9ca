"""How much work is queued or running, and futures that resolve when none is."""

from __future__ import annotations

import asyncio
import threading


class IdleCounter:
    """Counts queued and running work items; :meth:`future` resolves on the loop when the count is 0.

    Shares the runtime's lock, so a count changes in the same critical section as the queue it counts.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, lock: threading.RLock) -> None:
        self._loop = loop
        self._lock = lock
        self._pending = 0
        self._waiters: list[asyncio.Future[None]] = []

    def add(self, count: int = 1) -> None:
        """``count`` more items (called with the lock held)."""
        self._pending += count

    def done(self, count: int = 1) -> None:
        """``count`` items finished or dropped (called with the lock held); wakes waiters at zero."""
        self._pending -= count
        if self._pending == 0:
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                self._loop.call_soon_threadsafe(_resolve, waiter)

    @property
    def idle(self) -> bool:
        with self._lock:
            return self._pending == 0

    def future(self) -> asyncio.Future[None]:
        """A future on the loop that resolves when nothing is queued or running."""
        future: asyncio.Future[None] = self._loop.create_future()
        with self._lock:
            if self._pending == 0:
                future.set_result(None)
            else:
                self._waiters.append(future)
        return future


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
