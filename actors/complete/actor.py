"""The ``complete`` tool: finish the agent's task, tell the parent agent, and end the agent.

It sends the summary to the parent as a system message (which wakes a waiting manager), then asks the
agent's assistant for the ``Done`` status; the assistant broadcasts it and exits the scope.
"""

from __future__ import annotations

from typing import Any, ClassVar

from wasmind_sdk import FinalTool, ToolError, broadcast, parent_scope, parse_flag
from wasmind_sdk.messages import (
    AddMessage,
    ExecuteToolCall,
    SystemMessage,
    ToolCallResult,
    UIDisplayInfo,
)

COMPLETED = "delegation_network.complete.AgentCompleted"
SUMMARY_CHARS = 80


class Actor(FinalTool):
    """Offers ``complete {summary, success}``; a second call is refused."""

    name = "complete"
    description = (
        "Finish your task: report a summary of what you did (and whether you succeeded) to the agent that "
        "gave you the task. Your agent stops after this call, so call it last, once."
    )
    parameters: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "description": "What you did, what changed, what is left."},
            "success": {
                "type": "boolean",
                "description": "Whether the task was accomplished (default true).",
            },
        },
        "required": ["summary"],
    }

    answered_error = "this agent has already completed its task; it cannot complete twice"

    def conclude(self, args: Any, request: ExecuteToolCall) -> tuple[ToolCallResult, str, bool]:
        if (
            not isinstance(args, dict)
            or not isinstance(args.get("summary"), str)
            or not args["summary"].strip()
        ):
            raise ToolError("complete: 'summary' is required and must be a non-empty string")
        summary = args["summary"].strip()
        success = parse_flag(args.get("success"), "success", True)
        parent = parent_scope()
        # first, so that anything the parent does after the report below knows this agent is finished
        broadcast(COMPLETED, {"agent_id": self.scope, "summary": summary, "success": success})
        outcome = "completed its task" if success else "FAILED its task"
        if parent is not None:
            text = f"Agent {self.scope} {outcome}. Summary:\n{summary}"
            broadcast(AddMessage(parent, SystemMessage(text)))
        short = summary.splitlines()[0]
        if len(short) > SUMMARY_CHARS:
            short = short[: SUMMARY_CHARS - 1] + "…"
        result = ToolCallResult(
            f"Task reported as {'done' if success else 'failed'}.", UIDisplayInfo(short, summary)
        )
        return result, summary, success
