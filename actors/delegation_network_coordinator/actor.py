"""The delegation network's root actor: it brings the main manager along (its manifest declares the whole
network) and shows the main manager the state of the network in its system prompt.
"""

from __future__ import annotations

from typing import Any

from wasmind_sdk import EnvelopeLike, broadcast, on
from wasmind_sdk.actor import ActorBase
from wasmind_sdk.messages import AgentSpawned, SystemPromptContribution, SystemPromptData

AGENT_SPAWNED = "delegation_network.delegation_network_coordinator.AgentSpawned"
TEMPLATE = (
    "{% if data %}Your delegation network (id: role, type, state; indented under its manager):\n"
    "{% for a in data %}{{ '  ' * a.depth }}- {{ a.id }}: {{ a.name }}, {{ a.type }}, {{ a.state }}\n"
    "{% endfor %}{% endif %}"
)


class Actor(ActorBase):
    """Tracks the agents of the network (spawned, exited) for the main manager's prompt."""

    def setup(self) -> None:
        self.agents: dict[str, dict[str, Any]] = {}

    @on(AGENT_SPAWNED)
    def _on_typed(self, payload: Any, _env: EnvelopeLike) -> None:
        if isinstance(payload, dict) and isinstance(payload.get("agent_id"), str):
            entry = self.agents.setdefault(
                payload["agent_id"], {"name": "?", "parent": None, "state": "running"}
            )
            entry["type"] = str(payload.get("agent_type", "?"))
            self._contribute()

    @on(AgentSpawned)
    def _on_spawned(self, msg: AgentSpawned, _env: EnvelopeLike) -> None:
        if msg.agent_id == self.scope:
            return
        entry = self.agents.setdefault(msg.agent_id, {"type": "?", "state": "running"})
        entry.update(name=msg.name, parent=msg.parent_agent)
        self._contribute()

    @on("wasmind.common.actors.Exit")
    def _on_exit(self, _payload: Any, env: EnvelopeLike) -> None:
        if env.from_scope in self.agents:
            self.agents[env.from_scope]["state"] = "finished"
            self._contribute()

    def _depth(self, scope: str) -> int:
        depth, parent = 0, self.agents[scope].get("parent")
        while parent in self.agents and depth < len(self.agents):
            depth, parent = depth + 1, self.agents[parent].get("parent")
        return depth

    def _contribute(self) -> None:
        data = [{"id": s, "depth": self._depth(s), **a} for s, a in self.agents.items()]
        content = SystemPromptData(data, TEMPLATE)
        broadcast(SystemPromptContribution(self.scope, "delegation_network:network", content, 400, "context"))
