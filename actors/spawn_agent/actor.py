"""The ``spawn_agent`` tool: start child agents of the caller's scope and hand each its task.

Which logical actors make up each agent type comes from the config (``agent_types``), so a network is
reshaped in TOML only. With ``wait`` the caller's assistant waits until every agent of the call has
reported (sent it a message, exited, or failed); this actor then sends one wake-up message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wasmind_sdk import EnvelopeLike, HostError, Tool, ToolError, broadcast, on, parse_flag, spawn_agent
from wasmind_sdk.messages import (
    AddMessage,
    ExecuteToolCall,
    RequestStatusUpdate,
    StatusWait,
    SystemMessage,
    SystemPromptContribution,
    SystemPromptData,
    SystemPromptText,
    ToolCallResult,
    UIDisplayInfo,
    UserMessage,
    UserNotification,
    WaitingForAgentCoordination,
)
from wasmind_sdk.messages import Tool as ToolDefinition

AGENT_SPAWNED = "delegation_network.delegation_network_coordinator.AgentSpawned"
CONTEXT_SENDERS = ("wasmind__context", "wasmind__coordinator")
DEFAULT_AGENT_TYPES: dict[str, list[str]] = {
    "Worker": ["worker_assistant", "execute_bash", "file_interaction", "complete", "send_manager_message"],
    "SubManager": [
        "sub_manager_assistant",
        "spawn_agent",
        "send_message",
        "send_manager_message",
        "planner",
        "wait",
        "complete",
    ],
}
USAGE = (
    "Use `spawn_agent` to delegate. Give each agent a role, a self-contained task with its success "
    "criteria, and a type: {types}. Agents report back to you with a message when they finish; pass "
    "`wait: true` to pause until every agent of the call has reported. Talk to a running agent with "
    "`send_message` and its id."
)
ROSTER_TEMPLATE = (
    "{% if data %}Agents you spawned:\n{% for a in data %}- {{ a.id }}: {{ a.role }} ({{ a.type }}), "
    "{{ a.state }}\n{% endfor %}{% endif %}"
)


@dataclass
class Child:
    """An agent this actor spawned."""

    scope: str
    role: str
    agent_type: str
    state: str = "running"
    report: str = ""


class Actor(Tool):
    """Offers ``spawn_agent``. Config: ``agent_types`` = {type name: [logical actor names]}."""

    name = "spawn_agent"

    def setup(self) -> None:
        types = self.config.get("agent_types", DEFAULT_AGENT_TYPES)
        if not isinstance(types, dict) or not types:
            raise ValueError("spawn_agent config 'agent_types' must be a table of type -> actor names")
        for key, names in types.items():
            if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
                raise ValueError(f"spawn_agent config 'agent_types.{key}' must be a non-empty list of names")
        self.agent_types: dict[str, list[str]] = types
        self.children: dict[str, Child] = {}
        self.waiting: set[str] = set()
        broadcast(
            SystemPromptContribution(
                self.scope,
                "spawn_agent:usage",
                SystemPromptText(USAGE.format(types=", ".join(self.agent_types))),
                600,
                "tools",
            )
        )

    def definitions(self) -> list[ToolDefinition]:
        description = (
            "Spawn one or more agents, each a child of yours with a role and a task. "
            f"Agent types: {', '.join(self.agent_types)}. Returns the new agents' ids. With `wait: true` "
            "you pause until every one of them has reported back."
        )
        parameters = {
            "type": "object",
            "properties": {
                "agents_to_spawn": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "properties": {
                            "agent_role": {
                                "type": "string",
                                "description": "Short role, e.g. 'Test writer'.",
                            },
                            "task_description": {
                                "type": "string",
                                "description": "A self-contained task with its success criteria.",
                            },
                            "agent_type": {"type": "string", "enum": list(self.agent_types)},
                        },
                        "required": ["agent_role", "task_description", "agent_type"],
                    },
                },
                "wait": {"type": "boolean", "description": "Pause until all of them report (default false)."},
            },
            "required": ["agents_to_spawn"],
        }
        return [ToolDefinition.define(self.name, description, parameters)]

    # ------------------------------------------------------------------ the tool
    def call(self, args: Any, request: ExecuteToolCall) -> ToolCallResult:
        specs, wait = self._parse(args)
        spawned: list[Child] = []
        for role, task, agent_type in specs:
            try:
                scope = spawn_agent(self.agent_types[agent_type], role)
            except HostError as err:
                done = "; ".join(f"{c.role} ({c.scope})" for c in spawned) or "none"
                raise ToolError(
                    f"Spawning '{role}' failed: {err}. Agents spawned before it: {done}."
                ) from None
            child = self.children[scope] = Child(scope, role, agent_type)
            spawned.append(child)
            self._hand_over(child, task)
        if wait:
            self.waiting = {c.scope for c in spawned}
            reason = WaitingForAgentCoordination(
                request.originating_request_id,
                self.name,
                target_agent_scope=self.scope,
                user_can_interrupt=True,
            )
            broadcast(RequestStatusUpdate(self.scope, StatusWait(reason), request.originating_request_id))
        self._contribute_roster()
        lines = [f"- {c.role} ({c.agent_type}): id {c.scope}" for c in spawned]
        tail = "You will be woken when all of them have reported." if wait else "They report back when done."
        content = f"Spawned {len(spawned)} agent(s):\n" + "\n".join(lines) + f"\n{tail}"
        return ToolCallResult(content, UIDisplayInfo(f"Spawned {len(spawned)} agent(s)", content))

    def _parse(self, args: Any) -> tuple[list[tuple[str, str, str]], bool]:
        if not isinstance(args, dict):
            raise ToolError("spawn_agent: the arguments must be an object with 'agents_to_spawn'")
        items = args.get("agents_to_spawn")
        if not isinstance(items, list) or not items:
            raise ToolError("spawn_agent: 'agents_to_spawn' must be a non-empty array of agents")
        specs = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise ToolError(f"spawn_agent: agents_to_spawn[{i}] must be an object")
            fields = [item.get(k) for k in ("agent_role", "task_description", "agent_type")]
            if not all(isinstance(f, str) and f.strip() for f in fields):
                raise ToolError(
                    f"spawn_agent: agents_to_spawn[{i}] needs non-empty 'agent_role', 'task_description' "
                    "and 'agent_type'"
                )
            role, task, kind = (f.strip() for f in fields)
            specs.append((role, task, self._agent_type(kind, role)))
        return specs, parse_flag(args.get("wait"), "wait")

    def _agent_type(self, kind: str, role: str) -> str:
        if kind in self.agent_types:
            return kind
        by_lower = {k.lower(): k for k in self.agent_types}
        if kind.lower() in by_lower:
            return by_lower[kind.lower()]
        if kind.lower() == "manager" and "submanager" in by_lower:  # upstream's schema offers "Manager"
            return by_lower["submanager"]
        known = ", ".join(self.agent_types)
        raise ToolError(f"spawn_agent: unknown agent_type '{kind}' for '{role}'. Known types: {known}.")

    def _hand_over(self, child: Child, task: str) -> None:
        text = f"Your role: {child.role}\nYour agent id: {child.scope}\nYour task: {task}"
        broadcast(
            SystemPromptContribution(
                child.scope, "spawn_agent:task", SystemPromptText(text), 900, "instructions"
            )
        )
        broadcast(AddMessage(child.scope, UserMessage(f"Your task: {task}\n\nStart working on it now.")))
        broadcast(AGENT_SPAWNED, {"agent_type": child.agent_type, "agent_id": child.scope})

    # ------------------------------------------------------------------ children reporting
    @on(AddMessage)
    def _on_report(self, msg: AddMessage, env: EnvelopeLike) -> None:
        if msg.agent == self.scope and env.from_scope in self.children:
            self._reported(env.from_scope, None)

    @on("wasmind.common.actors.Exit")
    def _on_exit(self, _payload: Any, env: EnvelopeLike) -> None:
        child = self.children.get(env.from_scope)
        if child is not None and child.state == "running":
            child.state = "exited"
            self._contribute_roster()
            self._reported(child.scope, None)

    @on(UserNotification)
    def _on_notification(self, msg: UserNotification, env: EnvelopeLike) -> None:
        child = self.children.get(msg.source or "")
        if env.from_actor_id not in CONTEXT_SENDERS or child is None or msg.level != "Error":
            return
        child.state = "failed"
        self._contribute_roster()
        note = f"Agent {child.scope} ({child.role}) failed: {msg.title}: {msg.message}"
        if child.scope in self.waiting:
            self._reported(child.scope, note)
        else:  # nobody waits for it: tell the manager at once
            broadcast(AddMessage(self.scope, SystemMessage(note)))

    def _reported(self, scope: str, note: str | None) -> None:
        if scope not in self.waiting:
            return
        self.waiting.discard(scope)
        if note:
            self.children[scope].report = note
        if self.waiting:
            return
        notes = [c.report for c in self.children.values() if c.report]
        for child in self.children.values():
            child.report = ""
        text = "Every agent you were waiting for has reported."
        if notes:
            text += "\n" + "\n".join(notes)
        broadcast(AddMessage(self.scope, SystemMessage(text)))

    def _contribute_roster(self) -> None:
        data = [
            {"id": c.scope, "role": c.role, "type": c.agent_type, "state": c.state}
            for c in self.children.values()
        ]
        broadcast(
            SystemPromptContribution(
                self.scope, "spawn_agent:agents", SystemPromptData(data, ROSTER_TEMPLATE), 500, "context"
            )
        )
