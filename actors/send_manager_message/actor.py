"""The ``send_manager_message`` tool: send a system message to the agent that spawned this one.

With ``wait`` the caller pauses until its manager answers (a message from the manager's scope).
"""

from __future__ import annotations

from typing import Any, ClassVar

from wasmind_sdk import Tool, ToolError, broadcast, parent_scope, parse_flag
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


class Actor(Tool):
    """Offers ``send_manager_message {message, wait?}``."""

    name = "send_manager_message"
    description = (
        "Send a message to your manager (the agent that gave you your task): progress, a question, a "
        "blocker. With `wait: true` you pause until it answers."
    )
    parameters: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "message": {"type": "string", "description": "The message."},
            "wait": {"type": "boolean", "description": "Pause until your manager answers (default false)."},
        },
        "required": ["message"],
    }

    def call(self, args: Any, request: ExecuteToolCall) -> ToolCallResult:
        message = args.get("message") if isinstance(args, dict) else None
        if not isinstance(message, str) or not message.strip():
            raise ToolError("send_manager_message: 'message' is required and must be a non-empty string")
        wait = parse_flag(args.get("wait"), "wait")
        manager = parent_scope()
        if manager is None:
            raise ToolError("send_manager_message: this agent has no manager (it is the root agent)")
        broadcast(AddMessage(manager, SystemMessage(f"Message from agent {self.scope}:\n{message}")))
        if wait:
            reason = WaitingForAgentCoordination(
                request.originating_request_id, self.name, target_agent_scope=manager, user_can_interrupt=True
            )
            broadcast(RequestStatusUpdate(self.scope, StatusWait(reason), request.originating_request_id))
        tail = " Waiting for its answer." if wait else ""
        return ToolCallResult(f"Message sent to your manager.{tail}", UIDisplayInfo("To manager", message))
