"""Which actor is calling: host imports find their caller through a thread-local call context.

A worker thread sets the context before it enters a guest and clears it after, so host functions (which
wasmtime calls on that same thread) know the actor, its scope, its capabilities, and the runtime.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from wasmind_nb.host.cancel import Cancellation
from wasmind_nb.host.epoch import EPOCH_TICK_S

if TYPE_CHECKING:
    import wasmtime

    from wasmind_nb.config import Capabilities
    from wasmind_nb.host.bulk import BulkChannel
    from wasmind_nb.host.httpclient import HttpRequestSpec, HttpResponse, RequestError
    from wasmind_nb.host.process import CommandOutput, CommandSpec


class HostServices(Protocol):
    """What the runtime provides to host imports."""

    def broadcast_from(self, caller: CallContext, message_type: str, payload: bytes) -> None: ...
    def spawn_from(self, caller: CallContext, actor_names: list[str], agent_name: str) -> str: ...
    def parent_of(self, scope: str) -> str | None: ...
    def working_directory(self) -> str: ...
    def run_command(self, caller: CallContext, spec: CommandSpec) -> CommandOutput | str: ...
    def send_http(self, caller: CallContext, spec: HttpRequestSpec) -> HttpResponse | RequestError: ...
    def log_from(self, caller: CallContext, level: str, message: str) -> None: ...


@dataclass
class CallContext:
    """The actor a worker thread is running guest code for."""

    services: HostServices
    actor_name: str
    scope: str
    capabilities: Capabilities
    store: wasmtime.Store
    deadline_ticks: int
    handling_id: str | None = None
    #: the store's bulk data channel (``None``: large data crosses only as plain values)
    bulk: BulkChannel | None = None
    broadcasts: int = 0  # messages this call has broadcast (for [runtime] max_messages_per_call)
    #: cancelled when the caller's agent is interrupted or the runtime shuts down: its HTTP requests stop
    cancellation: Cancellation = field(default_factory=Cancellation)
    #: when the guest's budget started, moved later by the time spent blocked (``time.monotonic()``)
    _started: float = field(default=0.0, init=False, repr=False)

    def start_deadline(self) -> None:
        """Give the guest its whole budget (``deadline_ticks``) for the call it is entering."""
        self._started = time.monotonic()
        self.store.set_epoch_deadline(self.deadline_ticks)

    def budget_left_s(self) -> float:
        """Seconds of the guest's budget left in this call (what a host call may spend of its time)."""
        return self.deadline_ticks * EPOCH_TICK_S - (time.monotonic() - self._started)

    @contextmanager
    def blocked(self) -> Iterator[None]:
        """Pause the budget while the guest waits on the host (a command, an HTTP request).

        Only this gives time back: a cheap host call counts against the budget like guest code, so a
        handler looping on one is stopped at its deadline. On return the guest gets what it had left.
        """
        paused = time.monotonic()
        try:
            yield
        finally:
            now = time.monotonic()
            used = paused - self._started
            self._started = now - used
            self.store.set_epoch_deadline(max(1, self.deadline_ticks - round(used / EPOCH_TICK_S)))


_local = threading.local()


def current() -> CallContext:
    """The calling actor's context. Raises if a host import is called outside a guest call."""
    ctx = getattr(_local, "ctx", None)
    if ctx is None:
        raise RuntimeError("a Wasmind host import was called outside of a guest call")
    return ctx


@contextmanager
def entered(ctx: CallContext) -> Iterator[CallContext]:
    """Make ``ctx`` the current context for the duration of one guest call."""
    previous = getattr(_local, "ctx", None)
    _local.ctx = ctx
    ctx.start_deadline()
    try:
        yield ctx
    finally:
        _local.ctx = previous
