"""The ``report_normal`` tool: a health analyzer finds nothing wrong with the agent it analyzes, and stops.

It announces ``delegation_network.report_normal.ReportedNormal {agent_id, analyzer_id}`` (informational:
the analyzed agent keeps running untouched), then the analyzer's assistant takes ``Done`` and exits.
"""

from __future__ import annotations

from typing import Any, ClassVar

from wasmind_sdk import Tool, ToolError, broadcast, parent_scope
from wasmind_sdk.messages import (
    ExecuteToolCall,
    RequestStatusUpdate,
    Status,
    ToolCallResult,
    UIDisplayInfo,
)

REPORTED_NORMAL = "delegation_network.report_normal.ReportedNormal"


class Actor(Tool):
    """Offers ``report_normal {}``; a second verdict is refused."""

    name = "report_normal"
    description = "Report that the agent you analyze is working well. This ends your analysis."
    parameters: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}

    def setup(self) -> None:
        self.done = False

    def call(self, args: Any, request: ExecuteToolCall) -> ToolCallResult:
        if self.done:
            raise ToolError("report_normal: this analysis has already been reported")
        self.done = True
        analyzed = parent_scope()
        broadcast(REPORTED_NORMAL, {"agent_id": analyzed, "analyzer_id": self.scope})
        summary = f"Agent {analyzed} is working normally."
        broadcast(RequestStatusUpdate(self.scope, Status.done(summary, True), request.originating_request_id))
        return ToolCallResult("Reported: no issue.", UIDisplayInfo("Health: normal"))
