"""No borrowed capabilities: what a guest may broadcast, to whom, and which agents it may spawn.

A message is a request when a receiver acts on it with its own grants: a tool runs an ``ExecuteToolCall``
with its commands and files, an assistant sends an ``AddMessage`` to its model as the user's words. So
the host checks every guest broadcast before it reaches the bus (:func:`check_broadcast`):

* ``ExecuteToolCall`` only from an actor granted ``call_tools``; the runtime delivers it only inside the
  sender's scope (:data:`SCOPE_LOCAL`), so one agent's assistant never drives another agent's tools.
* Messages addressed to an agent (the ``agent`` field of ``AddMessage``, ``Interrupt``,
  ``SystemPromptContribution``, ``RequestStatusUpdate``, ``QueueStatusChange``, ``CompactedConversation``)
  go to the sender's own scope, or to an agent its ``message_agents`` grant names by relation:
  ``parent``, ``children``, ``descendants`` or ``any``.
* The user's voice is granted separately: an ``AddMessage`` with role ``user`` may go to the agents below
  the sender that its grant covers (``children``, ``descendants``: a manager tasking its worker), to its
  own agent only with ``self``, and up or sideways only with ``any``. ``parent`` never covers it: a worker
  reports to its manager as ``system`` input. The host (the person at the notebook) may always.
* Lifecycle and connection messages (:data:`HOST_ONLY`) come from the host alone.

Spawning (:func:`check_spawn`): an actor may start an agent only with actor names its ``spawn`` grant lists.
The host's own API (``mind.spawn_agent``, the magics) is the user and is not checked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from wasmind_nb.config import Capabilities
from wasmind_nb.host.denial import Denial

EXECUTE_TOOL_CALL = "wasmind.common.tools.ExecuteToolCall"
ADD_MESSAGE = "wasmind.common.assistant.AddMessage"
INTERRUPT = "wasmind.common.assistant.Interrupt"  # ours: {agent}; the assistant stops and waits for the user
AGENT_ADDRESSED = frozenset(
    {
        ADD_MESSAGE,
        INTERRUPT,
        "wasmind.common.assistant.SystemPromptContribution",
        "wasmind.common.assistant.RequestStatusUpdate",
        "wasmind.common.assistant.QueueStatusChange",
        "wasmind.common.assistant.CompactedConversation",
    }
)
HOST_ONLY = frozenset(
    {
        "wasmind.common.actors.ActorReady",
        "wasmind.common.actors.AllActorsReady",
        "wasmind.common.actors.AgentSpawned",
        "wasmind.common.actors.ActorFailed",
        "wasmind.common.litellm.BaseUrlUpdate",
    }
)
SCOPE_LOCAL = frozenset({EXECUTE_TOOL_CALL})
"""Message types delivered only to actors of the sender's scope."""

ParentOf = Callable[[str], "str | None"]


def check_broadcast(
    actor: str, scope: str, caps: Capabilities, message_type: str, payload: bytes, parent_of: ParentOf
) -> Denial | None:
    """``None`` if ``actor`` in ``scope`` may broadcast this message, else the denial to record."""
    if message_type in HOST_ONLY:
        return Denial(actor, "broadcast", message_type, f"{message_type} is sent by the host only")
    if message_type == EXECUTE_TOOL_CALL and not caps.call_tools:
        return Denial(
            actor,
            "call_tools",
            message_type,
            f"actor '{actor}' may not ask tools to run (capabilities.call_tools is not granted)",
        )
    if message_type not in AGENT_ADDRESSED:
        return None
    fields = _object(payload)
    target = fields.get("agent")
    if not isinstance(target, str):
        return None  # malformed: every receiver ignores it
    short = message_type.rsplit(".", 1)[-1]
    if message_type == ADD_MESSAGE and _role(fields) == "user":
        if _may_speak_as_user(caps, target, scope, parent_of):
            return None
        return Denial(
            actor,
            "message_agents",
            f"{short} to {target}",
            f"actor '{actor}' in {scope} may not speak as the user to agent {target}: user input comes from "
            "the host, or from an actor granted it (capabilities.message_agents: 'children' or "
            f"'descendants' below it, 'self', 'any'; it grants {list(caps.message_agents) or 'nothing'})",
        )
    if target == scope or _relation_granted(caps, target, scope, parent_of):
        return None
    return Denial(
        actor,
        "message_agents",
        f"{short} to {target}",
        f"actor '{actor}' in {scope} may not send {short} to agent {target} "
        f"(capabilities.message_agents grants {list(caps.message_agents) or 'nothing'})",
    )


def check_spawn(actor: str, caps: Capabilities, requested: Sequence[str]) -> Denial | None:
    """``None`` if ``actor`` may spawn an agent of ``requested`` actors, else the denial."""
    refused = [name for name in requested if not caps.may_spawn(name)]
    if not refused:
        return None
    return Denial(
        actor,
        "spawn",
        ", ".join(refused),
        f"actor '{actor}' may not spawn {', '.join(repr(n) for n in refused)} "
        f"(capabilities.spawn grants {list(caps.spawn) or 'nothing'})",
    )


def _may_speak_as_user(caps: Capabilities, target: str, scope: str, parent_of: ParentOf) -> bool:
    granted = set(caps.message_agents)
    if "any" in granted:
        return True
    if target == scope:
        return "self" in granted
    return _is_below(target, scope, parent_of) and _relation_granted(caps, target, scope, parent_of)


def _relation_granted(caps: Capabilities, target: str, scope: str, parent_of: ParentOf) -> bool:
    granted = set(caps.message_agents)
    if "any" in granted:
        return True
    parent = parent_of(target)
    if "children" in granted and parent == scope:
        return True
    if "parent" in granted and parent_of(scope) == target:
        return True
    return "descendants" in granted and _is_below(target, scope, parent_of)


def _is_below(target: str, scope: str, parent_of: ParentOf) -> bool:
    """Whether ``target`` is a child, grandchild, ... of ``scope``."""
    seen: set[str] = set()
    current = parent_of(target)
    while current is not None and current not in seen:
        if current == scope:
            return True
        seen.add(current)
        current = parent_of(current)
    return False


def _object(payload: bytes) -> dict[str, object]:
    try:
        value = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _role(fields: dict[str, object]) -> str | None:
    message = fields.get("message")
    if isinstance(message, dict):
        role = message.get("role")
        return role.lower() if isinstance(role, str) else None
    return None


__all__ = ["AGENT_ADDRESSED", "HOST_ONLY", "SCOPE_LOCAL", "check_broadcast", "check_spawn"]
