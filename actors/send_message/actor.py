"""The ``send_message`` tool: send a system message to one of the caller's own running child agents.

With ``wait`` the caller pauses until that child answers (a message from its scope) or the user speaks.
"""

from __future__ import annotations

from typing import Any, ClassVar

from wasmind_sdk import EnvelopeLike, Tool, ToolError, broadcast, on, parent_scope_of, parse_flag
from wasmind_sdk.messages import (
    AddMessage,
    ExecuteToolCall,
    RequestStatusUpdate,
    StatusWait,
    SystemMessage,
    ToolCallResult,
    UIDisplayInfo,
    WaitingForAgentCoordination,
)

COMPLETED = "delegation_network.complete.AgentCompleted"


class Actor(Tool):
    """Offers ``send_message {agent_id, message, wait?}``."""

    name = "send_message"
    description = (
        "Send a message to one of the agents you spawned (by its id), e.g. to answer a question, correct "
        "its course or release it. With `wait: true` you pause until it answers."
    )
    parameters: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "agent_id": {"type": "string", "description": "The id of one of your agents."},
            "message": {"type": "string", "description": "The message."},
            "wait": {"type": "boolean", "description": "Pause until the agent answers (default false)."},
        },
        "required": ["agent_id", "message"],
    }

    def setup(self) -> None:
        self.exited: set[str] = set()

    @on("wasmind.common.actors.Exit")
    def _on_exit(self, _payload: Any, env: EnvelopeLike) -> None:
        self.exited.add(env.from_scope)

    @on(COMPLETED)
    def _on_completed(self, _payload: Any, env: EnvelopeLike) -> None:
        self.exited.add(env.from_scope)

    def call(self, args: Any, request: ExecuteToolCall) -> ToolCallResult:
        if not isinstance(args, dict):
            raise ToolError("send_message: the arguments must be an object with 'agent_id' and 'message'")
        agent_id, message = args.get("agent_id"), args.get("message")
        if not isinstance(agent_id, str) or not agent_id.strip():
            raise ToolError("send_message: 'agent_id' is required and must be a non-empty string")
        if not isinstance(message, str) or not message.strip():
            raise ToolError("send_message: 'message' is required and must be a non-empty string")
        agent_id = agent_id.strip()
        wait = parse_flag(args.get("wait"), "wait")
        if agent_id == self.scope:
            raise ToolError("send_message: you cannot send a message to yourself")
        if parent_scope_of(agent_id) != self.scope:
            raise ToolError(
                f"send_message: '{agent_id}' is not one of your agents; you can only message agents you "
                "spawned (use send_manager_message to reach your manager)"
            )
        if agent_id in self.exited:
            raise ToolError(f"send_message: agent '{agent_id}' has already completed its task and exited")
        broadcast(
            AddMessage(agent_id, SystemMessage(f"Message from your manager ({self.scope}):\n{message}"))
        )
        if wait:
            reason = WaitingForAgentCoordination(
                request.originating_request_id,
                self.name,
                target_agent_scope=agent_id,
                user_can_interrupt=True,
            )
            broadcast(RequestStatusUpdate(self.scope, StatusWait(reason), request.originating_request_id))
        tail = " Waiting for its answer." if wait else ""
        return ToolCallResult(f"Message sent to {agent_id}.{tail}", UIDisplayInfo(f"To {agent_id}", message))
