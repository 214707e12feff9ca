"""The bus: the one log of messages in total order, and who receives each of them.

The bus only decides; the runtime queues. :meth:`Bus.post` appends an envelope and returns its
recipients, :meth:`Bus.replay_for` the replayable messages a newly ready scope must see again. Not
thread-safe: the runtime calls it with its lock held, so the order of the log is the order of every lane.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from wasmind_nb.runtime import guard
from wasmind_nb.runtime.events import Envelope, RuntimeEvent
from wasmind_nb.runtime.ids import IdSource, correlation_id
from wasmind_nb.runtime.state import Actor
from wasmind_nb.runtime.subscriptions import Subscriptions


class Bus:
    """Messages in the order they were sent; subscriptions; the latest of each replayable type."""

    def __init__(
        self, ids: IdSource, replayable: Iterable[str], emit: Callable[[RuntimeEvent], None]
    ) -> None:
        self.messages: list[Envelope] = []
        self._ids = ids
        self._emit = emit
        self._subs = Subscriptions()
        self._replayable = frozenset(replayable)
        self._latest_replayable: dict[str, Envelope] = {}

    def subscribe(self, actor: Actor) -> None:
        """``actor`` receives what it listens to from now on."""
        self._subs.add(actor)  # type: ignore[arg-type]

    def unsubscribe(self, actor: Actor) -> None:
        """``actor`` receives nothing more (it failed or is exiting)."""
        self._subs.remove(actor)  # type: ignore[arg-type]

    def post(
        self, message_type: str, payload: bytes, from_actor_id: str, from_scope: str, parent_id: str | None
    ) -> tuple[Envelope, list[Actor]]:
        """Append a message; returns its envelope and every actor that receives it, in no set order.

        A scope-local message (:data:`guard.SCOPE_LOCAL`) reaches only the sender's own scope.
        """
        envelope = self._append(message_type, payload, from_actor_id, from_scope, parent_id)
        recipients: list[Actor] = self._subs.recipients(message_type, from_scope)  # type: ignore[assignment]
        if message_type in guard.SCOPE_LOCAL:
            recipients = [actor for actor in recipients if actor.scope == from_scope]
        if message_type in self._replayable:
            self._latest_replayable[message_type] = envelope
        return envelope, recipients

    def replay_for(self, scope: str) -> list[tuple[Envelope, list[Actor]]]:
        """Re-send the latest replayable messages to ``scope``, whose actors just became ready: each new
        envelope (marked ``replay``) with the actors of ``scope`` that receive it."""
        replayed = []
        for original in list(self._latest_replayable.values()):
            envelope = self._append(
                original.message_type,
                original.payload,
                original.from_actor_id,
                original.from_scope,
                original.id,
                replay=True,
            )
            recipients = self._subs.recipients(original.message_type, original.from_scope)
            replayed.append((envelope, [a for a in recipients if a.scope == scope]))  # type: ignore[misc]
        return replayed  # type: ignore[return-value]

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
            id=correlation_id(parent_id, self._ids.segment()),
            message_type=message_type,
            from_actor_id=from_actor_id,
            from_scope=from_scope,
            payload=payload,
            replay=replay,
        )
        self.messages.append(envelope)
        self._emit(envelope)
        return envelope


__all__ = ["Bus"]
