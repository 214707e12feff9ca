"""What the runtime tells observers (the widget, the magics, user callbacks).

Observers registered with ``Wasmind.observe`` are called on the asyncio loop's thread, in bus order,
with batches of events (a list), never from a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from wasmind_nb.host.denial import Denial

ROOT_SCOPE = "000000"


@dataclass(frozen=True, slots=True)
class Envelope:
    """One message on the bus. ``seq`` is its position in the total order (0-based)."""

    seq: int
    id: str
    message_type: str
    from_actor_id: str
    from_scope: str
    payload: bytes
    replay: bool = False

    def json(self) -> object:
        """The payload parsed as JSON (``None`` for an empty payload)."""
        import json

        return json.loads(self.payload) if self.payload else None


AgentChange = Literal["spawning", "spawned", "exited", "failed"]


@dataclass(frozen=True, slots=True)
class AgentEvent:
    """An agent (scope) changed state. ``actors`` are logical actor names."""

    change: AgentChange
    scope: str
    name: str
    parent: str | None
    actors: tuple[str, ...] = field(default_factory=tuple)
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ActorFault:
    """An actor's guest call trapped; ``restarted`` says whether the runtime re-created it."""

    scope: str
    actor: str
    error: str
    restarted: bool = False


RuntimeEvent = Envelope | AgentEvent | ActorFault | Denial
"""A :class:`~wasmind_nb.host.denial.Denial` is a refused capability (see ``Runtime.record_denial``)."""
