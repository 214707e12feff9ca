"""``wasmind_sdk.FinalTool``: one call ends the agent, a second is refused (outside a component)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from wasmind_sdk import FinalTool, ToolError
from wasmind_sdk import tool as tool_module
from wasmind_sdk.messages import ExecuteToolCall, RequestStatusUpdate, StatusDone


class Verdict(FinalTool):
    name = "verdict"
    answered_error = "you have already given your verdict"

    def conclude(self, args: Any, request: ExecuteToolCall) -> tuple[str, str, bool]:
        if not args.get("text"):
            raise ToolError("verdict: 'text' is required")
        return f"noted: {args['text']}", f"said {args['text']}", False


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    out: list[Any] = []
    monkeypatch.setattr(tool_module, "broadcast", out.append)
    return out


def request(text: str = "") -> ExecuteToolCall:
    call = {"id": "call_1", "type": "function", "function": {"name": "verdict", "arguments": "{}"}}
    call["function"]["arguments"] = json.dumps({"text": text})
    return ExecuteToolCall.from_json({"tool_call": call, "originating_request_id": "req_1"})


def test_a_failed_call_leaves_the_agent_running_and_a_good_one_ends_it(sent: list[Any]) -> None:
    tool = Verdict("abc123", "")
    with pytest.raises(ToolError, match="'text' is required"):
        tool.call({}, request())
    assert not [m for m in sent if isinstance(m, RequestStatusUpdate)]
    assert tool.call({"text": "fine"}, request("fine")) == "noted: fine"
    (done,) = [m for m in sent if isinstance(m, RequestStatusUpdate)]
    assert done.agent == "abc123" and done.originating_request_id == "req_1"
    assert isinstance(done.status, StatusDone)
    assert done.status.result.to_json() == {"Ok": {"summary": "said fine", "success": False}}
    with pytest.raises(ToolError, match="verdict: you have already given your verdict"):
        tool.call({"text": "again"}, request("again"))
    assert len([m for m in sent if isinstance(m, RequestStatusUpdate)]) == 1
