"""The tool calls of one model reply and their results, collected until every call has one.

A round outlives the ``WaitingForTools`` status: when a tool moves the assistant to another wait (for
example ``WaitingForAgentCoordination``), the results already in, and those still to come, stay here until
the round is complete (upstream drops them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wasmind_sdk.messages import (
    Err,
    Ok,
    PendingToolCall,
    ToolCall,
    ToolCallResult,
    ToolMessage,
    WaitingForTools,
)

ToolOutcome = Ok[ToolCallResult] | Err[ToolCallResult]


@dataclass
class ToolRound:
    """The calls of request ``request_id``, in the order the model made them."""

    request_id: str
    calls: list[ToolCall]
    results: dict[str, ToolOutcome] = field(default_factory=dict)

    def record(self, call_id: str, outcome: ToolOutcome) -> bool:
        """Keep the first result of a known call; returns whether it was taken."""
        if call_id in self.results or all(call.id != call_id for call in self.calls):
            return False
        self.results[call_id] = outcome
        return True

    @property
    def complete(self) -> bool:
        return all(call.id in self.results for call in self.calls)

    def wait_reason(self) -> WaitingForTools:
        """The ``WaitingForTools`` reason describing this round (results so far included)."""
        return WaitingForTools(
            self.request_id,
            {call.id: PendingToolCall(call, self.results.get(call.id)) for call in self.calls},
        )

    def tool_messages(self) -> list[ToolMessage]:
        """One ``tool`` message per call, in call order; a failed call's content starts with ``Error:``."""
        messages = []
        for call in self.calls:
            outcome = self.results[call.id]
            content = outcome.value.content if isinstance(outcome, Ok) else f"Error: {outcome.error.content}"
            messages.append(ToolMessage(call.id, call.function.name, content))
        return messages
