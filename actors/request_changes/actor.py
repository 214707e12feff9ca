"""The ``request_changes`` tool: an approver agent refuses the edit it reviews, says why, then ends.

It broadcasts ``code_with_experts.common.ApprovalResponse`` ``{"RequestChanges": {"changes": ...}}`` from
its own scope (the requesting ``file_interaction_with_approval`` spawned this agent and knows its scope),
then asks its assistant for the ``Done`` status, which ends the agent.
"""

from __future__ import annotations

from typing import Any, ClassVar

from wasmind_sdk import FinalTool, ToolError, broadcast
from wasmind_sdk.messages import ExecuteToolCall

APPROVAL_RESPONSE = "code_with_experts.common.ApprovalResponse"


class Actor(FinalTool):
    """Offers ``request_changes {changes_requested}``; a second answer is refused."""

    name = "request_changes"
    description = (
        "Refuse the proposed edit you were asked to review and say what must change and why. "
        "Your agent ends after this call."
    )
    parameters: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "changes_requested": {"type": "string", "description": "What must change in the edit, and why."}
        },
        "required": ["changes_requested"],
    }
    answered_error = "you have already answered this review"

    def conclude(self, args: Any, request: ExecuteToolCall) -> tuple[str, str, bool]:
        changes = args.get("changes_requested") if isinstance(args, dict) else None
        if not isinstance(changes, str) or not changes.strip():
            raise ToolError("request_changes: 'changes_requested' is required and must be a non-empty string")
        broadcast(APPROVAL_RESPONSE, {"RequestChanges": {"changes": changes.strip()}})
        return "Changes requested. Your review is done.", "Changes requested", False
