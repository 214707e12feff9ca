"""``wasi:io`` (error, poll, streams) in Python: the streams and pollables of the Python WASI set.

Pollables come in three kinds: always ready (a buffered body, an output stream), a monotonic-clock
deadline, and host work (an HTTP request) that is done when the guest waits on it. ``poll`` runs the
first pending host work inside ``ctx.blocked()`` (the wait is not the guest's, as for the ``http``
capability), and sleeps for timers within the guest's budget (a timer is the guest's own time: a handler
that sleeps past its deadline is stopped at it, not at the timer).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from wasmtime.component import Variant

from wasmind_nb.host import context

#: What ``check-write`` allows at once; a guest writes in pieces of at most this.
WRITE_BUDGET = 65_536


class IoError:
    """``wasi:io/error.error``: a message, and the ``wasi:http`` error code behind it, if any."""

    def __init__(self, message: str, http_code: Variant | None = None) -> None:
        self.message = message
        self.http_code = http_code


class Pollable:
    """Ready at once (the base case)."""

    def ready(self) -> bool:
        return True

    def pending_work(self) -> Callable[[], None] | None:
        """Host work that makes this ready when run (``None``: nothing to run, or only time)."""
        return None

    def deadline_ns(self) -> int | None:
        """When a timer becomes ready (``time.monotonic_ns()``), ``None`` for others."""
        return None


class Timer(Pollable):
    def __init__(self, deadline_ns: int) -> None:
        self._deadline = deadline_ns

    def ready(self) -> bool:
        return time.monotonic_ns() >= self._deadline

    def deadline_ns(self) -> int | None:
        return self._deadline


class WorkPollable(Pollable):
    """Ready once ``is_done()``; ``run()`` does the work (blocking)."""

    def __init__(self, is_done: Callable[[], bool], run: Callable[[], None]) -> None:
        self._is_done = is_done
        self._run = run

    def ready(self) -> bool:
        return self._is_done()

    def pending_work(self) -> Callable[[], None] | None:
        return None if self._is_done() else self._run


def poll(pollables: list[Pollable]) -> list[int]:
    """``wasi:io/poll.poll``: the indices of the ready pollables, waiting until there is one."""
    if not pollables:
        raise ValueError("wasi:io/poll.poll was called with no pollables")
    while True:
        ready = [i for i, p in enumerate(pollables) if p.ready()]
        if ready:
            return ready
        work = next((w for p in pollables if (w := p.pending_work()) is not None), None)
        if work is not None:
            work()
            continue
        timers = [(d, i) for i, p in enumerate(pollables) if (d := p.deadline_ns()) is not None]
        if not timers:
            raise ValueError("wasi:io/poll.poll: nothing can make these pollables ready")
        first, index = min(timers)
        if not _sleep_until(first):
            # The budget is spent: the guest is stopped at its next instruction (epoch deadline), so
            # what it is told here never runs; an empty list would break the guest's runtime instead.
            return [index]


def block(pollable: Pollable) -> None:
    """``[method]pollable.block``."""
    poll([pollable])


def _sleep_until(deadline_ns: int) -> bool:
    """Sleep until ``deadline_ns`` if the guest's budget lasts that long; else sleep out the budget, end
    it (the guest stops at its next instruction) and return ``False``."""
    ctx = context.current()
    wanted = (deadline_ns - time.monotonic_ns()) / 1e9
    left = ctx.budget_left_s()
    blocking = getattr(ctx.services, "blocking", None)  # the runtime's: others run meanwhile
    with blocking() if blocking is not None else contextlib.nullcontext():
        time.sleep(max(0.0, min(wanted, left)))
    if wanted <= left:
        return True
    ctx.store.set_epoch_deadline(0)  # the ticker may lag the clock: stop the guest at its next check
    return False


class InputStream:
    """An input stream over bytes the host already holds (a response body, an empty stdin)."""

    def __init__(self, data: bytes = b"") -> None:
        self._data = memoryview(data)
        self._pos = 0

    def read(self, length: int) -> Variant:
        if self._pos >= len(self._data):
            return Variant("err", Variant("closed"))
        chunk = bytes(self._data[self._pos : self._pos + length])
        self._pos += len(chunk)
        return Variant("ok", chunk)

    def skip(self, length: int) -> Variant:
        if self._pos >= len(self._data):
            return Variant("err", Variant("closed"))
        step = min(length, len(self._data) - self._pos)
        self._pos += step
        return Variant("ok", step)

    def subscribe(self) -> Pollable:
        return Pollable()


class OutputStream:
    """An output stream into ``sink``; ``sink`` raising ``ValueError`` fails the write with its text."""

    def __init__(self, sink: Callable[[bytes], None]) -> None:
        self._sink = sink
        self._failed: str | None = None

    def check_write(self) -> Variant:
        return self._error() or Variant("ok", WRITE_BUDGET)

    def write(self, data: bytes) -> Variant:
        failed = self._error()
        if failed is not None:
            return failed
        if len(data) > WRITE_BUDGET:
            self._failed = f"a write of {len(data)} bytes is more than check-write allowed ({WRITE_BUDGET})"
            return self._error() or Variant("ok")
        try:
            self._sink(bytes(data))
        except ValueError as err:
            self._failed = str(err)
            return self._error() or Variant("ok")
        return Variant("ok")

    def flush(self) -> Variant:
        return self._error() or Variant("ok")

    def write_zeroes(self, length: int) -> Variant:
        return self.write(bytes(length))

    def splice(self, source: InputStream, length: int) -> Variant:
        read = source.read(min(length, WRITE_BUDGET))
        if read.tag == "err":
            return read
        written = self.write(read.payload)
        return written if written.tag == "err" else Variant("ok", len(read.payload))

    def subscribe(self) -> Pollable:
        return Pollable()

    def _error(self) -> Variant | None:
        if self._failed is None:
            return None
        return Variant("err", Variant("last-operation-failed", IoError(self._failed)))


def discard(data: bytes) -> None:
    """A sink that drops what it is given (the guest's stdout)."""


def functions() -> dict[str, dict[str, Callable[..., Any]]]:
    """The ``wasi:io`` functions, by interface (without version) and function name."""
    inp, out = InputStream, OutputStream
    return {
        "wasi:io/error": {"[method]error.to-debug-string": lambda e: e.message},
        "wasi:io/poll": {
            "[method]pollable.ready": Pollable.ready,
            "[method]pollable.block": block,
            "poll": poll,
        },
        "wasi:io/streams": {
            "[method]input-stream.read": inp.read,
            "[method]input-stream.blocking-read": inp.read,
            "[method]input-stream.skip": inp.skip,
            "[method]input-stream.blocking-skip": inp.skip,
            "[method]input-stream.subscribe": inp.subscribe,
            "[method]output-stream.check-write": out.check_write,
            "[method]output-stream.write": out.write,
            "[method]output-stream.blocking-write-and-flush": out.write,
            "[method]output-stream.flush": out.flush,
            "[method]output-stream.blocking-flush": out.flush,
            "[method]output-stream.subscribe": out.subscribe,
            "[method]output-stream.write-zeroes": out.write_zeroes,
            "[method]output-stream.blocking-write-zeroes-and-flush": out.write_zeroes,
            "[method]output-stream.splice": out.splice,
            "[method]output-stream.blocking-splice": out.splice,
        },
    }
