"""The ``flag_issue`` tool: a health analyzer reports a problem with the agent it analyzes, then stops.

The analyzed agent is the analyzer's parent. This actor only announces the verdict
(``delegation_network.flag_issue.IssueFlagged``); the parent's ``check_health`` pauses the parent and
alerts its manager. Then the analyzer's assistant takes ``Done`` and exits the scope.
"""

from __future__ import annotations

from typing import Any, ClassVar

from wasmind_sdk import FinalTool, ToolError, broadcast, parent_scope
from wasmind_sdk.messages import (
    ExecuteToolCall,
    ToolCallResult,
    UIDisplayInfo,
)

ISSUE_FLAGGED = "delegation_network.flag_issue.IssueFlagged"


class Actor(FinalTool):
    """Offers ``flag_issue {reason}``; a second verdict is refused."""

    name = "flag_issue"
    description = (
        "Report a problem with the agent you analyze (looping, failing, off-task, harmful). The agent is "
        "paused and its manager is alerted with your reason. This ends your analysis."
    )
    parameters: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "reason": {"type": "string", "description": "What is wrong, in one or two sentences."}
        },
        "required": ["reason"],
    }

    answered_error = "this analysis has already been reported"

    def conclude(self, args: Any, request: ExecuteToolCall) -> tuple[ToolCallResult, str, bool]:
        reason = args.get("reason") if isinstance(args, dict) else None
        if not isinstance(reason, str) or not reason.strip():
            raise ToolError("flag_issue: 'reason' is required and must be a non-empty string")
        analyzed = parent_scope()
        if analyzed is None:
            raise ToolError("flag_issue: this agent has no parent agent to flag")
        reason = reason.strip()
        broadcast(ISSUE_FLAGGED, {"agent_id": analyzed, "reason": reason, "analyzer_id": self.scope})
        result = ToolCallResult(
            f"Issue flagged; agent {analyzed} is paused.", UIDisplayInfo("Issue flagged", reason)
        )
        return result, f"Flagged agent {analyzed}: {reason}", True
