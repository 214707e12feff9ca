"""The tool loop: ExecuteToolCall per call, results as tool messages, unknown tools, odd replies, retries."""

from __future__ import annotations

import pytest

from tests.actors_builtin.conftest import (
    ROOT_SCOPE,
    current_request,
    llm_requests,
    messages_of,
    roles,
    say,
    statuses,
    trail,
)
from wasmind_nb import Wasmind
from wasmind_nb.llm import Raw, Reply, ToolCallSpec
from wasmind_sdk.messages import (
    ChatStateUpdated,
    Err,
    ExecuteToolCall,
    Ok,
    StatusWait,
    ToolCallDone,
    ToolCallStatusUpdate,
    UserNotification,
    WaitingForTools,
)

pytestmark = pytest.mark.anyio

TWO_ECHOES = Reply(
    tool_calls=[
        ToolCallSpec("echo", {"text": "one"}, id="c1"),
        ToolCallSpec("echo", {"text": "two"}, id="c2"),
    ]
)
CORRECT_TOOL = (
    "Your last reply did not call a tool, and this agent must call one of its tools in every reply. "
    "Pick the tool that moves the task forward and call it."
)
CORRECT_EMPTY = "Your last reply was empty. Answer with text, or call one of your tools."


def completion(message: dict) -> dict:
    """A chat.completion body around ``message``, for ``Raw`` replies."""
    return {
        "id": "chatcmpl-raw",
        "object": "chat.completion",
        "created": 0,
        "model": "test-model",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


async def test_tool_results_go_back_to_the_model_as_tool_messages(agent_config) -> None:
    async with Wasmind(
        agent_config(tools=("echo_tool",)), progress=False, llm=[TWO_ECHOES, "Heard both."]
    ) as mind:
        await say(mind, "Echo twice")
        first, second = llm_requests(mind)
        assert [tool["function"]["name"] for tool in first["tools"]] == ["echo"]
        request_id = messages_of(mind, ExecuteToolCall)[0].originating_request_id
        calls = messages_of(mind, ExecuteToolCall, ROOT_SCOPE)
        assert [(c.tool_call.id, c.tool_call.function.arguments) for c in calls] == [
            ("c1", '{"text":"one"}'),
            ("c2", '{"text":"two"}'),
        ]
        assert {c.originating_request_id for c in calls} == {request_id}
        assert roles(second) == ["user", "assistant", "tool", "tool"]
        assert second["messages"][1]["tool_calls"][0]["function"] == {
            "name": "echo",
            "arguments": '{"text":"one"}',
        }
        assert "originating_request_id" not in second["messages"][1]
        assert second["messages"][2:] == [
            {"role": "tool", "tool_call_id": "c1", "name": "echo", "content": "one"},
            {"role": "tool", "tool_call_id": "c2", "name": "echo", "content": "two"},
        ]
        assert trail(mind)[-6:] == [
            "Processing",
            "Wait:WaitingForTools",  # no results yet
            "Wait:WaitingForTools",  # c1 done
            "Wait:WaitingForTools",  # c2 done
            "Processing",
            "Wait:WaitingForUserInput",
        ]
        history = messages_of(mind, ChatStateUpdated)[-1].chat_state.messages
        assert [m.to_json()["role"] for m in history] == ["user", "assistant", "tool", "tool", "assistant"]


async def test_an_unknown_tool_gets_an_error_result_at_once(agent_config) -> None:
    reply = Reply(
        tool_calls=[ToolCallSpec("nope", {}, id="c1"), ToolCallSpec("echo", {"text": "hi"}, id="c2")]
    )
    async with Wasmind(agent_config(tools=("echo_tool",)), progress=False, llm=[reply, "ok"]) as mind:
        await say(mind, "Try")
        calls = messages_of(mind, ExecuteToolCall)
        assert [c.tool_call.function.name for c in calls] == ["echo"]
        own = [u for u in messages_of(mind, ToolCallStatusUpdate) if u.id == "c1"]
        assert len(own) == 1 and isinstance(own[0].status, ToolCallDone)
        assert isinstance(own[0].status.result, Err)
        tool_messages = llm_requests(mind)[1]["messages"][2:]
        assert tool_messages == [
            {
                "role": "tool",
                "tool_call_id": "c1",
                "name": "nope",
                "content": "Error: Tool 'nope' is not available. Available tools: echo.",
            },
            {"role": "tool", "tool_call_id": "c2", "name": "echo", "content": "hi"},
        ]


async def test_only_unknown_tools_go_straight_back_to_the_model(agent_config) -> None:
    reply = Reply(tool_calls=[ToolCallSpec("nope", {}, id="c1")])
    async with Wasmind(agent_config(), progress=False, llm=[reply, reply, "I give up."]) as mind:
        await say(mind, "Try")
        assert len(llm_requests(mind)) == 3
        assert messages_of(mind, ExecuteToolCall) == []
        assert llm_requests(mind)[2]["messages"][-1]["content"].endswith("Available tools: none.")
        assert trail(mind)[-1] == "Wait:WaitingForUserInput"


async def test_an_empty_tool_call_list_is_no_tool_call(agent_config) -> None:
    raw = Raw(completion({"role": "assistant", "content": "Nothing to call.", "tool_calls": []}))
    async with Wasmind(agent_config(tools=("echo_tool",)), progress=False, llm=[raw]) as mind:
        await say(mind, "Hi")
        assert len(llm_requests(mind)) == 1
        assert trail(mind)[-2:] == ["Processing", "Wait:WaitingForUserInput"]
        history = messages_of(mind, ChatStateUpdated)[-1].chat_state.messages
        assert history[-1].to_json() == {
            "role": "assistant",
            "content": "Nothing to call.",
            "originating_request_id": current_request(mind),
        }


async def test_lenient_tool_calls_are_normalised(agent_config) -> None:
    call = {"function": {"name": "echo", "arguments": {"text": "object arguments"}}}  # no id, no type
    raw = Raw(completion({"role": "assistant", "content": None, "tool_calls": [call]}))
    async with Wasmind(agent_config(tools=("echo_tool",)), progress=False, llm=[raw, "ok"]) as mind:
        await say(mind, "Hi")
        (execute,) = messages_of(mind, ExecuteToolCall)
        assert execute.tool_call.id == f"call_{execute.originating_request_id}_0"
        assert execute.tool_call.type == "function"
        assert execute.tool_call.function.arguments == '{"text": "object arguments"}'
        assert llm_requests(mind)[1]["messages"][-1]["content"] == "object arguments"


async def test_malformed_tool_arguments_come_back_as_an_error(agent_config) -> None:
    reply = Reply(tool_calls=[ToolCallSpec("echo", "{not json", id="c1")])
    async with Wasmind(agent_config(tools=("echo_tool",)), progress=False, llm=[reply, "Sorry."]) as mind:
        await say(mind, "Hi")
        (update,) = [u for u in messages_of(mind, ToolCallStatusUpdate) if u.id == "c1"]
        assert isinstance(update.status, ToolCallDone) and isinstance(update.status.result, Err)
        content = llm_requests(mind)[1]["messages"][-1]["content"]
        assert content.startswith("Error: invalid arguments for tool 'echo'")
        assert trail(mind)[-1] == "Wait:WaitingForUserInput"
        assert mind.faults == []


async def test_require_tool_call_corrects_the_model_a_limited_number_of_times(agent_config) -> None:
    config = agent_config(tools=("echo_tool",), require_tool_call=True, max_corrective_retries=2)
    async with Wasmind(config, progress=False, llm=["no tool"] * 6) as mind:
        await say(mind, "Work")
        bodies = llm_requests(mind)
        assert len(bodies) == 3  # the first try and two corrective retries, then it stops
        assert bodies[1]["messages"][-2:] == [
            {"role": "assistant", "content": "no tool"},
            {"role": "system", "content": CORRECT_TOOL},
        ]
        assert [m["content"] for m in bodies[2]["messages"] if m["role"] == "system"] == [CORRECT_TOOL] * 2
        (notice,) = messages_of(mind, UserNotification)
        assert notice.level == "Warning" and "after 2 corrective message(s)" in notice.message
        assert trail(mind)[-1] == "Wait:WaitingForUserInput"


async def test_require_tool_call_is_satisfied_by_a_tool_call(agent_config) -> None:
    config = agent_config(tools=("echo_tool",), require_tool_call=True, max_corrective_retries=1)
    reply = Reply(tool_calls=[ToolCallSpec("echo", {"text": "x"}, id="c1")])
    async with Wasmind(config, progress=False, llm=["no tool", reply, "no tool", "no tool"]) as mind:
        await say(mind, "Work")
        bodies = llm_requests(mind)
        assert len(bodies) == 4  # a tool call resets the count of corrective retries
        corrections = [sum(m.get("content") == CORRECT_TOOL for m in body["messages"]) for body in bodies]
        assert corrections == [0, 1, 1, 2]


async def test_empty_replies_are_corrected_unless_allowed(agent_config) -> None:
    async with Wasmind(agent_config(), progress=False, llm=["", "Now with text."]) as mind:
        await say(mind, "Hi")
        _, second = llm_requests(mind)
        assert second["messages"][-2:] == [
            {"role": "assistant", "content": ""},
            {"role": "system", "content": CORRECT_EMPTY},
        ]
        assert trail(mind)[-1] == "Wait:WaitingForUserInput"
    async with Wasmind(agent_config(allow_empty_responses=True), progress=False, llm=["", "unused"]) as mind:
        await say(mind, "Hi")
        assert len(llm_requests(mind)) == 1
        assert trail(mind)[-1] == "Wait:WaitingForUserInput"


async def test_results_keep_their_ok_or_err_in_the_waiting_status(agent_config) -> None:
    reply = Reply(
        tool_calls=[ToolCallSpec("echo", {"text": "fine"}, id="c1"), ToolCallSpec("echo", {}, id="c2")]
    )
    async with Wasmind(agent_config(tools=("echo_tool",)), progress=False, llm=[reply, "ok"]) as mind:
        await say(mind, "Hi")
        waits = [s.reason for s in statuses(mind) if isinstance(s, StatusWait)]
        final = [r for r in waits if isinstance(r, WaitingForTools)][-1]
        assert isinstance(final.tool_calls["c1"].result, Ok)
        assert isinstance(final.tool_calls["c2"].result, Err)
        assert final.tool_calls["c2"].result.error.content == "'text' (a string) is required"
