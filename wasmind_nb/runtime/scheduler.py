"""Worker threads that run ready lanes: a run queue instead of one executor task per delivery.

A lane is handed to the scheduler when work arrives and it is not already scheduled; a worker runs it
(a fair batch of items) and the runtime hands it back if more work is waiting. Threads are started on
demand up to ``workers``; no future is created per delivery.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class LaneScheduler(Generic[T]):
    """Runs ``run(lane)`` for each submitted lane on at most ``workers`` threads."""

    def __init__(self, workers: int, run: Callable[[T], None], name: str = "wasmind-worker") -> None:
        self._ready: deque[T] = deque()
        self._cond = threading.Condition()
        self._run = run
        self._limit = max(1, workers)
        self._name = name
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._closed = False

    def submit(self, lane: T) -> None:
        """Queue a lane to be run once. Never blocks."""
        with self._cond:
            if self._closed:
                return
            self._ready.append(lane)
            if self._idle == 0 and len(self._threads) < self._limit:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            else:
                self._cond.notify()

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._ready and not self._closed:
                    self._idle += 1
                    self._cond.wait()
                    self._idle -= 1
                if self._closed:
                    return
                lane = self._ready.popleft()
            self._run(lane)

    def shutdown(self) -> None:
        """Drop queued lanes, let running ones finish their batch, and join the threads."""
        with self._cond:
            self._closed = True
            self._ready.clear()
            self._cond.notify_all()
            threads = list(self._threads)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join()
