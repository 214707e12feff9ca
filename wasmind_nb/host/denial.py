"""A refused capability: what a policy returns instead of doing what a guest asked.

Every policy (commands, HTTP, spawning, messaging other agents, calling tools) answers "may this actor
do that?" with ``None`` (yes) or a :class:`Denial`. The host hands the guest ``str(denial)`` as the WIT
error value, and the runtime records the denial, stamped with the caller's scope, in ``mind.denials``,
the widget and the transcript.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Denial:
    """``actor`` in ``scope`` asked for ``target`` under ``capability`` and was refused because ``reason``.

    ``capability`` is the config key that would grant it (``commands``, ``http_hosts``, ``spawn``,
    ``message_agents``, ``call_tools``, ``llm``, ``fs``); ``target`` is what was asked for (a program, a
    ``host:port``, an actor name, a message type and agent). ``scope`` is empty until the runtime stamps it.
    """

    actor: str
    capability: str
    target: str
    reason: str
    scope: str = ""

    def in_scope(self, scope: str) -> Denial:
        """This denial, stamped with the caller's scope."""
        return replace(self, scope=scope)

    def __str__(self) -> str:
        return self.reason


__all__ = ["Denial"]
