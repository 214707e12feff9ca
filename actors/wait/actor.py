"""The ``wait`` tool: pause the agent until a system message (from any agent) or user input arrives.

A message that arrived before the call (say a worker that finished early) ends the wait at once.
"""

from __future__ import annotations

from typing import Any, ClassVar

from wasmind_sdk import Tool, ToolError, broadcast
from wasmind_sdk.messages import (
    ExecuteToolCall,
    RequestStatusUpdate,
    StatusWait,
    ToolCallResult,
    UIDisplayInfo,
    WaitingForSystemInput,
)


class Actor(Tool):
    """Offers ``wait {reason?}``."""

    name = "wait"
    description = (
        "Pause until one of your agents (or your manager) sends you a message, e.g. after spawning agents "
        "without `wait`. Messages that already arrived end the wait at once."
    )
    parameters: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"reason": {"type": "string", "description": "What you are waiting for."}},
    }

    def call(self, args: Any, request: ExecuteToolCall) -> ToolCallResult:
        reason = args.get("reason") if isinstance(args, dict) else None
        if reason is not None and not isinstance(reason, str):
            raise ToolError("wait: 'reason' must be a string")
        status = StatusWait(WaitingForSystemInput(required_scope=None, interruptible_by_user=True))
        broadcast(RequestStatusUpdate(self.scope, status, request.originating_request_id))
        text = f"Waiting: {reason}" if reason else "Waiting for a message."
        return ToolCallResult(text, UIDisplayInfo(text))
