"""The runtime: one bus in total order, agents and their lifecycle, guest calls on worker threads.

Concurrency model
-----------------
* Every piece of shared state is guarded by one lock; critical sections are short and never call a guest.
* Work for a component instance lives in its :class:`~wasmind_nb.runtime.state.Lane` (a FIFO). A lane is
  run by at most one worker thread at a time, so a Store is never entered by two threads and an actor's
  handler is never re-entered. wasmtime releases the GIL while guest code runs, so lanes run in parallel.
* ``publish`` appends to the log and to the lanes of every recipient while holding the lock, so every
  actor sees messages in the one global order, and nothing is ever dropped.
* Observers (widget, magics) get batches of events on the asyncio loop's thread.

The parts live in their own modules: the actor and agent state machines in
:mod:`~wasmind_nb.runtime.state`, what guests call in :mod:`~wasmind_nb.runtime.services`, the observer
outbox in :mod:`~wasmind_nb.runtime.outbox`, the idle counter in :mod:`~wasmind_nb.runtime.idle`, the
denial log in :mod:`~wasmind_nb.runtime.denials`, quotas in :mod:`~wasmind_nb.runtime.quotas` and the
rules for what a guest may send in :mod:`~wasmind_nb.runtime.guard`. This module is the bus, the lanes
and the lifecycle that ties them together. Every message the host itself sends is built from the
``wasmind_sdk.messages`` classes, the one source of the wire format.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from wasmind_nb.errors import ActorTrap, ComponentLoadError, ConfigError, SpawnError
from wasmind_nb.host import context
from wasmind_nb.host.denial import Denial
from wasmind_nb.host.engine import EPOCH_TICK_S, EngineHost
from wasmind_nb.host.fsguard import SymlinkGuard
from wasmind_nb.host.instance import ComponentInstance, Preopen, StoreLimits
from wasmind_nb.runtime import guard, quotas
from wasmind_nb.runtime.access import HostAccess
from wasmind_nb.runtime.denials import DenialLog
from wasmind_nb.runtime.events import ActorFault, AgentEvent, Envelope, RuntimeEvent
from wasmind_nb.runtime.idle import IdleCounter
from wasmind_nb.runtime.ids import ROOT_SCOPE, IdSource, correlation_id
from wasmind_nb.runtime.outbox import Outbox
from wasmind_nb.runtime.scheduler import LaneScheduler
from wasmind_nb.runtime.services import GuestServices
from wasmind_nb.runtime.state import Actor, Agent, Lane, Work
from wasmind_nb.runtime.subscriptions import Subscriptions, listens_to
from wasmind_sdk.messages import (
    ActorFailed,
    ActorReady,
    AgentSpawned,
    AllActorsReady,
    Exit,
    Message,
    UserNotification,
    encode,
)

if TYPE_CHECKING:
    from wasmind_nb.build.loader import LoadedActor
    from wasmind_nb.config import ActorSpec, Config
    from wasmind_nb.host.httpclient import Credential
    from wasmind_nb.host.linker import HostLinker
    from wasmind_nb.host.transport import Transport

log = logging.getLogger("wasmind_nb.runtime")
security_log = logging.getLogger("wasmind_nb.security")

CONTEXT_SENDER = "wasmind__context"
COORDINATOR_SENDER = "wasmind__coordinator"
_FAIR_BATCH = 64


class Runtime:
    """Runs the actors of one config. Thread-safe; the async API lives in :class:`wasmind_nb.Wasmind`."""

    def __init__(
        self,
        config: Config,
        engine: EngineHost,
        linker: HostLinker,
        components: dict[str, LoadedActor],
        *,
        loop: asyncio.AbstractEventLoop,
        transport: Transport,
        working_dir: Path,
        seed: int | None = 0,
        llm_grant_host: str | None = None,
        credential: Credential | None = None,
    ) -> None:
        self.config = config
        self.engine = engine
        self.linker = linker
        self.components = components
        self.loop = loop
        self.transport = transport
        self.working_dir = working_dir
        self.ids = IdSource(seed)
        self.messages: list[Envelope] = []
        self.agents: dict[str, Agent] = {}
        self._lock = threading.RLock()
        self._subs = Subscriptions()
        self._lanes: dict[int, Lane] = {}  # by id(lane); an isolated lane leaves with its actor
        self._pools: dict[str, Lane] = {}
        self._uids = itertools.count(1)
        self._replayable = set(config.runtime.replayable)
        self._latest_replayable: dict[str, Envelope] = {}
        self._closed = False
        self._outbox = Outbox(loop, self._lock)
        self._idle = IdleCounter(loop, self._lock)
        self._denials = DenialLog(self._lock, self._emit, self._host_message)
        self.faults: list[ActorFault] = []
        self.services = GuestServices(self)
        self._scheduler: LaneScheduler[Lane] = LaneScheduler(config.runtime.workers, self._run_lane)
        self.access = HostAccess(
            transport=transport,
            working_dir=working_dir,
            record_denial=self.record_denial,
            llm_grant_host=llm_grant_host,
            credential=credential,
            unsandboxed=config.runtime.unsandboxed_commands,
        )
        if any(spec.capabilities.commands for spec in config.actors.values()):
            problem = self.access.sandbox_problem()
            if problem is not None:
                security_log.warning("granted commands cannot run here: %s", problem)

    # ------------------------------------------------------------------ bus
    def publish(
        self,
        message_type: str,
        payload: bytes,
        *,
        from_actor_id: str,
        from_scope: str,
        parent_id: str | None = None,
    ) -> Envelope:
        """Append a message to the bus and queue it for every recipient (total order, never dropped)."""
        with self._lock:
            envelope = self._append(message_type, payload, from_actor_id, from_scope, parent_id)
            local = message_type in guard.SCOPE_LOCAL
            for actor in self._subs.recipients(message_type, from_scope):
                if not local or actor.scope == from_scope:  # type: ignore[attr-defined]
                    self._enqueue(actor.lane, Work.DELIVER, actor, envelope)  # type: ignore[arg-type]
            if message_type in self._replayable:
                self._latest_replayable[message_type] = envelope
            if message_type == Exit.MESSAGE_TYPE:
                self._begin_exit(from_scope)
            return envelope

    def _append(
        self,
        message_type: str,
        payload: bytes,
        from_actor_id: str,
        from_scope: str,
        parent_id: str | None,
        replay: bool = False,
    ) -> Envelope:
        envelope = Envelope(
            seq=len(self.messages),
            id=correlation_id(parent_id, self.ids.segment()),
            message_type=message_type,
            from_actor_id=from_actor_id,
            from_scope=from_scope,
            payload=payload,
            replay=replay,
        )
        self.messages.append(envelope)
        self._emit(envelope)
        return envelope

    def _replay_to(self, agent: Agent) -> None:
        """Re-send the latest replayable messages to the actors of a scope that just became ready."""
        for original in list(self._latest_replayable.values()):
            envelope = self._append(
                original.message_type,
                original.payload,
                original.from_actor_id,
                original.from_scope,
                original.id,
                replay=True,
            )
            for actor in self._subs.recipients(original.message_type, original.from_scope):
                if actor.scope == agent.scope:  # type: ignore[attr-defined]
                    self._enqueue(actor.lane, Work.DELIVER, actor, envelope)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ lanes
    def _enqueue(self, lane: Lane, work: Work, actor: Actor, envelope: Envelope | None = None) -> None:
        lane.items.append((work, actor, envelope))
        self._idle.add()
        if not lane.scheduled and not self._closed:
            lane.scheduled = True
            self._scheduler.submit(lane)

    def _run_lane(self, lane: Lane) -> None:
        for _ in range(_FAIR_BATCH):
            with self._lock:
                if not lane.items or self._closed:
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
            if lane.items and not self._closed:
                self._scheduler.submit(lane)
            else:
                lane.scheduled = False

    def _execute(self, lane: Lane, work: Work, actor: Actor, envelope: Envelope | None) -> None:
        if work is Work.CONSTRUCT:
            self._construct(lane, actor)
        elif work is Work.DELIVER:
            if actor.state == "ready" and envelope is not None:  # a failed actor's leftovers are skipped
                self._deliver(lane, actor, envelope)
        else:
            self._destroy(lane, actor)

    def _context(self, lane: Lane, actor: Actor, handling_id: str | None = None) -> context.CallContext:
        assert lane.instance is not None
        timeout = actor.spec.capabilities.handler_timeout_s or self.config.runtime.handler_timeout_s
        return context.CallContext(
            services=self.services,
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
            lane.instance = ComponentInstance(
                self.linker,
                self.engine.engine,
                lane.component,
                label=lane.label,
                preopens=lane.preopens
                + tuple(
                    Preopen(str(p.resolve(self.working_dir)), p.guest_path, p.read_only) for p in caps.fs
                ),
                limits=StoreLimits(
                    max_memory_bytes=caps.max_memory_bytes or self.config.runtime.max_memory_bytes
                ),
            )
        if lane.fs_guard is None:
            lane.fs_guard = self._symlink_guard(lane)
        return lane.instance

    def _symlink_guard(self, lane: Lane) -> SymlinkGuard | None:
        """A guard over the lane's read-write grants, or ``None`` when it has none."""
        grants = lane.spec.capabilities.fs
        roots = [p.resolve(self.working_dir) for p in grants if not p.read_only]
        if not roots:
            return None

        def removed(link: Path, target: str) -> None:
            running = lane.running
            name, scope = (running[1].name, running[1].scope) if running else (lane.spec.name, "")
            reason = (
                f"actor '{name}' made a symbolic link {link} -> {target} that points outside its fs "
                "grants; the host removed it"
            )
            self.record_denial(Denial(name, "fs", f"{link} -> {target}", reason, scope))

        return SymlinkGuard(roots, [p.resolve(self.working_dir) for p in grants], removed)

    @staticmethod
    def _after_guest_call(lane: Lane) -> None:
        """What must hold whenever a guest call returns: no escaping symlink in its grants."""
        if lane.fs_guard is not None:
            lane.fs_guard.sweep()

    # ------------------------------------------------------------------ lifecycle of actors
    def _construct(self, lane: Lane, actor: Actor) -> None:
        with self._lock:
            agent = self.agents[actor.scope]
            if actor.state != "pending" or not agent.starting_or_running:
                return
        try:
            instance = self._instance_for(lane)
            with context.entered(self._context(lane, actor)):
                handle = instance.construct(actor.scope, actor.config_toml)
        except (ActorTrap, ComponentLoadError) as err:
            self._after_guest_call(lane)
            self._fail_spawn(agent, actor, str(err))
            if lane.pooled and lane.instance is not None and lane.instance.poisoned:
                self._restart_pool(lane, [a for a in lane.actors.values() if a.state == "ready"])
            return
        self._after_guest_call(lane)
        with self._lock:
            actor.handle = handle
            actor.move("ready")
            if not agent.starting_or_running:
                return  # the agent failed or exited meanwhile: its DESTROY is already queued
            self._publish_message(ActorReady(), from_actor_id=actor.name, from_scope=actor.scope)
            agent.ready_count += 1
            if agent.ready_count == len(agent.actors) and agent.state == "spawning":
                self._agent_ready(agent)

    def _agent_ready(self, agent: Agent) -> None:
        agent.move("running")
        spawned = AgentSpawned(agent.scope, agent.name, agent.parent, list(agent.actor_names))
        self._publish_message(spawned, from_actor_id=CONTEXT_SENDER, from_scope=ROOT_SCOPE)
        self._publish_message(AllActorsReady(), from_actor_id=COORDINATOR_SENDER, from_scope=agent.scope)
        self._replay_to(agent)
        self._emit(AgentEvent("spawned", agent.scope, agent.name, agent.parent, agent.actor_names))
        if not agent.ready.done():
            agent.ready.set_result(agent.scope)

    def _fail_spawn(self, agent: Agent, culprit: Actor, error: str) -> None:
        """A constructor trapped: tear the whole agent down; nothing half-started keeps running."""
        with self._lock:
            culprit.move("failed", error)
            if agent.ended:
                return
            agent.move("failed", error)
            for actor in agent.actors:
                self._subs.remove(actor)  # type: ignore[arg-type]
                self._drop_queued(actor)
                if actor.live:
                    self._enqueue(actor.lane, Work.DESTROY, actor)
            culprit.lane.actors.pop(culprit.uid, None)
            self._release_isolated(culprit.lane)
            self._emit(AgentEvent("failed", agent.scope, agent.name, agent.parent, agent.actor_names, error))
            self._notify_error(f"Agent '{agent.name}' ({agent.scope}) failed to spawn", error, agent.scope)
            if not agent.ready.done():
                agent.ready.set_exception(SpawnError(f"agent '{agent.name}' failed to spawn: {error}"))

    def _deliver(self, lane: Lane, actor: Actor, envelope: Envelope) -> None:
        instance = lane.instance
        assert instance is not None
        try:
            with context.entered(self._context(lane, actor, envelope.id)):
                instance.handle(actor.handle, envelope)  # type: ignore[arg-type]
        except ActorTrap as err:
            self._after_guest_call(lane)
            self._actor_trapped(lane, actor, str(err))
        else:
            self._after_guest_call(lane)

    def _actor_trapped(self, lane: Lane, actor: Actor, error: str) -> None:
        """Mark the actor failed; in a pooled lane, re-create the instance for the others."""
        with self._lock:
            actor.move("failed", error)
            self._subs.remove(actor)  # type: ignore[arg-type]
            self._drop_queued(actor)
            lane.actors.pop(actor.uid, None)
            self._release_isolated(lane)
            fault = ActorFault(actor.scope, actor.name, error)
            self.faults.append(fault)
            self._emit(fault)
            failed = ActorFailed(actor.scope, actor.name, error)
            self._publish_message(failed, from_actor_id=COORDINATOR_SENDER, from_scope=actor.scope)
            self._notify_error(f"Actor {actor.name} in {actor.scope} failed", error, actor.scope)
            survivors = [a for a in lane.actors.values() if a.state == "ready"]
        if lane.pooled and survivors:
            self._restart_pool(lane, survivors)

    def _restart_pool(self, lane: Lane, survivors: list[Actor]) -> None:
        """A trap poisons the whole instance: build a fresh one and re-construct the surviving actors."""
        lane.instance = None
        for actor in survivors:
            try:
                instance = self._instance_for(lane)
                try:
                    with context.entered(self._context(lane, actor)):
                        actor.handle = instance.construct(actor.scope, actor.config_toml)
                finally:
                    self._after_guest_call(lane)
                restarted = ActorFault(actor.scope, actor.name, "restarted after a trap in its pool", True)
                with self._lock:
                    self.faults.append(restarted)
                    self._emit(restarted)
            except (ActorTrap, ComponentLoadError) as err:
                self._actor_trapped(lane, actor, str(err))
                return

    def _destroy(self, lane: Lane, actor: Actor) -> None:
        if actor.state == "ready" and lane.instance is not None and not lane.instance.poisoned:
            try:
                with context.entered(self._context(lane, actor)):
                    lane.instance.destroy(actor.handle)  # type: ignore[arg-type]
            except ActorTrap as err:
                log.warning("destructor of %s trapped: %s", actor.label, err)
                if lane.pooled:
                    lane.instance = None
            self._after_guest_call(lane)
        with self._lock:
            if actor.live:
                actor.move("exited")
            actor.handle = None
            lane.actors.pop(actor.uid, None)
            self._release_isolated(lane)
            agent = self.agents[actor.scope]
            agent.exited_count += 1
            if agent.state == "exiting" and not any(a.live for a in agent.actors):
                agent.move("exited")
                self._emit(AgentEvent("exited", agent.scope, agent.name, agent.parent, agent.actor_names))

    def _release_isolated(self, lane: Lane) -> None:
        """Free the store of an isolated actor that exited or failed, and forget its lane once idle."""
        if lane.pooled:
            return
        lane.instance = None
        if not lane.items:
            self._lanes.pop(id(lane), None)
            if lane.fs_guard is not None:
                lane.fs_guard.close()
                lane.fs_guard = None

    def _drop_queued(self, actor: Actor) -> None:
        """Remove an actor's queued deliveries from its lane (it failed or its spawn failed)."""
        lane = actor.lane
        kept = [item for item in lane.items if item[1] is not actor or item[0] is Work.DESTROY]
        dropped = len(lane.items) - len(kept)
        if dropped:
            lane.items.clear()
            lane.items.extend(kept)
            self._idle.done(dropped)

    def _begin_exit(self, scope: str) -> None:
        """Exit of ``scope`` (every scope for the root): destructors run after what is already queued."""
        targets = list(self.agents.values()) if scope == ROOT_SCOPE else [self.agents.get(scope)]
        for agent in targets:
            if agent is None or not agent.starting_or_running:
                continue
            agent.move("exiting")
            for actor in agent.actors:
                self._subs.remove(actor)  # type: ignore[arg-type]
                if actor.live:
                    self._enqueue(actor.lane, Work.DESTROY, actor)
            if not agent.ready.done():
                agent.ready.set_exception(SpawnError(f"agent '{agent.name}' exited before it was ready"))
            if not any(a.live for a in agent.actors):
                agent.move("exited")
                self._emit(AgentEvent("exited", agent.scope, agent.name, agent.parent, agent.actor_names))

    # ------------------------------------------------------------------ spawning
    def spawn(self, actor_names: Sequence[str], name: str, parent: str | None) -> Agent:
        """Create a scope and queue the constructors of its actors; returns the agent at once.

        Unknown names fail here, before anything starts. The new actors are subscribed before any
        constructor runs, so nothing broadcast from here on is lost to them.
        """
        try:
            names = self.config.expand_spawn(list(actor_names))
        except ConfigError as err:
            raise SpawnError(str(err)) from None
        missing = [n for n in names if n not in self.components]
        if missing:
            raise SpawnError(f"actor(s) {', '.join(missing)} were not loaded when the runtime started")
        with self._lock:
            if self._closed:
                raise SpawnError("the runtime has shut down")
            if parent is not None and parent not in self.agents:
                raise SpawnError(f"unknown parent scope '{parent}'")
            alive = sum(1 for a in self.agents.values() if a.live)
            quotas.check_spawn(self.config.runtime, alive, self._depth(parent) + 1 if parent else 0)
            scope = ROOT_SCOPE if parent is None and ROOT_SCOPE not in self.agents else self.ids.scope()
            agent = Agent(scope=scope, name=name, parent=parent, actor_names=tuple(names))
            self.agents[scope] = agent
            for actor_name in names:
                agent.actors.append(self._new_actor(actor_name, scope))
            self._emit(AgentEvent("spawning", scope, name, parent, agent.actor_names))
            for actor in agent.actors:
                self._subs.add(actor)  # type: ignore[arg-type]
            for actor in agent.actors:
                self._enqueue(actor.lane, Work.CONSTRUCT, actor)
            if not agent.actors:  # nothing to construct (e.g. no starting_actors): ready at once
                self._agent_ready(agent)
            return agent

    def _depth(self, scope: str) -> int:
        """How many levels ``scope`` is below the root."""
        depth, current = 0, self.agents[scope].parent
        while current is not None:
            depth, current = depth + 1, self.agents[current].parent
        return depth

    def add_actor(self, spec: ActorSpec, loaded: LoadedActor) -> None:
        """Register (or replace) an actor type; spawns from now on use it, running agents keep theirs."""
        with self._lock:
            self.config = self.config.with_actor(spec)
            self.components[spec.name] = loaded
            self._pools.pop(spec.name, None)  # a pool of the old version keeps serving only its actors

    def _new_actor(self, name: str, scope: str) -> Actor:
        spec = self.config.actors[name]
        lane = self._lane_for(spec, scope)
        actor = Actor(
            uid=next(self._uids),
            name=name,
            scope=scope,
            spec=spec,
            lane=lane,
            config_toml=spec.config_toml(),
            listens_to=listens_to(spec.listens_to, self.components[name].handled_types),
            own_scope_only=spec.scope_filter == "own",
        )
        lane.actors[actor.uid] = actor
        return actor

    def _lane_for(self, spec: ActorSpec, scope: str) -> Lane:
        mode = spec.instance or self.config.runtime.instances
        if mode == "pooled":
            lane = self._pools.get(spec.name)
            if lane is None:
                lane = self._new_lane(f"{spec.name} (pool)", spec, pooled=True)
                self._pools[spec.name] = lane
                self._lanes[id(lane)] = lane
            return lane
        lane = self._new_lane(f"{spec.name}@{scope}", spec, pooled=False)
        self._lanes[id(lane)] = lane
        return lane

    def _new_lane(self, label: str, spec: ActorSpec, *, pooled: bool) -> Lane:
        loaded = self.components[spec.name]
        return Lane(
            label=label, spec=spec, component=loaded.component, pooled=pooled, preopens=loaded.preopens
        )

    # ------------------------------------------------------------------ what guest calls need
    def actor_named(self, scope: str, name: str) -> Actor | None:
        with self._lock:
            agent = self.agents.get(scope)
            return next((a for a in agent.actors if a.name == name), None) if agent else None

    def parent_of(self, scope: str) -> str | None:
        with self._lock:
            agent = self.agents.get(scope)
            return agent.parent if agent is not None else None

    @contextlib.contextmanager
    def blocking(self) -> Iterator[None]:
        """Around a guest's wait on the host (a command, an HTTP request): another worker may run lanes."""
        with self._scheduler.blocking():
            yield

    # ------------------------------------------------------------------ denials, host messages, observers
    @property
    def denials(self) -> list[Denial]:
        """The latest denials (see :class:`~wasmind_nb.runtime.denials.DenialLog`)."""
        return self._denials.denials

    @property
    def denial_count(self) -> int:
        return self._denials.count

    def record_denial(self, denial: Denial) -> str:
        """Make a refused capability visible; returns the text the guest gets as the WIT error value."""
        return self._denials.record(denial)

    def _publish_message(self, message: Message, *, from_actor_id: str, from_scope: str) -> Envelope:
        return self.publish(
            message.MESSAGE_TYPE, encode(message), from_actor_id=from_actor_id, from_scope=from_scope
        )

    def _host_message(self, message: Message) -> None:
        """A message from the host itself (a notification), sent from the root scope."""
        self._publish_message(message, from_actor_id=COORDINATOR_SENDER, from_scope=ROOT_SCOPE)

    def _notify_error(self, title: str, message: str, scope: str) -> None:
        self._host_message(UserNotification(level="Error", title=title, message=message, source=scope))

    def _emit(self, event: RuntimeEvent) -> None:
        self._outbox.emit(event)

    def observe(self, callback: Callable[[list[RuntimeEvent]], None]) -> Callable[[], None]:
        """Call ``callback`` with batches of events on the loop thread (see :meth:`Outbox.observe`)."""
        return self._outbox.observe(callback)

    @property
    def idle(self) -> bool:
        return self._idle.idle

    def idle_future(self) -> asyncio.Future[None]:
        """A future on the loop that resolves when nothing is queued or running."""
        return self._idle.future()

    def busy_report(self) -> str:
        """What is still queued or running, for timeout errors."""
        with self._lock:
            lines = []
            for lane in self._lanes.values():
                if lane.running is None and not lane.items:
                    continue
                running = ""
                if lane.running is not None:
                    work, actor, envelope = lane.running
                    what = envelope.message_type if envelope is not None else work.value
                    running = f", running {actor.label} on {what}"
                lines.append(f"{lane.label}: {len(lane.items)} queued{running}")
            return "; ".join(lines) or "nothing"

    # ------------------------------------------------------------------ shutdown
    def close(self, timeout: float | None = None) -> None:
        """Stop the worker threads (after the caller has let the system exit), within ``timeout`` s.

        Running commands are killed at once; a guest call still running after ``timeout`` is left to end
        at its deadline on its (daemon) thread, and its lane's work is dropped.
        """
        with self._lock:
            self._closed = True
        self.access.close()
        busy = self._scheduler.shutdown(timeout)
        if busy:
            log.warning("shutdown did not wait for %s: %s", ", ".join(busy), self.busy_report())
        self._outbox.flush()
        with self._lock:
            for lane in self._lanes.values():
                lane.instance = None  # free every store (and its memory) now
                if lane.fs_guard is not None:
                    lane.fs_guard.close()
                    lane.fs_guard = None


__all__ = ["Runtime"]
