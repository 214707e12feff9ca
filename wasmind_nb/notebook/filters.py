"""The timeline filters of ``AgentView``, the same as the front end's (``js/src/filters.js``).

Both are checked against the shared cases of ``js/test/filter_cases.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

__all__ = ["MessageFilter", "message_matches"]

# Message row positions (see widget.py).
M_TYPE, M_ACTOR, M_SCOPE, M_TARGET, M_TEXT = 2, 3, 4, 5, 6


class MessageFilter:
    """Keeps the message rows that pass every filter that is set.

    ``scopes``: the sender's or the target's scope is one of them (a scope filter resolved to the scope
    typed and the agents of that name). ``type``, ``actor``, ``text``: case-insensitive substrings of the
    message type, the sending actor id and the payload preview, or the whole payload when ``text_of``
    gives it (``text_of(row)``; the Python side searches whole payloads, the front end its previews).
    """

    def __init__(
        self,
        scopes: Collection[str] = (),
        type: str = "",
        actor: str = "",
        text: str = "",
        *,
        text_of: Callable[[Sequence[Any]], str] | None = None,
    ) -> None:
        self.scopes = frozenset(scopes)
        self.type = type.strip().lower()
        self.actor = actor.strip().lower()
        self.text = text.strip().lower()
        self._text_of = text_of

    @property
    def empty(self) -> bool:
        return not (self.scopes or self.type or self.actor or self.text)

    def matches(self, row: Sequence[Any]) -> bool:
        if self.scopes and row[M_SCOPE] not in self.scopes and row[M_TARGET] not in self.scopes:
            return False
        if self.type and self.type not in row[M_TYPE].lower():
            return False
        if self.actor and self.actor not in row[M_ACTOR].lower():
            return False
        if not self.text:
            return True
        return self.text in (row[M_TEXT] if self._text_of is None else self._text_of(row)).lower()


def message_matches(
    row: Sequence[Any],
    scope: str = "",
    type: str = "",
    actor: str = "",
    text: str = "",
    *,
    agents: Iterable[tuple[str, str]] = (),
) -> bool:
    """One row against one set of filter values; ``scope`` is a scope or the name (any case) of one of
    ``agents`` (``(scope, name)`` pairs)."""
    scope = scope.strip()
    named = [s for s, name in agents if scope and name.lower() == scope.lower()]
    return MessageFilter([scope, *named] if scope else (), type, actor, text).matches(row)
