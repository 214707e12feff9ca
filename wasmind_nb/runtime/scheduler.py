"""Worker threads that run ready lanes: a run queue instead of one executor task per delivery.

A lane is handed to the scheduler when work arrives and it is not already scheduled; a worker runs it
(a fair batch of items) and the runtime hands it back if more work is waiting. Threads are started on
demand up to ``workers``; no future is created per delivery.

At most ``runners`` threads run lanes at the same time (by default the number of CPUs, at least 2);
the other threads exist for the time a runner waits in a host call (a command, an HTTP request): such
a call is wrapped in :meth:`LaneScheduler.blocking`, which hands the runner's slot to another thread.
Measured on 2 cores: eight threads all running lanes spent as much time switching threads as running
guests (tiny handlers, many isolated actors); capping the runners made fan-out 1.7x faster.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


def default_runners() -> int:
    """The CPUs this process may use, at least 2 (so one long handler never stalls everything else)."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(2, usable or 1)


class LaneScheduler(Generic[T]):
    """Runs ``run(lane)`` for each submitted lane on at most ``workers`` threads, ``runners`` at once."""

    def __init__(
        self,
        workers: int,
        run: Callable[[T], None],
        name: str = "wasmind-worker",
        runners: int | None = None,
    ) -> None:
        self._ready: deque[T] = deque()
        self._cond = threading.Condition()
        self._run = run
        self._limit = max(1, workers)
        self._runners = max(1, min(self._limit, runners or default_runners()))
        self._name = name
        self._threads: list[threading.Thread] = []
        self._active = 0  # runner slots taken: threads running lanes, or woken to run one
        self._idle = 0
        self._closed = False

    def submit(self, lane: T) -> None:
        """Queue a lane to be run once. Never blocks."""
        with self._cond:
            if self._closed:
                return
            self._ready.append(lane)
            self._wake()

    @contextmanager
    def blocking(self) -> Iterator[None]:
        """Wrap a call that waits on the outside world: another thread may run lanes meanwhile."""
        with self._cond:
            self._active -= 1
            self._wake()
        try:
            yield
        finally:
            with self._cond:
                self._active += 1

    def _wake(self) -> None:
        """Give a free runner slot to an idle thread, or to a new one (the condition is held)."""
        if not self._ready or self._active >= self._runners or self._closed:
            return
        if self._idle > 0:
            self._active += 1
            self._idle -= 1  # counted as woken now, so the next submit does not wake it twice
            self._cond.notify()
        elif len(self._threads) < self._limit:
            self._active += 1
            thread = threading.Thread(
                target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def _work(self) -> None:
        """A worker starts holding a runner slot, gives it back while idle, and gets one when woken."""
        while True:
            with self._cond:
                while not self._ready and not self._closed:
                    self._active -= 1
                    self._idle += 1
                    self._cond.wait()  # whoever notifies has taken a slot for us and counted us awake
                if self._closed:
                    return
                lane = self._ready.popleft()
            self._run(lane)

    @property
    def closed(self) -> bool:
        """Whether :meth:`shutdown` was called (a running lane should stop at its next item)."""
        return self._closed

    def shutdown(self, timeout: float | None = None) -> list[str]:
        """Drop queued lanes and join the threads, waiting at most ``timeout`` seconds in all.

        Returns the names of the threads still busy when time ran out (a guest call in progress ends at
        its deadline; the threads are daemons, so they never keep the process alive).
        """
        with self._cond:
            self._closed = True
            self._ready.clear()
            self._cond.notify_all()
            threads = list(self._threads)
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return [t.name for t in threads if t.is_alive() and t is not threading.current_thread()]
