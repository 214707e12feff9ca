"""Per-actor grants for the ``http`` capability.

A policy answers one question, "may this actor do that?", with ``None`` (yes) or the reason it may not.
``HttpPolicy`` lives in ``host.netpolicy`` (hosts, ports and resolved addresses) and is re-exported here.
The ``command`` capability's grant is ``host.command_grant.CommandGrant``.
"""

from __future__ import annotations

from wasmind_nb.host.netpolicy import HttpPolicy

__all__ = ["HttpPolicy"]
