"""The ``approve`` tool: an approver agent accepts the edit it reviews, then ends.

It broadcasts ``code_with_experts.common.ApprovalResponse`` ``"Approved"`` from its own scope (the
requesting ``file_interaction_with_approval`` spawned this agent and knows its scope), then asks its
assistant for the ``Done`` status, which ends the agent.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from wasmind_sdk import FinalTool, broadcast
from wasmind_sdk.messages import ExecuteToolCall

APPROVAL_RESPONSE = "code_with_experts.common.ApprovalResponse"


class Actor(FinalTool):
    """Offers ``approve {}``; a second answer is refused."""

    name = "approve"
    description = "Approve the proposed edit you were asked to review. Your agent ends after this call."
    parameters: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}
    answered_error = "you have already answered this review"

    def conclude(self, args: Any, request: ExecuteToolCall) -> tuple[str, str, bool]:
        broadcast(APPROVAL_RESPONSE, json.dumps("Approved"))  # a JSON string, not raw text
        return "Approved. Your review is done.", "Approved", True
