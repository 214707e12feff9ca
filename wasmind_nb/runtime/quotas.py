"""Quotas that keep one actor from flooding the bus or the agent tree (the ``[runtime]`` table's keys).

A quota names its config key when it refuses, so the user knows what to raise. Message quotas fail the
actor (the host call raises :class:`~wasmind_nb.errors.QuotaExceeded`, the guest traps, and the fault
says why); agent quotas fail the spawn with a :class:`~wasmind_nb.errors.SpawnError`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from wasmind_nb.config import RuntimeSettings
from wasmind_nb.errors import QuotaExceeded, SpawnError

BURST_SECONDS = 10.0
"""An actor may send ``max_message_rate * BURST_SECONDS`` messages at once before the rate applies."""


class MessageRate:
    """A token bucket: ``rate`` messages per second on average, bursts of ``rate * BURST_SECONDS``."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = rate * BURST_SECONDS
        self._tokens = self.capacity
        self._clock = clock
        self._stamp = clock()

    def take(self) -> bool:
        """Spend one message; ``False`` when the bucket is empty."""
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


def check_message(settings: RuntimeSettings, label: str, sent_in_call: int, rate: MessageRate) -> None:
    """Raise :class:`QuotaExceeded` if ``label`` may not broadcast one more message now."""
    if sent_in_call > settings.max_messages_per_call:
        raise QuotaExceeded(
            f"actor {label} broadcast more than {settings.max_messages_per_call:,} messages in one call "
            "([runtime] max_messages_per_call)"
        )
    if not rate.take():
        raise QuotaExceeded(
            f"actor {label} broadcast more than {rate.rate:,g} messages per second on average "
            f"([runtime] max_message_rate; bursts of {rate.capacity:,g})"
        )


def check_spawn(settings: RuntimeSettings, alive: int, depth: int) -> None:
    """Raise :class:`SpawnError` if one more agent, ``depth`` levels below the root, is over a quota."""
    if alive >= settings.max_agents:
        raise SpawnError(
            f"{settings.max_agents:,} agents are alive, the most allowed ([runtime] max_agents); "
            "let some finish, or raise the quota"
        )
    if depth > settings.max_spawn_depth:
        raise SpawnError(
            f"the agent would be {depth} levels below the root, deeper than allowed "
            f"([runtime] max_spawn_depth = {settings.max_spawn_depth})"
        )


__all__ = ["BURST_SECONDS", "MessageRate", "check_message", "check_spawn"]
