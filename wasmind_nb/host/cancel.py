"""Cancelling a guest's blocking HTTP request from another thread (an interrupted agent, a shutdown).

Each guest call gets a :class:`Cancellation`. The runtime cancels it when the call's agent is interrupted
(``Wasmind.interrupt``) or the runtime shuts down; ``httpclient.send_request`` then stops at once: no
further attempt or backoff, and a transport blocked on the network is woken (``UrllibTransport`` shuts its
socket down through :func:`current`). Once cancelled, every later request of the same guest call fails at
once too, so a guest that retries on its own cannot undo the cancellation.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["Cancellation", "active", "current"]


class Cancellation:
    """A one-way switch, safe to use from any thread: once cancelled, it stays cancelled."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: dict[int, Callable[[], object]] = {}
        self._next = 0
        self.reason = ""

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self, reason: str) -> None:
        """Cancel (the first reason is kept) and run the registered callbacks on this thread."""
        with self._lock:
            if self._event.is_set():
                return
            self.reason = reason
            self._event.set()
            callbacks = list(self._callbacks.values())
        for callback in callbacks:
            with contextlib.suppress(OSError):  # the socket is already closed: nothing left to wake
                callback()

    def wait(self, seconds: float) -> bool:
        """Sleep ``seconds`` or until cancelled; returns whether it was cancelled."""
        return self._event.wait(max(0.0, seconds))

    @contextmanager
    def on_cancel(self, callback: Callable[[], object]) -> Iterator[None]:
        """Run ``callback`` if (or as soon as) this is cancelled while the block runs."""
        with self._lock:
            key = self._next
            self._next += 1
            self._callbacks[key] = callback
            already = self._event.is_set()
        if already:
            with contextlib.suppress(OSError):
                callback()
        try:
            yield
        finally:
            with self._lock:
                self._callbacks.pop(key, None)


_local = threading.local()


@contextmanager
def active(cancellation: Cancellation | None) -> Iterator[None]:
    """Make ``cancellation`` the one :func:`current` returns on this thread while the block runs."""
    previous = getattr(_local, "cancellation", None)
    _local.cancellation = cancellation
    try:
        yield
    finally:
        _local.cancellation = previous


def current() -> Cancellation | None:
    """The cancellation of the request this thread is sending (``None``: it cannot be cancelled)."""
    return getattr(_local, "cancellation", None)
