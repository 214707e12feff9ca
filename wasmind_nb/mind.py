"""``Wasmind``: the Python API to start a config, spawn agents, send messages and watch the bus.

Everything here is async and runs on the caller's event loop (in Jupyter, the kernel's loop: use
top-level ``await``). Guest code runs on worker threads, so the loop stays free while actors work.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import networkx as nx

from wasmind_nb.approving import ApprovalCallback, ApprovingMixin
from wasmind_nb.build.loader import LoadedActor, load_all
from wasmind_nb.config import ActorSpec, Capabilities, Config
from wasmind_nb.conversation import Conversation, conversation_of
from wasmind_nb.errors import IdleTimeout, SpawnError, WasmindError
from wasmind_nb.host.bytelists import check_size
from wasmind_nb.host.denial import Denial
from wasmind_nb.host.engine import shared_engine
from wasmind_nb.host.linker import shared_linker
from wasmind_nb.llm.connection import LLMConnection, connect
from wasmind_nb.paths import cache_dir
from wasmind_nb.runtime.core import CONTEXT_SENDER, Runtime
from wasmind_nb.runtime.events import ActorFault, Envelope, RuntimeEvent
from wasmind_nb.runtime.guard import INTERRUPT
from wasmind_nb.runtime.ids import ROOT_SCOPE
from wasmind_nb.runtime.state import Agent
from wasmind_nb.stepping import SteppingMixin
from wasmind_nb.usage import Pricing, Usage, UsageLedger, UsageRow, total
from wasmind_sdk.host import encode_payload
from wasmind_sdk.llm_types import UserMessage
from wasmind_sdk.messages import AddMessage, Exit, encode

log = logging.getLogger("wasmind_nb")

BASE_URL_UPDATE = "wasmind.common.litellm.BaseUrlUpdate"
_MIN_CLOSE_S = 0.5  # what shutdown leaves the threads to finish their current call, even past its timeout
_FAILED_START_CLOSE_S = 5.0


@dataclass(frozen=True)
class AgentInfo:
    """A snapshot of one agent: ``state`` is spawning, running, exiting, exited or failed.

    An agent is ``failed`` when it failed to spawn or when every one of its actors has failed (trapped)
    since: nothing of it can answer any more. An agent some of whose actors failed keeps its state and
    lists them in ``failed_actors``; :attr:`state_text` says both (``running, 1 actor failed``).
    ``usage`` counts its model calls (``mind.usage()`` splits them by model).
    """

    scope: str
    name: str
    parent: str | None
    actors: tuple[str, ...]
    state: str
    error: str | None
    failed_actors: tuple[str, ...] = ()
    usage: Usage = field(default_factory=Usage)

    @property
    def alive(self) -> bool:
        return self.state in ("spawning", "running")

    @property
    def state_text(self) -> str:
        """The state as shown by ``%wasmind status`` and the view: ``running, 1 actor failed``."""
        if self.state == "failed" or not self.failed_actors:
            return self.state
        n = len(self.failed_actors)
        return f"{self.state}, {n} actor{'s' if n > 1 else ''} failed"


def agent_info(agent: Agent, usage: Usage) -> AgentInfo:
    """The snapshot of a runtime agent, its state derived as :class:`AgentInfo` documents."""
    failed = [actor for actor in agent.actors if actor.state == "failed"]
    state, error = agent.state, agent.error
    if agent.state != "failed" and failed and len(failed) == len(agent.actors):
        first = (failed[0].error or "trap").strip().splitlines()
        state, error = "failed", f"actor '{failed[0].name}' failed: {first[0] if first else 'trap'}"
    names = tuple(actor.name for actor in failed)
    return AgentInfo(agent.scope, agent.name, agent.parent, agent.actor_names, state, error, names, usage)


def _payload_bytes(payload: Any) -> bytes:
    """Wire bytes of what ``broadcast`` accepts: a pydantic model, or anything the SDK encodes."""
    if hasattr(payload, "model_dump_json"):
        return payload.model_dump_json().encode()
    return encode_payload(payload)


class Wasmind(SteppingMixin, ApprovingMixin):
    """A running Wasmind system.

    ``config`` is a :class:`Config` or the path of a TOML file. ``working_dir`` is what actors see as the
    host's working directory (default: the current directory). ``seed`` makes scope ids reproducible.
    ``llm`` scripts the embedded offline model (a list of replies, a ``Script``, a function of the
    request, or a script file), overriding ``[llm] script``. ``on_approval`` decides the tool calls that
    need approval (see :meth:`on_approval`).
    """

    def __init__(
        self,
        config: Config | str | os.PathLike[str],
        *,
        working_dir: str | os.PathLike[str] | None = None,
        seed: int | None = 0,
        progress: bool = True,
        llm: Any = None,
        on_approval: ApprovalCallback | None = None,
    ) -> None:
        self.config = config if isinstance(config, Config) else Config.from_file(config)
        self.working_dir = Path(working_dir or os.getcwd()).resolve()
        self.seed = seed
        self.progress = progress
        self._script = llm
        self.llm: LLMConnection | None = None
        self._runtime: Runtime | None = None
        self._engine = shared_engine()
        self._stopped = False
        self._stop_watchers: list[Callable[[], None]] = []
        self._ticker_held = False
        self._ledger = UsageLedger()
        self._pricing: tuple[Config, Pricing] | None = None
        self._init_approvals(on_approval)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Build and load every actor, then spawn ``starting_actors`` into the root scope ``000000``."""
        if self._runtime is not None:
            raise WasmindError("this Wasmind is already started")
        loop = asyncio.get_running_loop()
        cache = cache_dir(self.config.runtime.cache_dir)
        components = await asyncio.to_thread(
            load_all,
            self.config.actors.values(),
            self._engine,
            cache,
            progress=self.progress,
            standalone=self.config.runtime.python_build == "standalone",
        )
        linker = shared_linker(self._engine.engine)
        try:
            self.llm = connect(self.config.llm, self._script, source=self.config.source_file)
            self._runtime = Runtime(
                self.config,
                self._engine,
                linker,
                components,
                loop=loop,
                transport=self.llm.transport,
                llm_grant_host=self.llm.grant_host,
                credential=self.llm.credential,
                working_dir=self.working_dir,
                seed=self.seed,
            )
            self._connect_approvals(self._runtime, loop)
            self._start_recording_decisions()
            self._engine.acquire_ticker()
            self._ticker_held = True
            url = {"base_url": self.llm.base_url, "models_available": self.llm.models}
            self._runtime.publish(
                BASE_URL_UPDATE, _payload_bytes(url), from_actor_id=CONTEXT_SENDER, from_scope=ROOT_SCOPE
            )
            root = self._runtime.spawn(self.config.starting_actors, "root", parent=None)
            await asyncio.wrap_future(root.ready)
        except BaseException:
            await self._release(timeout=_FAILED_START_CLOSE_S)  # nothing of a failed start keeps running
            raise

    async def shutdown(self, timeout: float = 30.0) -> None:
        """Exit the root scope (every destructor runs), then stop the worker threads. Idempotent.

        Takes at most about ``timeout`` seconds: what is still running then (a command, a request, a
        handler) is killed or left to end at its deadline, and its remaining work is dropped.
        """
        runtime = self._runtime
        if runtime is None or self._stopped:
            return
        deadline = asyncio.get_running_loop().time() + timeout
        try:
            self._release_for_shutdown()
            root = runtime.agents.get(ROOT_SCOPE)
            if root is not None and root.starting_or_running:
                runtime.publish(
                    Exit.MESSAGE_TYPE, encode(Exit()), from_actor_id=CONTEXT_SENDER, from_scope=ROOT_SCOPE
                )
            await asyncio.wait_for(asyncio.shield(runtime.idle_future()), timeout)
        except TimeoutError:
            pass
        finally:
            remaining = deadline - asyncio.get_running_loop().time()
            await self._release(timeout=max(_MIN_CLOSE_S, remaining))

    async def _release(self, timeout: float) -> None:
        """Stop the runtime's threads and commands, the epoch ticker and the LLM connection (once)."""
        if self._stopped:
            return
        self._stopped = True
        if self._runtime is not None:
            await asyncio.to_thread(self._runtime.close, timeout)
        if self._ticker_held:
            self._ticker_held = False
            self._engine.release_ticker()
        if self.llm is not None:
            self.llm.close()
        await asyncio.sleep(0)  # the observers' last batches (queued by the threads) go first
        for watcher in list(self._stop_watchers):
            try:
                watcher()
            except Exception:  # a watcher must never break the shutdown
                log.exception("a stop watcher failed")

    def when_stopped(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback()`` on the loop once this Wasmind has stopped (after the last observer batch);
        returns a function that removes it. Views freeze their outputs this way."""
        self._stop_watchers.append(callback)

        def remove() -> None:
            if callback in self._stop_watchers:
                self._stop_watchers.remove(callback)

        return remove

    async def __aenter__(self) -> Wasmind:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.shutdown()

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            raise WasmindError("Wasmind is not started: `await mind.start()` first")
        return self._runtime

    @property
    def running(self) -> bool:
        return self._runtime is not None and not self._stopped

    # ------------------------------------------------------------------ acting
    async def spawn_agent(
        self, actor_names: Sequence[str] | str, name: str | None = None, *, parent: str | None = None
    ) -> str:
        """Spawn an agent and wait until all its actors are ready; returns its scope.

        ``parent`` defaults to the root scope. Raises :class:`SpawnError` (unknown actor, trapping
        constructor); nothing of a failed agent is left running.
        """
        names = [actor_names] if isinstance(actor_names, str) else list(actor_names)
        name = name or "+".join(names)
        parent = parent or ROOT_SCOPE
        self._check_unique_name(name, parent)
        agent = self.runtime.spawn(names, name, parent=parent)
        return await asyncio.wrap_future(agent.ready)

    async def add_actor(self, spec: ActorSpec, *, loaded: LoadedActor | None = None) -> None:
        """Make a new (or changed) actor spawnable in the running system.

        Prepares (or builds) and compiles ``spec`` unless it is already ``loaded``. Agents already running
        keep the version they were spawned with.
        """
        if loaded is None:
            cache = cache_dir(self.config.runtime.cache_dir)
            standalone = self.config.runtime.python_build == "standalone"
            every = await asyncio.to_thread(
                load_all, [spec], self._engine, cache, progress=self.progress, standalone=standalone
            )
            loaded = every[spec.name]
        self.runtime.add_actor(spec, loaded)
        self.config = self.runtime.config

    async def broadcast(self, message_type: str, payload: Any = None, scope: str = ROOT_SCOPE) -> Envelope:
        """Broadcast from the host, as if sent from ``scope`` (sender ``wasmind__context``).

        ``payload``: bytes, str, a dict/list (JSON), a pydantic model, or a ``wasmind_sdk`` message.
        """
        self._check_scope(scope)
        data = _payload_bytes(payload)
        check_size(f"the payload of {message_type}", len(data))
        return self.runtime.publish(message_type, data, from_actor_id=CONTEXT_SENDER, from_scope=scope)

    async def send_user_message(self, scope: str, text: str) -> Envelope:
        """Send an ``AddMessage`` with a user message to the agent with this scope."""
        self._check_scope(scope)
        message = AddMessage(agent=scope, message=UserMessage(content=text))
        return await self.broadcast(AddMessage.MESSAGE_TYPE, message, scope=ROOT_SCOPE)

    async def exit_agent(self, scope: str) -> None:
        """Broadcast ``Exit`` from ``scope``: its actors finish what is queued, then their destructors run."""
        await self.broadcast(Exit.MESSAGE_TYPE, Exit(), scope=scope)

    async def interrupt(self, scope: str) -> Envelope:
        """Stop what the agent with this scope is doing: its model requests in flight are cancelled at
        once (those of its actors granted ``llm``), then ``Interrupt`` tells its assistant to drop the
        turn and wait for the user (docs/llm.md, "Timeouts, retries and interrupts")."""
        self._check_scope(scope)
        self.runtime.access.cancel_requests(scope, f"agent {scope} was interrupted", llm_only=True)
        return await self.broadcast(INTERRUPT, {"agent": scope}, scope=ROOT_SCOPE)

    async def wait_idle(self, timeout: float | None = 60.0) -> None:
        """Return when nothing is queued or running; raise :class:`IdleTimeout` naming what is busy, or
        :class:`BusPaused` when the bus is paused (or stopped at a breakpoint) with messages held, or
        :class:`ApprovalPending` when only tool calls waiting for a decision are left (an ``on_approval``
        callback still deciding is waited for)."""

        async def settled() -> None:  # a decision taken meanwhile (a callback, a replay) starts new work
            while True:
                await self.runtime.idle_future()
                if not await self._settle_approvals() and self.runtime.idle:
                    return

        try:
            await asyncio.wait_for(settled(), timeout)
        except TimeoutError:
            raise IdleTimeout(f"still busy after {timeout} s: {self.runtime.busy_report()}") from None
        self._check_not_held()
        self._check_no_pending_approvals()

    def observe(self, callback: Callable[[list[RuntimeEvent]], None]) -> Callable[[], None]:
        """Call ``callback(batch)`` on the loop thread for every batch of new events; returns unsubscribe."""
        return self.runtime.observe(callback)

    def _check_unique_name(self, name: str, parent: str) -> None:
        """Names are unique among the live children of a parent, so that a name finds one agent."""
        agent = self.runtime.running_child(parent, name)
        if agent is not None:
            raise SpawnError(
                f"an agent named '{name}' already runs under {self._label(parent)} "
                f"(scope {agent.scope}): "
                f"exit it first (`await mind.exit_agent('{agent.scope}')`) or choose another name"
            )

    def _label(self, scope: str) -> str:
        agent = self.runtime.agents.get(scope)
        return f"'{agent.name}' ({scope})" if agent is not None else scope

    def _check_scope(self, scope: str) -> None:
        if scope not in self.runtime.agents:
            known = ", ".join(sorted(self.runtime.agents)) or "none"
            raise WasmindError(f"unknown scope '{scope}' (known scopes: {known})")

    # ------------------------------------------------------------------ looking
    @property
    def messages(self) -> list[Envelope]:
        """Every envelope so far, in bus order."""
        return list(self.runtime.messages)

    @property
    def agents(self) -> dict[str, AgentInfo]:
        """Every agent so far (live and exited), by scope."""
        pricing = self._update_usage()
        return {
            scope: agent_info(a, self._ledger.of(scope, pricing))
            for scope, a in list(self.runtime.agents.items())
        }

    @property
    def pricing(self) -> Pricing:
        """The model of each actor and the prices of ``[llm] prices`` (follows ``mind.config``)."""
        if self._pricing is None or self._pricing[0] is not self.config:
            self._pricing = (self.config, Pricing(self.config.actors, self.config.llm.prices))
        return self._pricing[1]

    def _update_usage(self) -> Pricing:
        pricing = self.pricing
        self._ledger.update(self.runtime.messages, pricing)
        return pricing

    def usage(self) -> list[UsageRow]:
        """Token usage as plain rows: one per agent and model it called (scope, name, model, calls,
        prompt, completion and total tokens, cost in US dollars or ``None`` without a price)."""
        pricing = self._update_usage()
        names = {scope: a.name for scope, a in list(self.runtime.agents.items())}
        return self._ledger.rows(names, pricing)

    def conversation(self, agent: str) -> Conversation:
        """The conversation of an agent (its scope or name), as plain data: the system prompt, user and
        system input, replies with their tool calls and results, errors and notices, in bus order.
        ``print(mind.conversation("coder"))`` reads it (see ``wasmind_nb.conversation``)."""
        scope = self.scope_of(agent)
        pricing = self._update_usage()
        info = self.runtime.agents[scope]
        found = conversation_of(scope, self.messages, info.name)
        found.usage = self._ledger.of(scope, pricing)
        return found

    def total_usage(self) -> Usage:
        """Every agent's usage together (``cost`` is ``None`` unless every call's model has a price)."""
        return total(Usage(r.calls, r.prompt_tokens, r.completion_tokens, r.cost) for r in self.usage())

    @property
    def faults(self) -> list[ActorFault]:
        """Actors that trapped (and pool members re-created after a trap)."""
        return list(self.runtime.faults)

    @property
    def denials(self) -> list[Denial]:
        """Capabilities refused to actors, oldest first (the latest 10,000; see ``docs/security.md``)."""
        return list(self.runtime.denials)

    @property
    def grants(self) -> dict[str, Capabilities]:
        """What each actor of the config may do, by actor name (``str(caps)`` is not it: use ``.summary()``).

        Available before ``start()``: grants come from the config alone. Requests that nothing trusted
        granted are in ``mind.config.actors[name].ungranted`` (each was warned about).
        """
        return {name: spec.capabilities for name, spec in sorted(self.config.actors.items())}

    @property
    def graph(self) -> nx.DiGraph:
        """The agent tree as a ``networkx.DiGraph`` (parent -> child), exited agents included.

        Node attributes: ``name``, ``actors``, ``state``, ``alive``. Use :attr:`live_graph` for live ones.
        """
        graph = nx.DiGraph()
        for info in self.agents.values():
            graph.add_node(info.scope, name=info.name, actors=info.actors, state=info.state, alive=info.alive)
            if info.parent is not None:
                graph.add_edge(info.parent, info.scope)
        return graph

    @property
    def live_graph(self) -> nx.DiGraph:
        """The agent tree without exited or failed agents."""
        graph = self.graph
        return graph.subgraph(n for n, alive in graph.nodes(data="alive") if alive).copy()

    def scope_of(self, name_or_scope: str) -> str:
        """The scope of an agent given its scope or its name.

        A name finds the live agent of that name (names are unique among a parent's live children), else
        the latest spawned one that ended. ``parent/name`` (names or scopes) picks among namesakes of
        several parents.
        """
        agents = list(self.runtime.agents.values())
        if name_or_scope in self.runtime.agents:
            return name_or_scope
        parent, _, name = name_or_scope.rpartition("/")
        matches = [a for a in agents if a.name == name]
        if parent:
            matches = [a for a in matches if a.parent == self.scope_of(parent)]
        live = [a for a in matches if a.starting_or_running]
        if len(live) == 1 or (not live and matches):
            return (live or matches)[-1].scope
        if not matches:
            raise WasmindError(f"no agent named or scoped '{name_or_scope}'")
        where = ", ".join(f"{a.scope} (under {self._label(a.parent or ROOT_SCOPE)})" for a in live)
        raise WasmindError(
            f"several live agents are named '{name_or_scope}': {where}; use a scope or 'parent/{name}'"
        )
