"""Wire format of the common messages (``wasmind_sdk.messages``).

The golden payloads under ``golden/`` are written by hand from the encoding rules (SPEC section 4 and
upstream's serde attributes), in upstream's field order, so they also pin the byte layout serde emits.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from wasmind_sdk import llm_types
from wasmind_sdk import messages as m
from wasmind_sdk.messages import (
    MESSAGE_CLASSES,
    ActorFailed,
    ActorReady,
    AddMessage,
    AgentSpawned,
    AgentTaskResponse,
    AllActorsReady,
    AssistantMessage,
    AwaitingSystemDetails,
    BaseUrlUpdate,
    ChatMessage,
    ChatState,
    ChatStateUpdated,
    CompactedConversation,
    CompactingConversation,
    Err,
    ExecuteToolCall,
    Exit,
    FunctionCall,
    FunctionDefinition,
    Message,
    Ok,
    PendingToolCall,
    QueueStatusChange,
    Request,
    RequestStatusUpdate,
    Response,
    Status,
    StatusDone,
    StatusProcessing,
    StatusUpdate,
    StatusWait,
    SystemMessage,
    SystemPromptContent,
    SystemPromptContribution,
    SystemPromptData,
    SystemPromptText,
    ThinkingBlock,
    Tool,
    ToolCall,
    ToolCallAwaitingSystem,
    ToolCallDone,
    ToolCallReceived,
    ToolCallResult,
    ToolCallStatus,
    ToolCallStatusUpdate,
    ToolMessage,
    ToolsAvailable,
    UIDisplayInfo,
    Usage,
    UserMessage,
    UserNotification,
    WaitingForAgentCoordination,
    WaitingForAllActorsReady,
    WaitingForLiteLLM,
    WaitingForSystemInput,
    WaitingForTools,
    WaitingForUserInput,
    WaitReason,
    decode,
    encode,
)

GOLDEN = Path(__file__).parent / "golden"


def _bash(call_id: str, arguments: str, index: int | None = None) -> ToolCall:
    return ToolCall(call_id, FunctionCall("execute_bash", arguments), index=index)


# Golden file -> the value it must decode to (its class is the file name's first part).
EXPECTED: dict[str, Message] = {
    "ActorReady.json": ActorReady(),
    "Exit.json": Exit(),
    "AllActorsReady.json": AllActorsReady(),
    "AgentSpawned.root.json": AgentSpawned("000000", "Root Agent", None, ["assistant", "execute_bash"]),
    "AgentSpawned.child.json": AgentSpawned(
        "a1B2c3", "Code Reviewer", "000000", ["assistant", "file_interaction", "complete"]
    ),
    "ActorFailed.json": ActorFailed(
        "a1B2c3", "execute_bash", "execute_bash@a1B2c3: handle-message trapped: ValueError: boom"
    ),
    "AddMessage.user.json": AddMessage("000000", UserMessage("List the files here, s'il vous plaît ✓")),
    "AddMessage.system.json": AddMessage(
        "x9Y8z7", SystemMessage('<agent_message from="a1B2c3">done</agent_message>')
    ),
    "StatusUpdate.processing.json": StatusUpdate(StatusProcessing("7f3a:Qw12Er")),
    "StatusUpdate.wait_all_actors_ready.json": StatusUpdate(StatusWait(WaitingForAllActorsReady())),
    "StatusUpdate.wait_user_input.json": StatusUpdate(StatusWait(WaitingForUserInput())),
    "StatusUpdate.wait_litellm.json": StatusUpdate(StatusWait(WaitingForLiteLLM())),
    "StatusUpdate.compacting.json": StatusUpdate(StatusWait(CompactingConversation())),
    "StatusUpdate.wait_system_input.json": StatusUpdate(
        StatusWait(WaitingForSystemInput(required_scope="a1B2c3", interruptible_by_user=True))
    ),
    "StatusUpdate.wait_agent_coordination.json": StatusUpdate(
        StatusWait(WaitingForAgentCoordination("root:Ab12Cd", "send_message", None, False))
    ),
    "StatusUpdate.wait_tools.json": StatusUpdate(
        StatusWait(
            WaitingForTools(
                "req-1",
                {
                    "call_a": PendingToolCall(_bash("call_a", '{"command":"ls"}')),
                    "call_b": PendingToolCall(
                        ToolCall("call_b", FunctionCall("read_file", '{"path":"README.md"}'), index=1),
                        Ok(ToolCallResult("# Title", UIDisplayInfo("Read README.md"))),
                    ),
                    "call_c": PendingToolCall(
                        _bash("call_c", '{"command":"false"}'),
                        Err(ToolCallResult("exit status 1", UIDisplayInfo("Failed", "exit status 1"))),
                    ),
                },
            )
        )
    ),
    "StatusUpdate.done_ok.json": StatusUpdate(StatusDone(Ok(AgentTaskResponse("Wrote the report", True)))),
    "StatusUpdate.done_err.json": StatusUpdate(StatusDone(Err("LLM unreachable after 5 attempts"))),
    "RequestStatusUpdate.json": RequestStatusUpdate(
        "a1B2c3", StatusDone(Ok(AgentTaskResponse("Tests pass", False))), "req-9"
    ),
    "RequestStatusUpdate.no_request_id.json": RequestStatusUpdate(
        "a1B2c3", StatusWait(WaitingForUserInput())
    ),
    "QueueStatusChange.json": QueueStatusChange("000000", StatusWait(CompactingConversation())),
    "Request.json": Request(
        ChatState(
            system=SystemMessage("You are a helpful assistant."),
            tools=[
                Tool(
                    FunctionDefinition(
                        "execute_bash",
                        "Run a command",
                        {
                            "type": "object",
                            "properties": {
                                "command": {"type": "string"},
                                "timeout": {"type": "integer", "minimum": 1},
                            },
                            "required": ["command"],
                        },
                    )
                )
            ],
            messages=[
                UserMessage("What is in this folder?"),
                AssistantMessage(
                    tool_calls=[_bash("call_1", '{"command": "ls"}')], originating_request_id="req-1"
                ),
                ToolMessage("call_1", "execute_bash", "a.txt\nb.txt"),
                SystemMessage("Keep answers short."),
                AssistantMessage("Two files: a.txt and b.txt.", originating_request_id="req-2"),
            ],
        )
    ),
    "ChatStateUpdated.json": ChatStateUpdated(
        ChatState(
            SystemMessage(""), [], [UserMessage("hi"), ToolMessage("call_9", None, "no name on this one")]
        )
    ),
    "Response.json": Response(
        AssistantMessage(
            "Let me look.", [_bash("call_1", '{"command":"ls -la"}', index=0)], originating_request_id="req-1"
        ),
        Usage(120, 30, 150, {"prompt_tokens_details": {"cached_tokens": 64}}),
    ),
    "Response.reasoning.json": Response(
        AssistantMessage(
            "42",
            reasoning_content="The user wants the answer.",
            thinking_blocks=[ThinkingBlock("Compute it.", signature="sig=="), ThinkingBlock("Done.")],
            provider_specific_fields={"refusal": None},
            originating_request_id="req-7",
        ),
        Usage(5, 1, 6),
    ),
    "SystemPromptContribution.text.json": SystemPromptContribution(
        "000000", "execute_bash:usage", SystemPromptText("Use execute_bash for shell commands."), 100, "tools"
    ),
    "SystemPromptContribution.data.json": SystemPromptContribution(
        "a1B2c3",
        "file_interaction:open_files",
        SystemPromptData(
            {"files": [{"path": "src/main.py", "lines": 12}]},
            "{% for f in data.files %}{{ f.path }} ({{ f.lines }} lines)\n{% endfor %}",
        ),
        -5,
    ),
    "CompactedConversation.json": CompactedConversation(
        "000000",
        [
            SystemMessage("Summary of the conversation so far: the user asked for a README."),
            AssistantMessage("Understood.", originating_request_id="req-3"),
        ],
        "req-4",
    ),
    "ToolsAvailable.json": ToolsAvailable(
        [
            Tool.define(
                "read_file",
                "Read a file",
                {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
            ),
            Tool.define("wait", "Wait", {}),
        ]
    ),
    "ExecuteToolCall.json": ExecuteToolCall(
        _bash("call_Xy", '{"command":"echo","args":["héllo"]}'), "root:k3J9aa"
    ),
    "ToolCallStatusUpdate.received.json": ToolCallStatusUpdate(
        ToolCallReceived(UIDisplayInfo("Running: ls")), "call_1", "req-1"
    ),
    "ToolCallStatusUpdate.awaiting_system.json": ToolCallStatusUpdate(
        ToolCallAwaitingSystem(
            AwaitingSystemDetails(UIDisplayInfo("Awaiting approval", "2 reviewers"), "a1B2c3")
        ),
        "call_2",
        "req-1",
    ),
    "ToolCallStatusUpdate.done_ok.json": ToolCallStatusUpdate(
        ToolCallDone(Ok(ToolCallResult("a.txt\nb.txt", UIDisplayInfo("a.txt", "a.txt\nb.txt")))),
        "call_1",
        "req-1",
    ),
    "ToolCallStatusUpdate.done_err.json": ToolCallStatusUpdate(
        ToolCallDone(Err(ToolCallResult("unknown tool: fly", UIDisplayInfo("Error")))), "call_3", "req-2"
    ),
    "BaseUrlUpdate.json": BaseUrlUpdate("http://127.0.0.1:4000", ["gpt-4o-mini", "scripted"]),
    "UserNotification.json": UserNotification("Warning", "Slow LLM", "Retrying in 2 s", "assistant"),
    "UserNotification.no_source.json": UserNotification("Info", "Started", "3 actors ready"),
}


def _canonical(value: Any) -> str:
    """JSON text that tells ``true`` from ``1`` and ignores key order."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _compact(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


# --- golden payloads ---------------------------------------------------------------------------------


def test_every_golden_file_has_an_expected_value() -> None:
    assert sorted(p.name for p in GOLDEN.glob("*.json")) == sorted(EXPECTED)


def test_every_message_class_has_a_golden_file() -> None:
    assert {type(msg) for msg in EXPECTED.values()} == set(MESSAGE_CLASSES.values())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_golden_decodes_to_expected_value(name: str) -> None:
    expected = EXPECTED[name]
    cls = type(expected)
    assert cls.__name__ == name.split(".")[0]
    assert decode(cls, (GOLDEN / name).read_bytes()) == expected


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_golden_reencodes_unchanged(name: str) -> None:
    payload = (GOLDEN / name).read_bytes()
    golden = json.loads(payload)
    cls = type(EXPECTED[name])
    assert _canonical(json.loads(encode(decode(cls, payload)))) == _canonical(golden)
    assert _canonical(json.loads(encode(EXPECTED[name]))) == _canonical(golden)
    # Same bytes as serde would write: compact, fields in declaration order, non-ASCII unescaped.
    assert encode(decode(cls, payload)) == _compact(golden)


# --- decoding details --------------------------------------------------------------------------------


def test_unit_messages_are_null() -> None:
    for cls in (ActorReady, Exit, AllActorsReady):
        assert encode(cls()) == b"null"
        assert decode(cls, b"null") == cls()


def test_unknown_fields_are_ignored() -> None:
    payload = {
        "tool_call": {
            "id": "c",
            "type": "function",
            "function": {"name": "f", "arguments": "{}", "strict": True},
            "extra": [1],
        },
        "originating_request_id": "r",
        "future_field": {"x": 1},
    }
    assert ExecuteToolCall.from_json(payload) == ExecuteToolCall(ToolCall("c", FunctionCall("f", "{}")), "r")
    spawned = {"agent_id": "a", "name": "n", "actors": [], "color": "red"}
    assert AgentSpawned.from_json(spawned) == AgentSpawned("a", "n", None, [])


def test_missing_or_null_optionals_read_as_none() -> None:
    assert RequestStatusUpdate.from_json({"agent": "a", "status": {"Processing": {"request_id": "r"}}}) == (
        RequestStatusUpdate("a", StatusProcessing("r"), None)
    )
    reply = {"role": "assistant", "content": None, "tool_calls": None}
    assert ChatMessage.from_json(reply) == AssistantMessage()
    assert UIDisplayInfo.from_json({"collapsed": "c"}) == UIDisplayInfo("c", None)


def test_unit_variant_also_reads_from_an_object_with_null() -> None:
    assert WaitReason.from_json({"WaitingForUserInput": None}) == WaitingForUserInput()


def test_response_message_has_no_role_and_ignores_one() -> None:
    response = EXPECTED["Response.json"]
    assert "role" not in response.to_json()["message"]
    with_role = response.to_json()
    with_role["message"]["role"] = "assistant"
    assert Response.from_json(with_role) == response


def test_chat_state_system_has_no_role() -> None:
    state = ChatState(SystemMessage("s"))
    assert state.to_json() == {"system": {"content": "s"}, "tools": [], "messages": []}
    assert (
        ChatState.from_json({"system": {"role": "system", "content": "s"}, "tools": [], "messages": []})
        == state
    )


def test_llm_types_omit_absent_fields_but_messages_write_null() -> None:
    assert AssistantMessage("x").to_json() == {"role": "assistant", "content": "x"}
    assert ToolCall("c", FunctionCall("f", "{}")).to_json() == {
        "id": "c",
        "type": "function",
        "function": {"name": "f", "arguments": "{}"},
    }
    assert ToolMessage("c", None, "out").to_json() == {"role": "tool", "tool_call_id": "c", "content": "out"}
    assert AgentSpawned("a", "n").to_json()["parent_agent"] is None
    assert UIDisplayInfo("c").to_json() == {"collapsed": "c", "expanded": None}


def test_section_names_are_normalised_like_upstream() -> None:
    def section(name: str) -> str | None:
        payload = {"agent": "a", "key": "k", "content": {"Text": "t"}, "priority": 0, "section": name}
        return SystemPromptContribution.from_json(payload).section

    assert section("Identity") == "identity"
    assert section("SYSTEM-CONTEXT") == "system_context"
    assert section("My Custom Section") == "My Custom Section"
    assert m.SECTIONS[0] == "identity"


def test_usage_keeps_provider_fields() -> None:
    usage = Usage.from_json({"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3, "cost": 0.5})
    assert usage.extra == {"cost": 0.5}
    assert usage.to_json() == {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3, "cost": 0.5}


def test_decode_accepts_bytes_like_and_text() -> None:
    golden = (GOLDEN / "BaseUrlUpdate.json").read_bytes()
    expected = EXPECTED["BaseUrlUpdate.json"]
    for payload in (golden, bytearray(golden), memoryview(golden), golden.decode()):
        assert decode(BaseUrlUpdate, payload) == expected


def test_decode_works_for_non_message_types() -> None:
    assert decode(ChatMessage, b'{"role":"user","content":"hi"}') == UserMessage("hi")
    assert decode(Status, b'{"Wait":{"reason":"WaitingForLiteLLM"}}') == StatusWait(WaitingForLiteLLM())


def test_encode_is_compact_utf8() -> None:
    assert encode(AddMessage("a", UserMessage("é ✓"))) == (
        '{"agent":"a","message":{"role":"user","content":"é ✓"}}'.encode()
    )


def test_encode_rejects_nan() -> None:
    with pytest.raises(ValueError):
        encode(SystemPromptContribution("a", "k", SystemPromptData(float("nan"), "t"), 0))


# --- malformed payloads ------------------------------------------------------------------------------

_CALL = {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}

BAD: list[tuple[type[Any], Any, str]] = [
    (
        ExecuteToolCall,
        {"tool_call": {**_CALL, "function": {"name": 3, "arguments": "{}"}}, "originating_request_id": "r"},
        "ExecuteToolCall.tool_call.function.name: expected a string, got 3",
    ),
    (ExecuteToolCall, {"tool_call": _CALL}, "ExecuteToolCall.originating_request_id: missing required field"),
    (ExecuteToolCall, [], "ExecuteToolCall: expected an object, got []"),
    (
        ExecuteToolCall,
        {"tool_call": {**_CALL, "index": "0"}, "originating_request_id": "r"},
        'ExecuteToolCall.tool_call.index: expected an integer, got "0"',
    ),
    (ActorReady, {}, "ActorReady: expected null, got {}"),
    (
        AgentSpawned,
        {"agent_id": "a", "name": "n", "parent_agent": 7, "actors": []},
        "AgentSpawned.parent_agent: expected a string, got 7",
    ),
    (
        AgentSpawned,
        {"agent_id": "a", "name": "n", "actors": ["x", None]},
        "AgentSpawned.actors[1]: expected a string, got null",
    ),
    (
        AddMessage,
        {"agent": "a", "message": {"role": "developer", "content": "x"}},
        'AddMessage.message.role: expected one of "system", "user", "assistant", "tool", got "developer"',
    ),
    (
        AddMessage,
        {"agent": "a", "message": {"content": "x"}},
        'AddMessage.message.role: expected one of "system", "user", "assistant", "tool", got null',
    ),
    (
        AddMessage,
        {"agent": "a", "message": {"role": "tool", "name": "x", "content": "y"}},
        "AddMessage.message.tool_call_id: missing required field",
    ),
    (
        StatusUpdate,
        {"status": {"Sleeping": {}}},
        'StatusUpdate.status: unknown Status variant "Sleeping"; expected one of Processing, Wait, Done',
    ),
    (
        StatusUpdate,
        {"status": {"Processing": {"request_id": "r"}, "Wait": {}}},
        "StatusUpdate.status: expected a Status (a variant name, or an object with one variant key), got",
    ),
    (
        StatusUpdate,
        {"status": "Processing"},
        'StatusUpdate.status.Processing: expected {"Processing": ...}, got the bare name',
    ),
    (
        StatusUpdate,
        {"status": {"Wait": {"reason": {"WaitingForUserInput": {}}}}},
        "StatusUpdate.status.Wait.reason.WaitingForUserInput: expected null, got {}",
    ),
    (
        StatusUpdate,
        {"status": {"Wait": {"reason": {"WaitingForSystemInput": {"interruptible_by_user": "yes"}}}}},
        "StatusUpdate.status.Wait.reason.WaitingForSystemInput.interruptible_by_user:"
        ' expected a boolean, got "yes"',
    ),
    (
        StatusUpdate,
        {
            "status": {
                "Wait": {
                    "reason": {
                        "WaitingForTools": {
                            "originating_request_id": "r",
                            "tool_calls": {"c": {"tool_call": _CALL, "result": {"Maybe": 1}}},
                        }
                    }
                }
            }
        },
        'StatusUpdate.status.Wait.reason.WaitingForTools.tool_calls["c"].result: expected a result',
    ),
    (
        StatusUpdate,
        {"status": {"Done": {"result": {"Err": 5}}}},
        "StatusUpdate.status.Done.result.Err: expected a string, got 5",
    ),
    (
        StatusUpdate,
        {"status": {"Done": {"result": {"Ok": {"summary": "s"}}}}},
        "StatusUpdate.status.Done.result.Ok.success: missing required field",
    ),
    (
        SystemPromptContribution,
        {"agent": "a", "key": "k", "content": {"Text": "t"}, "priority": 1.5},
        "SystemPromptContribution.priority: expected an integer, got 1.5",
    ),
    (
        SystemPromptContribution,
        {"agent": "a", "key": "k", "content": {"Text": "t"}, "priority": True},
        "SystemPromptContribution.priority: expected an integer, got true",
    ),
    (
        SystemPromptContribution,
        {"agent": "a", "key": "k", "content": {"Text": "t"}, "priority": 2**31},
        "SystemPromptContribution.priority: expected a 32-bit integer, got 2147483648",
    ),
    (
        SystemPromptContribution,
        {"agent": "a", "key": "k", "content": {"Text": 3}, "priority": 0},
        "SystemPromptContribution.content.Text: expected a string, got 3",
    ),
    (
        SystemPromptContribution,
        {"agent": "a", "key": "k", "content": {"Data": {"data": 1}}, "priority": 0},
        "SystemPromptContribution.content.Data.default_template: missing required field",
    ),
    (
        UserNotification,
        {"level": "Debug", "title": "t", "message": "m"},
        'UserNotification.level: expected one of "Info", "Warning", "Error", got "Debug"',
    ),
    (
        Request,
        {"chat_state": {"system": {"content": "s"}, "tools": [], "messages": [{"role": "assistant"}]}},
        "Request.chat_state.messages[0].originating_request_id: missing required field",
    ),
    (
        Request,
        {"chat_state": {"system": {"content": "s"}, "tools": ["t"], "messages": []}},
        'Request.chat_state.tools[0]: expected an object, got "t"',
    ),
    (
        Request,
        {"chat_state": {"system": "s", "tools": [], "messages": []}},
        'Request.chat_state.system: expected an object, got "s"',
    ),
    (
        Response,
        {
            "message": {"content": "x"},
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        },
        "Response.message.originating_request_id: missing required field",
    ),
    (
        Response,
        {
            "message": {"content": "x", "originating_request_id": "r"},
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": "2"},
        },
        'Response.usage.total_tokens: expected an integer, got "2"',
    ),
    (
        Response,
        {
            "message": {"tool_calls": {}, "originating_request_id": "r"},
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        },
        "Response.message.tool_calls: expected an array, got {}",
    ),
    (
        ToolCallStatusUpdate,
        {"status": {"Done": {"result": {"Ok": {"content": "c"}}}}, "id": "i", "originating_request_id": "r"},
        "ToolCallStatusUpdate.status.Done.result.Ok.ui_display_info: missing required field",
    ),
    (
        ToolCallStatusUpdate,
        {"status": {"Received": {"display_info": {}}}, "id": "i", "originating_request_id": "r"},
        "ToolCallStatusUpdate.status.Received.display_info.collapsed: missing required field",
    ),
    (
        BaseUrlUpdate,
        {"base_url": "http://x", "models_available": "gpt"},
        'BaseUrlUpdate.models_available: expected an array, got "gpt"',
    ),
    (
        ToolsAvailable,
        {"tools": [{"type": "function", "function": {"name": "f", "description": "d"}}]},
        "ToolsAvailable.tools[0].function.parameters: missing required field",
    ),
    (
        UserMessage,
        {"role": "system", "content": "x"},
        'UserMessage.role: expected one of "user", got "system"',
    ),
]


@pytest.mark.parametrize(
    ("cls", "payload", "message"), BAD, ids=[f"{i}-{b[0].__name__}" for i, b in enumerate(BAD)]
)
def test_malformed_payload_names_the_field(cls: type[Any], payload: Any, message: str) -> None:
    with pytest.raises(ValueError) as info:
        cls.from_json(payload)
    assert str(info.value).startswith(message)
    with pytest.raises(ValueError) as via_bytes:
        decode(cls, json.dumps(payload).encode())
    assert str(via_bytes.value) == str(info.value)


@pytest.mark.parametrize("payload", [b"", b"{", b"\xff\xfe", b"NaN", b'{"a": Infinity}'])
def test_invalid_json_is_a_value_error(payload: bytes) -> None:
    with pytest.raises(ValueError, match=r"^ExecuteToolCall: payload is not valid UTF-8 JSON"):
        decode(ExecuteToolCall, payload)


def test_long_values_are_shortened_in_errors() -> None:
    with pytest.raises(ValueError) as info:
        ExecuteToolCall.from_json({"tool_call": "x" * 500, "originating_request_id": "r"})
    assert len(str(info.value)) < 120


# --- conveniences ------------------------------------------------------------------------------------


def test_chat_message_constructors() -> None:
    assert ChatMessage.user("u") == UserMessage("u")
    assert ChatMessage.system("s") == SystemMessage("s")
    call = ToolCall("c", FunctionCall("f", "{}"))
    assert ChatMessage.assistant("a", [call], "r") == AssistantMessage(
        "a", [call], originating_request_id="r"
    )
    assert ChatMessage.tool("c", "f", "out") == ToolMessage("c", "f", "out")
    assert ChatMessage.user("u") != ChatMessage.system("u")


def test_tool_call_result_text() -> None:
    assert ToolCallResult.text("ok") == ToolCallResult("ok", UIDisplayInfo("ok", None))
    assert ToolCallResult.text("line 1\nline 2") == ToolCallResult(
        "line 1\nline 2", UIDisplayInfo("line 1", "line 1\nline 2")
    )
    long = ToolCallResult.text("x" * 300)
    assert len(long.ui_display_info.collapsed) == 100
    assert long.ui_display_info.expanded == "x" * 300
    assert ToolCallResult.text("body", collapsed="Ran it").ui_display_info == UIDisplayInfo("Ran it", "body")


def test_status_constructors() -> None:
    assert Status.processing("r") == StatusProcessing("r")
    assert Status.wait(WaitingForUserInput()) == StatusWait(WaitingForUserInput())
    assert Status.done("s") == StatusDone(Ok(AgentTaskResponse("s", True)))
    assert Status.done("s", success=False) == StatusDone(Ok(AgentTaskResponse("s", False)))
    assert Status.failed("boom").to_json() == {"Done": {"result": {"Err": "boom"}}}


def test_tool_call_status_constructors() -> None:
    assert ToolCallStatus.received("Running") == ToolCallReceived(UIDisplayInfo("Running"))
    assert ToolCallStatus.ok("fine") == ToolCallDone(Ok(ToolCallResult.text("fine")))
    result = ToolCallResult("bad", UIDisplayInfo("Error"))
    assert ToolCallStatus.err(result) == ToolCallDone(Err(result))


def test_tool_define_and_parsed_arguments() -> None:
    tool = Tool.define("f", "does f", {"type": "object"})
    assert tool.to_json() == {
        "type": "function",
        "function": {"name": "f", "description": "does f", "parameters": {"type": "object"}},
    }
    assert ToolCall("c", FunctionCall("f", '{"a": [1]}')).parsed_arguments() == {"a": [1]}
    with pytest.raises(ValueError, match=r"^tool call 'c' \(f\): arguments are not valid JSON"):
        ToolCall("c", FunctionCall("f", "{oops")).parsed_arguments()


def test_message_classes_registry() -> None:
    assert len(MESSAGE_CLASSES) == 19
    for message_type, cls in MESSAGE_CLASSES.items():
        assert message_type.startswith("wasmind.common.")
        assert message_type.rsplit(".", 1)[1] == cls.__name__
        assert message_type == cls.MESSAGE_TYPE
        assert issubclass(cls, Message)
    assert ExecuteToolCall.MESSAGE_TYPE == "wasmind.common.tools.ExecuteToolCall"
    assert BaseUrlUpdate.MESSAGE_TYPE == "wasmind.common.litellm.BaseUrlUpdate"
    assert UserNotification.MESSAGE_TYPE == "wasmind.common.ui.UserNotification"


def test_all_names_exist() -> None:
    for module in (m, llm_types):
        for name in module.__all__:
            assert hasattr(module, name), name
    assert set(llm_types.__all__) <= set(m.__all__)


# --- round trip over every type ----------------------------------------------------------------------

_CALL_OBJ = ToolCall("call_0", FunctionCall("f", '{"k":"v"}'), index=2)
_RESULT = ToolCallResult("out\n", UIDisplayInfo("", None))

EXAMPLES: list[Any] = [
    *EXPECTED.values(),
    AgentSpawned("", "", None, []),
    AddMessage("000000", AssistantMessage()),
    AddMessage("000000", ToolMessage("c", "f", "")),
    StatusUpdate(Status.wait(WaitingForSystemInput())),
    StatusUpdate(Status.wait(WaitingForAgentCoordination("r", "wait", "abcdef", True))),
    StatusUpdate(Status.wait(WaitingForTools("r"))),
    QueueStatusChange("a", Status.failed("")),
    Request(ChatState(SystemMessage('ünï\u2028cödé "q" \\ \t\x01'))),
    Response(AssistantMessage(originating_request_id="r", tool_calls=[]), Usage()),
    Response(
        AssistantMessage(
            content="", thinking_blocks=[], provider_specific_fields=[1, "x"], originating_request_id="r"
        ),
        Usage(-1, 2**31 - 1, 0, {"nested": {"a": [True, None, 1.25]}}),
    ),
    CompactedConversation("a", [], ""),
    CompactedConversation(
        "a", [ToolMessage("c", None, "x"), AssistantMessage(originating_request_id="q")], "r"
    ),
    SystemPromptContribution("a", "k", SystemPromptData(None, ""), -(2**31), "Custom Section"),
    SystemPromptContribution("a", "k", SystemPromptData([1, {"x": None}], "{{ data }}"), 0, "system_context"),
    ToolsAvailable([]),
    ToolsAvailable([Tool(FunctionDefinition("f", "", None), type="custom")]),
    ExecuteToolCall(_CALL_OBJ, ""),
    ToolCallStatusUpdate(ToolCallStatus.received("c", "e"), "i", "r"),
    ToolCallStatusUpdate(ToolCallAwaitingSystem(AwaitingSystemDetails(UIDisplayInfo("c"))), "i", "r"),
    ToolCallStatusUpdate(ToolCallStatus.err(_RESULT), "i", "r"),
    BaseUrlUpdate("", []),
    UserNotification("Error", "", "", None),
    # Not messages: the nested types on their own.
    PendingToolCall(_CALL_OBJ, Ok(_RESULT)),
    ChatState(SystemMessage("s"), [Tool.define("t", "d", {})], [UserMessage("u")]),
    ThinkingBlock("t", type="redacted_thinking"),
    SystemPromptText(""),
    AgentTaskResponse("", False),
]


def _types_in(value: Any, found: set[type]) -> set[type]:
    if dataclasses.is_dataclass(value):
        found.add(type(value))
        for f in dataclasses.fields(value):
            _types_in(getattr(value, f.name), found)
    elif isinstance(value, list):
        for item in value:
            _types_in(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _types_in(item, found)
    return found


def test_examples_cover_every_class() -> None:
    covered: set[type] = set()
    for example in EXAMPLES:
        _types_in(example, covered)
    exported = [getattr(m, name) for name in m.__all__]
    concrete = {c for c in exported if isinstance(c, type) and dataclasses.is_dataclass(c)}
    assert concrete - covered == set()


# The base class (or enum base) whose from_json must read each example back.
_READERS: list[type[Any]] = [ChatMessage, Status, WaitReason, ToolCallStatus, SystemPromptContent]


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"{i}-{type(e).__name__}" for i, e in enumerate(EXAMPLES)])
def test_round_trip(example: Any) -> None:
    cls = type(example)
    payload = encode(example)
    assert decode(cls, payload) == example
    assert encode(decode(cls, payload)) == payload
    for base in _READERS:
        if isinstance(example, base):
            assert decode(base, payload) == example
    assert json.loads(payload) == example.to_json()


def test_nested_values_round_trip_through_their_own_from_json() -> None:
    for example in EXAMPLES:
        stack = [example]
        while stack:
            value = stack.pop()
            if isinstance(value, list | tuple):
                stack.extend(value)
            elif isinstance(value, dict):
                stack.extend(value.values())
            elif dataclasses.is_dataclass(value):
                stack.extend(getattr(value, f.name) for f in dataclasses.fields(value))
                if hasattr(value, "from_json"):  # every type but Ok / Err, which need their payload's type
                    assert type(value).from_json(json.loads(json.dumps(value.to_json()))) == value


# --- import hygiene ----------------------------------------------------------------------------------


def test_import_pulls_in_only_the_standard_library() -> None:
    code = textwrap.dedent(
        """
        import sys
        before = set(sys.modules)
        import wasmind_sdk.messages
        new = sorted(set(sys.modules) - before)
        outside = [
            name for name in new
            if name.split(".")[0] not in sys.stdlib_module_names and name.split(".")[0] != "wasmind_sdk"
        ]
        print(",".join(outside))
        """
    )
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True, timeout=60
    )
    assert proc.stdout.strip() == ""
