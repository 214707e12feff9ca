"""The lanes: where each actor's work queues, the worker that runs it, and the store it runs in.

A :class:`~wasmind_nb.runtime.state.Lane` is a FIFO of work for one component instance (one per actor when
isolated, one per actor type when pooled). :class:`Lanes` keeps them, hands a lane with work to the
:class:`~wasmind_nb.runtime.scheduler.LaneScheduler` (so at most one worker runs it and a store is never
entered by two threads), creates and frees the instances, and enters a guest with its call context
(:meth:`Lanes.entered`). What the work *means* (construct, deliver, destroy) is the runtime's: each item
goes to the ``execute`` callback.

Every method but :meth:`Lanes.entered` and :meth:`Lanes.run` is called with the runtime's lock held.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from wasmind_nb.host import context
from wasmind_nb.host.denial import Denial
from wasmind_nb.host.engine import EngineHost
from wasmind_nb.host.epoch import EPOCH_TICK_S
from wasmind_nb.host.fsguard import SymlinkGuard
from wasmind_nb.host.instance import ComponentInstance, Preopen, StoreLimits
from wasmind_nb.runtime.events import Envelope
from wasmind_nb.runtime.idle import IdleCounter
from wasmind_nb.runtime.scheduler import LaneScheduler
from wasmind_nb.runtime.state import Actor, Lane, Work

if TYPE_CHECKING:
    from wasmind_nb.build.loader import LoadedActor
    from wasmind_nb.config import ActorSpec, RuntimeSettings
    from wasmind_nb.host.context import HostServices
    from wasmind_nb.host.linker import HostLinker

log = logging.getLogger("wasmind_nb.runtime")

FAIR_BATCH = 64
"""A worker runs at most this many items of one lane before it lets the other lanes have a turn."""

Execute = Callable[[Lane, Work, Actor, "Envelope | None"], None]


class Lanes:
    """Every lane of one runtime and the workers that run them."""

    def __init__(
        self,
        settings: RuntimeSettings,
        *,
        lock: threading.RLock,
        idle: IdleCounter,
        execute: Execute,
        engine: EngineHost,
        linker: HostLinker,
        working_dir: Path,
        services: HostServices,
        record_denial: Callable[[Denial], str],
    ) -> None:
        self.closed = False
        self._settings = settings
        self._lock = lock
        self._idle = idle
        self._execute = execute
        self._engine = engine
        self._linker = linker
        self._working_dir = working_dir
        self._services = services
        self._record_denial = record_denial
        self._lanes: dict[int, Lane] = {}  # by id(lane); an isolated lane leaves with its actor
        self._pools: dict[str, Lane] = {}
        self._scheduler: LaneScheduler[Lane] = LaneScheduler(settings.workers, self.run)
        self._construct_lock = threading.Lock()
        self._constructing = threading.local()  # .held: this thread is in constructing()

    def __len__(self) -> int:
        return len(self._lanes)

    def __iter__(self) -> Iterator[Lane]:
        return iter(list(self._lanes.values()))

    # ------------------------------------------------------------------ which lane
    def lane_for(self, spec: ActorSpec, scope: str, loaded: LoadedActor) -> Lane:
        """The lane a new actor of ``spec`` in ``scope`` runs in: its type's pool, or a lane of its own."""
        if (spec.instance or self._settings.instances) == "pooled":
            lane = self._pools.get(spec.name)
            if lane is None:
                lane = self._new(f"{spec.name} (pool)", spec, loaded, pooled=True)
                self._pools[spec.name] = lane
            return lane
        return self._new(f"{spec.name}@{scope}", spec, loaded, pooled=False)

    def forget_pool(self, name: str) -> None:
        """New actors of ``name`` get a new pool; the old one keeps serving only the actors it has."""
        self._pools.pop(name, None)

    def _new(self, label: str, spec: ActorSpec, loaded: LoadedActor, *, pooled: bool) -> Lane:
        lane = Lane(
            label=label,
            spec=spec,
            component=loaded.component,
            pooled=pooled,
            preopens=loaded.preopens,
            boot=loaded.boot,
        )
        self._lanes[id(lane)] = lane
        return lane

    # ------------------------------------------------------------------ queues
    def enqueue(self, lane: Lane, work: Work, actor: Actor, envelope: Envelope | None = None) -> None:
        """Queue one item at the end of ``lane`` and make sure a worker will run it."""
        lane.items.append((work, actor, envelope))
        self._idle.add()
        if not lane.scheduled and not self.closed:
            lane.scheduled = True
            self._scheduler.submit(lane)

    def drop_queued(self, actor: Actor) -> None:
        """Remove an actor's queued deliveries and constructor from its lane (its destructor stays)."""
        lane = actor.lane
        kept = [item for item in lane.items if item[1] is not actor or item[0] is Work.DESTROY]
        dropped = len(lane.items) - len(kept)
        if dropped:
            lane.items.clear()
            lane.items.extend(kept)
            self._idle.done(dropped)

    def release_isolated(self, lane: Lane) -> None:
        """Free the store of an isolated actor that exited or failed, and forget its lane once idle."""
        if lane.pooled:
            return
        lane.instance = None
        if not lane.items:
            self._lanes.pop(id(lane), None)
            if lane.fs_guard is not None:
                lane.fs_guard.close()
                lane.fs_guard = None

    def run(self, lane: Lane) -> None:
        """Run up to :data:`FAIR_BATCH` items of ``lane`` on this worker, then requeue it if it has more."""
        for _ in range(FAIR_BATCH):
            with self._lock:
                if not lane.items or self.closed:
                    lane.scheduled = False
                    return
                item = lane.items.popleft()
                lane.running = item
            try:
                self._execute(lane, *item)
            except Exception:
                log.exception("internal error while running %s", lane.label)
            finally:
                with self._lock:
                    lane.running = None
                    self._idle.done()
        with self._lock:
            if lane.items and not self.closed:
                self._scheduler.submit(lane)
            else:
                lane.scheduled = False

    # ------------------------------------------------------------------ entering a guest
    @contextlib.contextmanager
    def entered(
        self, lane: Lane, actor: Actor, handling_id: str | None = None
    ) -> Iterator[ComponentInstance]:
        """The lane's instance (created if it has none or a trap poisoned it), with ``actor``'s call
        context entered; when the block ends, however it ends, escaping symlinks in its grants are removed."""
        try:
            instance = self._instance_for(lane)
            with context.entered(self._context(lane, actor, handling_id)):
                yield instance
        finally:
            if lane.fs_guard is not None:
                lane.fs_guard.sweep()

    def _context(self, lane: Lane, actor: Actor, handling_id: str | None) -> context.CallContext:
        assert lane.instance is not None
        timeout = actor.spec.capabilities.handler_timeout_s or self._settings.handler_timeout_s
        return context.CallContext(
            services=self._services,
            actor_name=actor.name,
            scope=actor.scope,
            capabilities=actor.spec.capabilities,
            store=lane.instance.store,
            deadline_ticks=max(1, round(timeout / EPOCH_TICK_S)),
            handling_id=handling_id,
            bulk=lane.instance.bulk,
        )

    def _instance_for(self, lane: Lane) -> ComponentInstance:
        if lane.instance is None or lane.instance.poisoned:
            caps = lane.spec.capabilities
            grants = tuple(
                Preopen(str(p.resolve(self._working_dir)), p.guest_path, p.read_only) for p in caps.fs
            )
            lane.instance = ComponentInstance(
                self._linker,
                self._engine.engine,
                lane.component,
                label=lane.label,
                preopens=lane.preopens + grants,
                limits=StoreLimits(max_memory_bytes=caps.max_memory_bytes or self._settings.max_memory_bytes),
                boot=lane.boot,
            )
        if lane.fs_guard is None:
            lane.fs_guard = self._symlink_guard(lane)
        return lane.instance

    def _symlink_guard(self, lane: Lane) -> SymlinkGuard | None:
        """A guard over the lane's read-write grants, or ``None`` when it has none."""
        grants = lane.spec.capabilities.fs
        roots = [p.resolve(self._working_dir) for p in grants if not p.read_only]
        if not roots:
            return None

        def removed(link: Path, target: str) -> None:
            running = lane.running
            name, scope = (running[1].name, running[1].scope) if running else (lane.spec.name, "")
            reason = (
                f"actor '{name}' made a symbolic link {link} -> {target} that points outside its fs "
                "grants; the host removed it"
            )
            self._record_denial(Denial(name, "fs", f"{link} -> {target}", reason, scope))

        return SymlinkGuard(roots, [p.resolve(self._working_dir) for p in grants], removed)

    # ------------------------------------------------------------------ workers
    @contextlib.contextmanager
    def constructing(self) -> Iterator[None]:
        """Around creating an instance and constructing an actor in it: one thread at a time.

        An actor's first call copies hundreds of pages of the interpreter's snapshot into its store, and
        each copy of a page another thread of the process may have cached costs a TLB flush on every CPU
        that runs one (an interrupt, dear in a VM). Measured on 2 cores spawning 100 isolated agents of
        5 actors: two threads constructing at once spent about half their CPU time in those flushes; one
        at a time used half the CPU for the same spawns, at the same or a better rate. A constructor
        that waits on the host (a command, an HTTP request; :meth:`blocking`) lets the next one start.
        """
        with self._construct_lock:
            self._constructing.held = True
            try:
                yield
            finally:
                self._constructing.held = False

    @contextlib.contextmanager
    def blocking(self) -> Iterator[None]:
        """Around a guest's wait on the host (a command, an HTTP request): another worker may run lanes,
        and another actor may be constructed."""
        held = getattr(self._constructing, "held", False)
        if held:
            self._constructing.held = False
            self._construct_lock.release()
        try:
            with self._scheduler.blocking():
                yield
        finally:
            if held:
                self._construct_lock.acquire()
                self._constructing.held = True

    def busy_report(self) -> str:
        """What is still queued or running, lane by lane, for timeout errors."""
        lines = []
        for lane in self._lanes.values():
            if lane.running is None and not lane.items:
                continue
            running = ""
            if lane.running is not None:
                running = f", running {_running(lane.running, short=False)}"
            lines.append(f"{lane.label}: {len(lane.items)} queued{running}")
        return "; ".join(lines) or "nothing"

    def activity(self) -> tuple[int, list[str]]:
        """How many items are queued in all, and what runs now (``"assistant@a1B2c3 on AddMessage"``)."""
        queued = sum(len(lane.items) for lane in self._lanes.values())
        running = [_running(lane.running, short=True) for lane in self._lanes.values() if lane.running]
        return queued, running

    def close(self) -> None:
        """Run nothing more: queued items stay queued, a worker stops after its current item."""
        with self._lock:
            self.closed = True

    def shutdown(self, timeout: float | None) -> list[str]:
        """Close, then join the workers within ``timeout`` s (called without the lock); returns the
        threads still busy."""
        self.close()
        return self._scheduler.shutdown(timeout)

    def free_all(self) -> None:
        """Drop every store (and its memory) and symlink guard now."""
        for lane in self._lanes.values():
            lane.instance = None
            if lane.fs_guard is not None:
                lane.fs_guard.close()
                lane.fs_guard = None


def _running(item: tuple[Work, Actor, Envelope | None], *, short: bool) -> str:
    work, actor, envelope = item
    what = work.value if envelope is None else envelope.message_type
    if short:
        what = what.rsplit(".", 1)[-1]
    return f"{actor.label} on {what}"


__all__ = ["FAIR_BATCH", "Lanes"]
