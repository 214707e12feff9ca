"""Golden tests: what the assistant broadcasts is upstream's wire format, byte for byte decodable."""

from __future__ import annotations

import json

import pytest

from tests.actors_builtin.conftest import ROOT_SCOPE, current_request, fake_tools, publish, say, tool_done
from wasmind_nb import Wasmind
from wasmind_nb.llm import Fault, Reply, ToolCallSpec, Usage
from wasmind_sdk.messages import MESSAGE_CLASSES, ActorReady, RequestStatusUpdate, Status, decode, encode

pytestmark = pytest.mark.anyio

LOOKUP = {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": '{"q":"x"}'}}
GHOST = {"id": "c2", "type": "function", "function": {"name": "ghost", "arguments": "{}"}}
GHOST_ERROR = {
    "content": "Tool 'ghost' is not available. Available tools: lookup.",
    "ui_display_info": {
        "collapsed": "Unknown tool: ghost",
        "expanded": "Tool 'ghost' is not available. Available tools: lookup.",
    },
}
LOOKUP_TOOL = {
    "type": "function",
    "function": {
        "name": "lookup",
        "description": "The lookup tool.",
        "parameters": {"type": "object", "properties": {}},
    },
}
SCRIPT = [
    Reply(
        tool_calls=[ToolCallSpec("lookup", {"q": "x"}, id="c1"), ToolCallSpec("ghost", {}, id="c2")],
        usage=Usage(10, 2),
    ),
    Reply("The answer is 42.", usage=Usage(30, 5)),
    Fault(400, "bad request"),
    Reply(tool_calls=[ToolCallSpec("lookup", {"q": "y"}, id="c3")]),
]


async def _run(mind: Wasmind) -> None:
    await publish(mind, fake_tools("lookup"))
    await say(mind, "Look it up")
    await publish(mind, tool_done("c1", current_request(mind), "42"))
    await mind.wait_idle()
    await say(mind, "And now?")
    await say(mind, "Finish")
    done = Status.done("finished", success=True)
    await publish(mind, RequestStatusUpdate(ROOT_SCOPE, done, current_request(mind)))
    await mind.wait_idle()


async def test_every_broadcast_decodes_and_reencodes_to_the_same_bytes(agent_config) -> None:
    async with Wasmind(agent_config(), progress=False, llm=SCRIPT) as mind:
        await _run(mind)
        sent = [
            m
            for m in mind.messages
            if m.from_actor_id == "assistant" and m.message_type != ActorReady.MESSAGE_TYPE
        ]
        assert {m.message_type.rsplit(".", 1)[1] for m in sent} == {
            "StatusUpdate",
            "ChatStateUpdated",
            "Request",
            "Response",
            "ExecuteToolCall",
            "ToolCallStatusUpdate",
            "UserNotification",
            "Exit",
        }
        for envelope in sent:
            decoded = decode(MESSAGE_CLASSES[envelope.message_type], envelope.payload)
            assert encode(decoded) == envelope.payload, envelope.message_type


async def test_the_payloads_match_hand_written_golden_json(agent_config) -> None:
    async with Wasmind(agent_config(), progress=False, llm=SCRIPT) as mind:
        await _run(mind)
        sent = [
            (m.message_type.rsplit(".", 1)[1], m.json())
            for m in mind.messages
            if m.from_actor_id == "assistant"
        ]
        by_type: dict[str, list] = {}
        for kind, payload in sent:
            by_type.setdefault(kind, []).append(payload)
        statuses = by_type["StatusUpdate"]
        assert statuses[0] == {"status": {"Wait": {"reason": "WaitingForAllActorsReady"}}}
        assert statuses[3] == {"status": {"Processing": {"request_id": "req_000000_1"}}}
        assert statuses[4] == {
            "status": {
                "Wait": {
                    "reason": {
                        "WaitingForTools": {
                            "originating_request_id": "req_000000_1",
                            "tool_calls": {
                                "c1": {"tool_call": LOOKUP, "result": None},
                                "c2": {"tool_call": GHOST, "result": {"Err": GHOST_ERROR}},
                            },
                        }
                    }
                }
            }
        }
        assert by_type["Request"][0] == {
            "chat_state": {
                "system": {"content": ""},
                "tools": [LOOKUP_TOOL],
                "messages": [{"role": "user", "content": "Look it up"}],
            }
        }
        assert by_type["Response"][0] == {
            "message": {"tool_calls": [LOOKUP, GHOST], "originating_request_id": "req_000000_1"},
            "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12},
        }
        assert by_type["Response"][1] == {
            "message": {"content": "The answer is 42.", "originating_request_id": "req_000000_2"},
            "usage": {"prompt_tokens": 30, "completion_tokens": 5, "total_tokens": 35},
        }
        assert by_type["ToolCallStatusUpdate"] == [
            {
                "status": {"Done": {"result": {"Err": GHOST_ERROR}}},
                "id": "c2",
                "originating_request_id": "req_000000_1",
            }
        ]
        assert by_type["ExecuteToolCall"][0] == {
            "tool_call": LOOKUP,
            "originating_request_id": "req_000000_1",
        }
        history = by_type["ChatStateUpdated"][2]["chat_state"]["messages"]
        assert history[2:] == [
            {"role": "tool", "tool_call_id": "c1", "name": "lookup", "content": "42"},
            {
                "role": "tool",
                "tool_call_id": "c2",
                "name": "ghost",
                "content": f"Error: {GHOST_ERROR['content']}",
            },
        ]
        (notice,) = by_type["UserNotification"]
        assert notice == {
            "level": "Error",
            "title": "LLM returned HTTP 400",
            "message": f"POST {mind.llm.base_url}/v1/chat/completions: bad request",
            "source": "wasmind:assistant",
        }
        assert statuses[-1] == {
            "status": {"Done": {"result": {"Ok": {"summary": "finished", "success": True}}}}
        }
        assert sent[-1] == ("Exit", None)
        exit_envelope = [m for m in mind.messages if m.from_actor_id == "assistant"][-1]
        assert exit_envelope.payload == b"null"
        assert json.loads(exit_envelope.payload) is None
