"""The runtime's bookkeeping: actors, agents, and lanes (the unit of serial execution)."""

from __future__ import annotations

import concurrent.futures
from collections import deque
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from wasmtime.component import Component, ResourceAny

    from wasmind_nb.config import ActorSpec
    from wasmind_nb.host.fsguard import SymlinkGuard
    from wasmind_nb.host.instance import ComponentInstance, Preopen
    from wasmind_nb.runtime.events import Envelope
    from wasmind_nb.runtime.quotas import MessageRate

ActorState = Literal["pending", "ready", "failed", "exited"]
AgentState = Literal["spawning", "running", "exiting", "exited", "failed"]


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
    items: deque[tuple[Work, Actor, Envelope | None]] = field(default_factory=deque)
    scheduled: bool = False
    running: tuple[Work, Actor, Envelope | None] | None = None
    instance: ComponentInstance | None = None
    fs_guard: SymlinkGuard | None = None  # removes escaping symlinks from its read-write grants
    actors: dict[int, Actor] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
