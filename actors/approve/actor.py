"""The ``approve`` tool: an approver agent accepts the edit it reviews, then ends.

It broadcasts ``code_with_experts.common.ApprovalResponse`` ``"Approved"`` from its own scope (the
requesting ``file_interaction_with_approval`` spawned this agent and knows its scope), then asks its
assistant for the ``Done`` status, which ends the agent.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from wasmind_sdk import Tool, ToolError, broadcast
from wasmind_sdk.messages import ExecuteToolCall, RequestStatusUpdate, Status

APPROVAL_RESPONSE = "code_with_experts.common.ApprovalResponse"


class Actor(Tool):
    """Offers ``approve {}``; a second answer is refused."""

    name = "approve"
    description = "Approve the proposed edit you were asked to review. Your agent ends after this call."
    parameters: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}

    def setup(self) -> None:
        self.answered = False

    def call(self, args: Any, request: ExecuteToolCall) -> str:
        if self.answered:
            raise ToolError("approve: you have already answered this review")
        self.answered = True
        broadcast(APPROVAL_RESPONSE, json.dumps("Approved"))  # a JSON string, not raw text
        broadcast(
            RequestStatusUpdate(self.scope, Status.done("Approved", True), request.originating_request_id)
        )
        return "Approved. Your review is done."
