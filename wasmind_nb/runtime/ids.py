"""Scope ids and correlation-id segments: six alphanumeric characters, from a seeded generator.

Seeded so that a run whose spawn order is the same gets the same scopes (stable notebooks, replays).
"""

from __future__ import annotations

import random
import string
import threading

ROOT_SCOPE = "000000"
_ALPHABET = string.ascii_letters + string.digits


class IdSource:
    """Hands out unique scopes and id segments; thread-safe."""

    def __init__(self, seed: int | None = 0) -> None:
        self._scopes = random.Random(seed)
        self._segments = random.Random(None if seed is None else seed + 1)
        self._used = {ROOT_SCOPE}
        self._lock = threading.Lock()

    def scope(self) -> str:
        with self._lock:
            while True:
                candidate = "".join(self._scopes.choices(_ALPHABET, k=6))
                if candidate not in self._used:
                    self._used.add(candidate)
                    return candidate

    def segment(self) -> str:
        with self._lock:
            return "".join(self._segments.choices(_ALPHABET, k=6))


def correlation_id(parent_id: str | None, segment: str) -> str:
    """``root:XXXXXX`` outside a handler; ``<last segment of the handled id>:XXXXXX`` inside one."""
    parent = parent_id.rsplit(":", 1)[-1] if parent_id else "root"
    return f"{parent}:{segment}"
