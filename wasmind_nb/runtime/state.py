"""The runtime's bookkeeping: actors, agents, and lanes (the unit of serial execution)."""

from __future__ import annotations

import concurrent.futures
from collections import deque
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from collections.abc import Callable

    from wasmtime.component import Component, ResourceAny

    from wasmind_nb.config import ActorSpec
    from wasmind_nb.host.fsguard import SymlinkGuard
    from wasmind_nb.host.instance import ComponentInstance, Preopen
    from wasmind_nb.runtime.events import Envelope
    from wasmind_nb.runtime.quotas import MessageRate

ActorState = Literal["pending", "ready", "failed", "exited"]
AgentState = Literal["spawning", "running", "exiting", "exited", "failed"]

#: The actor state machine: pending -> ready when its constructor returns; failed on a trap; exited
#: once its destructor ran (or it was never constructed). failed and exited are final.
ACTOR_MOVES: dict[ActorState, frozenset[ActorState]] = {
    "pending": frozenset({"ready", "failed", "exited"}),
    "ready": frozenset({"failed", "exited"}),
    "failed": frozenset(),
    "exited": frozenset(),
}
#: The agent state machine: spawning -> running when every actor is ready; exiting on ``Exit``, then
#: exited when every actor is; failed when a constructor trapped. failed and exited are final.
AGENT_MOVES: dict[AgentState, frozenset[AgentState]] = {
    "spawning": frozenset({"running", "exiting", "failed"}),
    "running": frozenset({"exiting", "failed"}),
    "exiting": frozenset({"exited", "failed"}),
    "exited": frozenset(),
    "failed": frozenset(),
}


class IllegalTransition(RuntimeError):
    """A state change the state machine does not allow (a bug in the runtime, never the user's)."""


class Work(Enum):
    CONSTRUCT = "construct"
    DELIVER = "deliver"
    DESTROY = "destroy"


@dataclass(eq=False)
class Actor:
    """One live actor: a logical actor spawned into one scope."""

    uid: int
    name: str
    scope: str
    spec: ActorSpec
    lane: Lane
    config_toml: str
    listens_to: tuple[str, ...] | None
    own_scope_only: bool
    state: ActorState = "pending"
    handle: ResourceAny | None = None
    error: str | None = None
    rate: MessageRate | None = None  # its [runtime] max_message_rate bucket, made at its first broadcast

    @property
    def label(self) -> str:
        return f"{self.name}@{self.scope}"

    @property
    def live(self) -> bool:
        """Constructed or about to be: it still has a destructor to run."""
        return self.state in ("pending", "ready")

    def move(self, to: ActorState, error: str | None = None) -> None:
        """Change state along :data:`ACTOR_MOVES` (``error``: why it failed)."""
        if to not in ACTOR_MOVES[self.state]:
            raise IllegalTransition(f"actor {self.label}: {self.state} -> {to}")
        self.state = to
        if error is not None:
            self.error = error


@dataclass(eq=False)
class Agent:
    """A scope and the actors spawned into it."""

    scope: str
    name: str
    parent: str | None
    actor_names: tuple[str, ...]
    actors: list[Actor] = field(default_factory=list)
    state: AgentState = "spawning"
    ready_count: int = 0
    exited_count: int = 0
    error: str | None = None
    ready: concurrent.futures.Future[str] = field(default_factory=concurrent.futures.Future)
    #: called once when it stops being :attr:`live` (the runtime counts live agents with it)
    on_end: Callable[[Agent], None] | None = field(default=None, repr=False)

    @property
    def live(self) -> bool:
        """Not yet ended (it counts against ``[runtime] max_agents``)."""
        return self.state in ("spawning", "running", "exiting")

    @property
    def starting_or_running(self) -> bool:
        """Its actors may still be constructed and may start work."""
        return self.state in ("spawning", "running")

    @property
    def ended(self) -> bool:
        return self.state in ("failed", "exited")

    def move(self, to: AgentState, error: str | None = None) -> None:
        """Change state along :data:`AGENT_MOVES` (``error``: why it failed)."""
        if to not in AGENT_MOVES[self.state]:
            raise IllegalTransition(f"agent {self.name} ({self.scope}): {self.state} -> {to}")
        was_live = self.live
        self.state = to
        if error is not None:
            self.error = error
        if was_live and not self.live and self.on_end is not None:
            self.on_end(self)


@dataclass(eq=False)
class Lane:
    """Work for one component instance, executed in order by one worker at a time.

    Isolated mode: one lane per actor. Pooled mode: one lane per actor type, shared by all its actors.
    """

    label: str
    spec: ActorSpec
    component: Component
    pooled: bool
    preopens: tuple[Preopen, ...] = ()  # the interpreter's read-only grants, besides the actor's fs grants
    boot: str = ""  # what an instance's first constructor call gets in front of the config
    items: deque[tuple[Work, Actor, Envelope | None]] = field(default_factory=deque)
    scheduled: bool = False
    running: tuple[Work, Actor, Envelope | None] | None = None
    instance: ComponentInstance | None = None
    fs_guard: SymlinkGuard | None = None  # removes escaping symlinks from its read-write grants
    actors: dict[int, Actor] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
