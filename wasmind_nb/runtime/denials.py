"""Refused capabilities, made visible: logged, kept, sent to observers, and announced once on the bus."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from wasmind_nb.host.denial import Denial
from wasmind_nb.runtime.events import RuntimeEvent
from wasmind_sdk.messages import UserNotification

security_log = logging.getLogger("wasmind_nb.security")
MAX_DENIALS_KEPT = 10_000


class DenialLog:
    """Every :class:`Denial` of one runtime.

    ``denials`` holds the latest :data:`MAX_DENIALS_KEPT` (``count`` is the total). The first denial per
    actor, scope and capability is also published (through ``notify``) as a Warning
    ``UserNotification``, so the transcript and the widget show it.
    """

    def __init__(
        self,
        lock: threading.RLock,
        emit: Callable[[RuntimeEvent], None],
        notify: Callable[[UserNotification], None],
    ) -> None:
        self.denials: list[Denial] = []
        self.count = 0
        self._lock = lock
        self._emit = emit
        self._notify = notify
        self._notified: set[tuple[str, str, str]] = set()

    def record(self, denial: Denial) -> str:
        """Make ``denial`` visible; returns the text the guest gets as the WIT error value."""
        security_log.warning("[%s %s] denied %s: %s", denial.scope, denial.actor, denial.capability, denial)
        with self._lock:
            self.count += 1
            self.denials.append(denial)
            if len(self.denials) > MAX_DENIALS_KEPT:
                del self.denials[: len(self.denials) - MAX_DENIALS_KEPT]
            self._emit(denial)
            key = (denial.scope, denial.actor, denial.capability)
            if key not in self._notified:
                self._notified.add(key)
                self._notify(
                    UserNotification(
                        level="Warning",
                        title=f"Denied: {denial.actor} in {denial.scope} asked for {denial.capability}",
                        message=f"{denial} (target: {denial.target})",
                        source=denial.scope,
                    )
                )
        return str(denial)
