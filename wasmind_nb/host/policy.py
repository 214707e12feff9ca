"""Per-actor grants for the ``command`` and ``http`` capabilities.

A policy answers one question, "may this actor do that?", with ``None`` (yes) or the reason it may not.
``HttpPolicy`` lives in ``host.netpolicy`` (hosts, ports and resolved addresses) and is re-exported here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from wasmind_nb.host.netpolicy import HttpPolicy

__all__ = ["CommandPolicy", "HttpPolicy"]


@dataclass(frozen=True, slots=True)
class CommandPolicy:
    """Programs an actor may run: matched by exact text or by basename (``"git"`` allows ``/usr/bin/git``)."""

    allowed: tuple[str, ...] | None
    actor: str

    def check(self, program: str) -> str | None:
        """``None`` if ``program`` may run, else the error message for the guest."""
        if self.allowed is None or program in self.allowed or os.path.basename(program) in self.allowed:
            return None
        return f"command '{program}' is not allowed for actor '{self.actor}'"
