"""Who receives a message: an index of live actors by the message types and scopes they listen to.

An actor that declares nothing listens to everything (upstream semantics). Declaring ``listens_to`` and
``scope_filter = "own"`` lets the host skip calls the actor would ignore, which is what makes tens of
thousands of actors cheap. A Python actor on the shared interpreter declares by its ``@on`` handlers
(:func:`listens_to`); a manifest's ``listens_to`` adds to them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol


def listens_to(declared: tuple[str, ...] | None, handled: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """What an actor receives: its manifest's ``listens_to`` and its handlers' types; ``None`` (every
    message) when neither is known."""
    if handled is None:
        return declared
    if declared is None:
        return handled
    return tuple(dict.fromkeys((*declared, *handled)))


class Listener(Protocol):
    uid: int
    scope: str
    listens_to: tuple[str, ...] | None
    own_scope_only: bool


class Subscriptions:
    """Index of listeners; not thread-safe (the runtime holds its lock)."""

    def __init__(self) -> None:
        self._any: dict[int, Listener] = {}
        self._by_type: dict[str, dict[int, Listener]] = {}
        self._own_any: dict[str, dict[int, Listener]] = {}
        self._own_by_type: dict[tuple[str, str], dict[int, Listener]] = {}

    def _buckets(self, listener: Listener) -> Iterator[dict[int, Listener]]:
        if listener.listens_to is None:
            if listener.own_scope_only:
                yield self._own_any.setdefault(listener.scope, {})
            else:
                yield self._any
            return
        for message_type in listener.listens_to:
            if listener.own_scope_only:
                yield self._own_by_type.setdefault((message_type, listener.scope), {})
            else:
                yield self._by_type.setdefault(message_type, {})

    def add(self, listener: Listener) -> None:
        for bucket in self._buckets(listener):
            bucket[listener.uid] = listener

    def remove(self, listener: Listener) -> None:
        for bucket in self._buckets(listener):
            bucket.pop(listener.uid, None)

    def recipients(self, message_type: str, from_scope: str) -> list[Listener]:
        """Every listener that receives a message of ``message_type`` sent from ``from_scope``."""
        found: list[Listener] = list(self._any.values())
        for bucket in (
            self._by_type.get(message_type),
            self._own_any.get(from_scope),
            self._own_by_type.get((message_type, from_scope)),
        ):
            if bucket:
                found.extend(bucket.values())
        return found
