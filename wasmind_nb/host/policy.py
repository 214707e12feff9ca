"""Per-actor grants for the ``command`` and ``http`` capabilities.

A policy answers one question, "may this actor do that?", with ``None`` (yes) or the error text that the
capability hands back to the guest. ``None`` as the allow-list means the actor may do anything.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


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


@dataclass(frozen=True, slots=True)
class HttpPolicy:
    """Hosts an actor may contact.

    Entries are host names or IP addresses, compared case-insensitively and without port. ``*.example.com``
    matches any subdomain of ``example.com`` (not ``example.com`` itself); ``*`` matches every host.
    """

    allowed_hosts: tuple[str, ...] | None
    actor: str

    def check(self, host: str) -> str | None:
        """``None`` if ``host`` may be contacted, else the error message for the guest."""
        if self.allowed_hosts is None or any(_host_matches(host, entry) for entry in self.allowed_hosts):
            return None
        return f"host '{host}' is not allowed for actor '{self.actor}'"


def _normalise_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def _host_matches(host: str, entry: str) -> bool:
    host, entry = _normalise_host(host), _normalise_host(entry)
    if entry == "*":
        return True
    if entry.startswith("*."):
        return host.endswith(entry[1:]) and len(host) > len(entry) - 1
    return host == entry
