"""The ``review_plan`` tool: a plan reviewer agent sends its feedback, then ends.

It broadcasts ``review_plan.common.PlanReviewResponse`` ``{"feedback": ...}`` from its own scope (the
``request_plan_review`` actor that spawned this agent knows its scope), then asks its assistant for the
``Done`` status, which ends the agent.
"""

from __future__ import annotations

from typing import Any, ClassVar

from wasmind_sdk import FinalTool, ToolError, broadcast
from wasmind_sdk.messages import ExecuteToolCall

PLAN_REVIEW_RESPONSE = "review_plan.common.PlanReviewResponse"


class Actor(FinalTool):
    """Offers ``review_plan {feedback}``; a second answer is refused."""

    name = "review_plan"
    description = (
        "Send your review of the plan you were asked to look at: what is sound, what is wrong or missing, "
        "and what to change. Your agent ends after this call."
    )
    parameters: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "feedback": {
                "type": "string",
                "description": "Your feedback on the plan: problems, risks, missing steps, suggestions.",
            }
        },
        "required": ["feedback"],
    }
    answered_error = "you have already sent your feedback on this plan"

    def conclude(self, args: Any, request: ExecuteToolCall) -> tuple[str, str, bool]:
        feedback = args.get("feedback") if isinstance(args, dict) else None
        if not isinstance(feedback, str) or not feedback.strip():
            raise ToolError("review_plan: 'feedback' is required and must be a non-empty string")
        broadcast(PLAN_REVIEW_RESPONSE, {"feedback": feedback.strip()})
        return "Feedback sent. Your review is done.", "Plan reviewed", True
