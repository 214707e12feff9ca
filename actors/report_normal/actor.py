"""The ``report_normal`` tool: a health analyzer finds nothing wrong with the agent it analyzes, and stops.

It announces ``delegation_network.report_normal.ReportedNormal {agent_id, analyzer_id}`` (informational:
the analyzed agent keeps running untouched), then the analyzer's assistant takes ``Done`` and exits.
"""

from __future__ import annotations

from typing import Any, ClassVar

from wasmind_sdk import FinalTool, broadcast, parent_scope
from wasmind_sdk.messages import (
    ExecuteToolCall,
    ToolCallResult,
    UIDisplayInfo,
)

REPORTED_NORMAL = "delegation_network.report_normal.ReportedNormal"


class Actor(FinalTool):
    """Offers ``report_normal {}``; a second verdict is refused."""

    name = "report_normal"
    description = "Report that the agent you analyze is working well. This ends your analysis."
    parameters: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}
    answered_error = "this analysis has already been reported"

    def conclude(self, args: Any, request: ExecuteToolCall) -> tuple[ToolCallResult, str, bool]:
        analyzed = parent_scope()
        broadcast(REPORTED_NORMAL, {"agent_id": analyzed, "analyzer_id": self.scope})
        result = ToolCallResult("Reported: no issue.", UIDisplayInfo("Health: normal"))
        return result, f"Agent {analyzed} is working normally.", True
