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

The parts live in their own modules: the log and its subscriptions in :mod:`~wasmind_nb.runtime.bus`,
the lanes, their workers and their stores in :mod:`~wasmind_nb.runtime.lanes`, the actor and agent state
machines in :mod:`~wasmind_nb.runtime.state`, what guests call in :mod:`~wasmind_nb.runtime.services`, the
observer outbox in :mod:`~wasmind_nb.runtime.outbox`, the idle counter in :mod:`~wasmind_nb.runtime.idle`,
the denial log in :mod:`~wasmind_nb.runtime.denials`, quotas in :mod:`~wasmind_nb.runtime.quotas` and the
rules for what a guest may send in :mod:`~wasmind_nb.runtime.guard`. This module is the lifecycle that
ties them together: spawning, constructing, delivering, failing and exiting. Every message the host
itself sends is built from the ``wasmind_sdk.messages`` classes, the one source of the wire format.
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

from wasmind_nb.errors import ActorTrap, ApprovalError, ComponentLoadError, ConfigError, SpawnError
from wasmind_nb.host.denial import Denial
from wasmind_nb.host.engine import EngineHost
from wasmind_nb.runtime import quotas
from wasmind_nb.runtime.access import HostAccess
from wasmind_nb.runtime.approvals import (
    APPROVAL_SENDER,
    EXECUTE_TOOL_CALL,
    TOOLS_AVAILABLE,
    ApprovalDesk,
    PendingApproval,
)
from wasmind_nb.runtime.bus import Bus
from wasmind_nb.runtime.denials import DenialLog
from wasmind_nb.runtime.events import ActorFault, AgentEvent, Envelope, RuntimeEvent
from wasmind_nb.runtime.guard import INTERRUPT
from wasmind_nb.runtime.idle import IdleCounter
from wasmind_nb.runtime.ids import ROOT_SCOPE, IdSource
from wasmind_nb.runtime.lanes import Lanes
from wasmind_nb.runtime.outbox import Outbox
from wasmind_nb.runtime.services import GuestServices
from wasmind_nb.runtime.state import Actor, Agent, Lane, Work
from wasmind_nb.runtime.stepper import Gate, Item
from wasmind_nb.runtime.subscriptions import listens_to
from wasmind_sdk.messages import (
    ActorFailed,
    ActorReady,
    AgentSpawned,
    AllActorsReady,
    Exit,
    Message,
    ToolCallStatus,
    ToolCallStatusUpdate,
    UserNotification,
    encode,
)

if TYPE_CHECKING:
    from wasmind_nb.build.loader import LoadedActor
    from wasmind_nb.config import ActorSpec, Config
    from wasmind_nb.config.specs import McpServer
    from wasmind_nb.host.httpclient import Credential
    from wasmind_nb.host.linker import HostLinker
    from wasmind_nb.host.transport import Transport

log = logging.getLogger("wasmind_nb.runtime")
security_log = logging.getLogger("wasmind_nb.security")

CONTEXT_SENDER = "wasmind__context"
COORDINATOR_SENDER = "wasmind__coordinator"


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
        self.agents: dict[str, Agent] = {}
        self._live_agents = 0  # kept by spawn and Agent.on_end: a spawn must not count them all
        self._by_name: dict[tuple[str | None, str], list[Agent]] = {}  # every agent, by parent and name
        self.faults: list[ActorFault] = []
        self._lock = threading.RLock()
        self._uids = itertools.count(1)
        self._outbox = Outbox(loop, self._lock)
        self._idle = IdleCounter(loop, self._lock)
        self._denials = DenialLog(self._lock, self._emit, self._host_message)
        self.bus = Bus(self.ids, config.runtime.replayable, self._emit)
        self.messages = self.bus.messages  # every envelope, in order
        self.services = GuestServices(self)
        self.gate = Gate(self._enqueue, self._emit)  # type: ignore[arg-type]
        self.approvals = ApprovalDesk()
        self.approval_listener: Callable[[PendingApproval], None] | None = None  # called with the lock held
        self.lanes = Lanes(
            config.runtime,
            lock=self._lock,
            idle=self._idle,
            execute=self._execute,
            engine=engine,
            linker=linker,
            working_dir=working_dir,
            services=self.services,
            record_denial=self.record_denial,
        )
        self.access = HostAccess(
            transport=transport,
            working_dir=working_dir,
            record_denial=self.record_denial,
            llm_grant_host=llm_grant_host,
            credential=credential,
            unsandboxed=config.runtime.unsandboxed_commands,
            mcp_server_of=self._mcp_server_of,
        )
        if any(spec.capabilities.commands for spec in config.actors.values()):
            problem = self.access.sandbox_problem()
            if problem is not None:
                security_log.warning("granted commands cannot run here: %s", problem)

    def _mcp_server_of(self, actor_name: str) -> McpServer | None:
        """The MCP server of ``actor_name`` (``source = { mcp = ... }``), for the host's MCP gateway."""
        spec = self.config.actors.get(actor_name)
        return spec.mcp if spec is not None else None

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
        """Append a message to the bus and queue it for every recipient (total order, never dropped).

        The gate (:mod:`~wasmind_nb.runtime.stepper`) holds the deliveries while the bus is paused.
        """
        with self._lock:
            envelope, recipients = self.bus.post(message_type, payload, from_actor_id, from_scope, parent_id)
            if message_type in (TOOLS_AVAILABLE, EXECUTE_TOOL_CALL):
                recipients = self._approval_check(envelope, recipients)
            elif message_type == INTERRUPT:
                for approval in self.approvals.cancel_interrupted(payload):
                    self._approval_changed(approval)
            items: list[Item] = [(actor.lane, Work.DELIVER, actor, envelope) for actor in recipients]
            if message_type == Exit.MESSAGE_TYPE:
                items += self._begin_exit(from_scope)
            self.gate.route(envelope, items)
            return envelope

    def _enqueue(self, lane: Lane, work: Work, actor: Actor, envelope: Envelope | None) -> None:
        self.lanes.enqueue(lane, work, actor, envelope)

    # ------------------------------------------------------------------ approvals (runtime/approvals.py)
    def _approval_check(self, envelope: Envelope, recipients: list[Actor]) -> list[Actor]:
        """Learn an approval-bound actor's tools; hold the calls of them that need a decision."""
        if envelope.message_type == TOOLS_AVAILABLE:
            sender = self.actor_named(envelope.from_scope, envelope.from_actor_id)
            if sender is not None and sender.spec.approval:
                self.approvals.announced(sender, envelope.payload)
            return recipients
        agent = self.agents.get(envelope.from_scope)
        before = len(self.approvals.pending)
        now = self.approvals.hold(envelope, recipients, agent.name if agent else envelope.from_scope)
        for approval in self.approvals.pending[before:]:
            self._approval_changed(approval)
        return now

    def decide(self, approval_id: str, approve: bool, reason: str = "") -> PendingApproval:
        """Approve (deliver the held call unchanged to its tool actor) or reject (answer the assistant
        with the tool's ``Err`` result carrying ``reason``). :class:`ApprovalError` for an unknown or
        already decided id."""
        with self._lock:
            try:
                approval, actor, envelope = self.approvals.take(
                    approval_id, "approved" if approve else "rejected", reason
                )
            except KeyError:
                raise ApprovalError(self._unknown_approval(approval_id)) from None
            if approve:
                self.gate.route(envelope, [(actor.lane, Work.DELIVER, actor, envelope)])
            else:
                status = ToolCallStatus.err(f"The user rejected this call of {approval.tool}: {reason}")
                update = ToolCallStatusUpdate(status, approval.tool_call_id, approval.originating_request_id)
                self.publish(
                    update.MESSAGE_TYPE,
                    encode(update),
                    from_actor_id=APPROVAL_SENDER,
                    from_scope=approval.agent,
                    parent_id=envelope.id,
                )
            self._approval_changed(approval)
            return approval

    def _unknown_approval(self, approval_id: str) -> str:
        decided = self.approvals.decided(approval_id)
        if decided is not None:
            why = f" ({decided.reason})" if decided.reason else ""
            return f"approval {approval_id} ({decided.tool}) was already {decided.state}{why}"
        waiting = ", ".join(a.id for a in self.approvals.pending) or "none"
        return f"no approval with id '{approval_id}' (waiting: {waiting})"

    def _cancel_approvals(self, scope: str | None, actor: Actor | None, reason: str) -> None:
        for approval in self.approvals.cancel_for(scope, actor, reason):
            self._approval_changed(approval)

    def _approval_changed(self, approval: PendingApproval) -> None:
        self._emit(approval)  # type: ignore[arg-type]
        if self.approval_listener is not None:
            self.approval_listener(approval)

    # ------------------------------------------------------------------ lifecycle of actors
    def _execute(self, lane: Lane, work: Work, actor: Actor, envelope: Envelope | None) -> None:
        """Run one item of ``lane`` (on its worker, without the lock)."""
        if work is Work.CONSTRUCT:
            self._construct(lane, actor)
        elif work is Work.DELIVER:
            if actor.state == "ready" and envelope is not None:  # a failed actor's leftovers are skipped
                self._deliver(lane, actor, envelope)
        else:
            self._destroy(lane, actor)

    def _construct(self, lane: Lane, actor: Actor) -> None:
        with self._lock:
            agent = self.agents[actor.scope]
            if actor.state != "pending" or not agent.starting_or_running:
                return
        try:
            with self.lanes.constructing(), self.lanes.entered(lane, actor) as instance:
                handle = instance.construct(actor.scope, actor.config_toml)
        except (ActorTrap, ComponentLoadError) as err:
            self._fail_spawn(agent, actor, str(err))
            if lane.pooled and lane.instance is not None and lane.instance.poisoned:
                self._restart_pool(lane, [a for a in lane.actors.values() if a.state == "ready"])
            return
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
        for envelope, recipients in self.bus.replay_for(agent.scope):
            self.gate.route(envelope, [(actor.lane, Work.DELIVER, actor, envelope) for actor in recipients])
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
                self.bus.unsubscribe(actor)
                self.lanes.drop_queued(actor)
                if actor.live:
                    self.lanes.enqueue(actor.lane, Work.DESTROY, actor)
            culprit.lane.actors.pop(culprit.uid, None)
            self.lanes.release_isolated(culprit.lane)
            self.access.mcp.release(culprit.scope, culprit.name)
            self._emit(AgentEvent("failed", agent.scope, agent.name, agent.parent, agent.actor_names, error))
            self._notify_error(f"Agent '{agent.name}' ({agent.scope}) failed to spawn", error, agent.scope)
            if not agent.ready.done():
                agent.ready.set_exception(SpawnError(f"agent '{agent.name}' failed to spawn: {error}"))

    def _deliver(self, lane: Lane, actor: Actor, envelope: Envelope) -> None:
        try:
            with self.lanes.entered(lane, actor, envelope.id) as instance:
                instance.handle(actor.handle, envelope)  # type: ignore[arg-type]
        except ActorTrap as err:
            self._actor_trapped(lane, actor, str(err))

    def _actor_trapped(self, lane: Lane, actor: Actor, error: str) -> None:
        """Mark the actor failed; in a pooled lane, re-create the instance for the others."""
        with self._lock:
            actor.move("failed", error)
            self.bus.unsubscribe(actor)
            self.lanes.drop_queued(actor)
            lane.actors.pop(actor.uid, None)
            self.lanes.release_isolated(lane)
            self.access.mcp.release(actor.scope, actor.name)
            self._cancel_approvals(actor.scope, actor, f"{actor.name} failed")
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
                with self.lanes.entered(lane, actor) as instance:
                    actor.handle = instance.construct(actor.scope, actor.config_toml)
            except (ActorTrap, ComponentLoadError) as err:
                self._actor_trapped(lane, actor, str(err))
                return
            restarted = ActorFault(actor.scope, actor.name, "restarted after a trap in its pool", True)
            with self._lock:
                self.faults.append(restarted)
                self._emit(restarted)

    def _destroy(self, lane: Lane, actor: Actor) -> None:
        if actor.state == "ready" and lane.instance is not None and not lane.instance.poisoned:
            try:
                with self.lanes.entered(lane, actor) as instance:
                    instance.destroy(actor.handle)  # type: ignore[arg-type]
            except ActorTrap as err:
                log.warning("destructor of %s trapped: %s", actor.label, err)
                if lane.pooled:
                    lane.instance = None
        with self._lock:
            if actor.live:
                actor.move("exited")
            actor.handle = None
            lane.actors.pop(actor.uid, None)
            self.lanes.release_isolated(lane)
            self.access.mcp.release(actor.scope, actor.name)
            agent = self.agents[actor.scope]
            agent.exited_count += 1
            if agent.state == "exiting" and not any(a.live for a in agent.actors):
                agent.move("exited")
                self._emit(AgentEvent("exited", agent.scope, agent.name, agent.parent, agent.actor_names))

    def _begin_exit(self, scope: str) -> list[Item]:
        """Exit of ``scope`` (every scope for the root): returns the destructors, to queue after the Exit
        itself (and so after what is already queued)."""
        destroys: list[Item] = []
        targets = list(self.agents.values()) if scope == ROOT_SCOPE else [self.agents.get(scope)]
        for agent in targets:
            if agent is None or not agent.starting_or_running:
                continue
            agent.move("exiting")
            self._cancel_approvals(agent.scope, None, f"agent {agent.name} ({agent.scope}) exited")
            for actor in agent.actors:
                self.bus.unsubscribe(actor)
                if actor.live:
                    destroys.append((actor.lane, Work.DESTROY, actor, None))
            if not agent.ready.done():
                agent.ready.set_exception(SpawnError(f"agent '{agent.name}' exited before it was ready"))
            if not any(a.live for a in agent.actors):
                agent.move("exited")
                self._emit(AgentEvent("exited", agent.scope, agent.name, agent.parent, agent.actor_names))
        return destroys

    # ------------------------------------------------------------------ spawning
    def spawn(
        self, actor_names: Sequence[str], name: str, parent: str | None, *, rename: bool = False
    ) -> Agent:
        """Create a scope and queue the constructors of its actors; returns the agent at once.

        Unknown names fail here, before anything starts. The new actors are subscribed before any
        constructor runs, so nothing broadcast from here on is lost to them. With ``rename`` (a guest's
        ``spawn-agent``), a name already taken among the parent's live children gets the first free
        suffix: ``worker``, ``worker-2``, ``worker-3``.
        """
        try:
            names = self.config.expand_spawn(list(actor_names))
        except ConfigError as err:
            raise SpawnError(str(err)) from None
        missing = [n for n in names if n not in self.components]
        if missing:
            raise SpawnError(f"actor(s) {', '.join(missing)} were not loaded when the runtime started")
        with self._lock:
            if self.lanes.closed:
                raise SpawnError("the runtime has shut down")
            if parent is not None and parent not in self.agents:
                raise SpawnError(f"unknown parent scope '{parent}'")
            quotas.check_spawn(
                self.config.runtime, self._live_agents, self._depth(parent) + 1 if parent else 0
            )
            if rename:
                name = self._free_name(name, parent)
            scope = ROOT_SCOPE if parent is None and ROOT_SCOPE not in self.agents else self.ids.scope()
            agent = Agent(
                scope=scope, name=name, parent=parent, actor_names=tuple(names), on_end=self._agent_ended
            )
            self.agents[scope] = agent
            self._live_agents += 1
            self._by_name.setdefault((parent, name), []).append(agent)
            for actor_name in names:
                agent.actors.append(self._new_actor(actor_name, scope))
            self._emit(AgentEvent("spawning", scope, name, parent, agent.actor_names))
            for actor in agent.actors:
                self.bus.subscribe(actor)
            for actor in agent.actors:
                self.lanes.enqueue(actor.lane, Work.CONSTRUCT, actor)
            if not agent.actors:  # nothing to construct (e.g. no starting_actors): ready at once
                self._agent_ready(agent)
            return agent

    def _free_name(self, name: str, parent: str | None) -> str:
        """``name``, or ``name-2``, ``name-3``, ... : the first not taken by a live child of ``parent``."""
        candidate, n = name, 1
        while self.running_child(parent, candidate) is not None:
            n += 1
            candidate = f"{name}-{n}"
        return candidate

    def running_child(self, parent: str | None, name: str) -> Agent | None:
        """The child of ``parent`` named ``name`` that is starting or running, if there is one."""
        with self._lock:
            for agent in self._by_name.get((parent, name), ()):
                if agent.starting_or_running:
                    return agent
        return None

    def _agent_ended(self, agent: Agent) -> None:
        self._live_agents -= 1

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
            self.lanes.forget_pool(spec.name)

    def _new_actor(self, name: str, scope: str) -> Actor:
        spec = self.config.actors[name]
        loaded = self.components[name]
        lane = self.lanes.lane_for(spec, scope, loaded)
        actor = Actor(
            uid=next(self._uids),
            name=name,
            scope=scope,
            spec=spec,
            lane=lane,
            config_toml=spec.config_toml(),
            listens_to=listens_to(spec.listens_to, loaded.handled_types),
            own_scope_only=spec.scope_filter == "own",
        )
        lane.actors[actor.uid] = actor
        return actor

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
    def control(self) -> Iterator[Gate]:
        """The gate (pause, step, breakpoints), with the runtime's lock held."""
        with self._lock:
            yield self.gate

    def blocking(self) -> contextlib.AbstractContextManager[None]:
        """Around a guest's wait on the host (a command, an HTTP request): another worker may run lanes."""
        return self.lanes.blocking()

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
            return self.lanes.busy_report()

    def activity(self) -> tuple[int, list[str]]:
        """How many items are queued, and what runs now (see :meth:`Lanes.activity`)."""
        with self._lock:
            return self.lanes.activity()

    # ------------------------------------------------------------------ shutdown
    def close(self, timeout: float | None = None) -> None:
        """Stop the worker threads (after the caller has let the system exit), within ``timeout`` s.

        Running commands are killed at once; a guest call still running after ``timeout`` is left to end
        at its deadline on its (daemon) thread, and its lane's work is dropped.
        """
        self.lanes.close()
        self.access.close()
        busy = self.lanes.shutdown(timeout)
        if busy:
            log.warning("shutdown did not wait for %s: %s", ", ".join(busy), self.busy_report())
        self._outbox.flush()
        with self._lock:
            self.lanes.free_all()


__all__ = ["Runtime"]
