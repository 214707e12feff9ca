"""conversation_compaction + assistant: the handshake, the summary request, the compacted history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.actors_builtin.conftest import (
    ROOT_SCOPE,
    assistant_settings,
    current_request,
    fake_tools,
    llm_requests,
    make_config,
    messages_of,
    publish,
    say,
    tool_done,
    trail,
)
from wasmind_nb import SpawnError, Wasmind
from wasmind_nb.config import Config
from wasmind_nb.llm import Fault, Reply, Router, ToolCallSpec, Usage
from wasmind_sdk.messages import (
    CompactedConversation,
    CompactingConversation,
    QueueStatusChange,
    Request,
    Response,
    Status,
    StatusUpdate,
    UserNotification,
    decode,
)

pytestmark = pytest.mark.anyio

BIG = Usage(1500, 10)
SUMMARY = "Goal: echo things. Done so far: the user said start."
INTRO = "The earlier part of this conversation was compacted into the summary below."


def compaction_config(**compaction: Any) -> Config:
    settings = {"token_threshold": 1000, "model_name": "summarizer", "max_attempts": 1, **compaction}
    return make_config(
        {
            "assistant": {"config": assistant_settings()},
            "conversation_compaction": {"config": settings},
        }
    )


def first_index(mind: Wasmind, cls: type, where: Callable[[Any], bool] = lambda _: True) -> int:
    """The bus position of the first message of type ``cls`` that ``where`` accepts."""
    return next(
        m.seq for m in mind.messages if m.message_type == cls.MESSAGE_TYPE and where(decode(cls, m.payload))
    )


def assistant_requests(mind: Wasmind) -> list[dict[str, Any]]:
    return [body for body in llm_requests(mind) if body["model"] == "test-model"]


def summary_requests(mind: Wasmind) -> list[dict[str, Any]]:
    return [body for body in llm_requests(mind) if body["model"] == "summarizer"]


def summary_message(summary: str) -> dict[str, str]:
    content = f"{INTRO}\n\n<summary>\n{summary}\n</summary>\n\nContinue the task from where it stands."
    return {"role": "user", "content": content}


async def test_a_big_reply_compacts_the_history_before_the_next_call() -> None:
    router = Router(
        {
            "model:summarizer": [SUMMARY],
            "default": [Reply(tool_calls=[ToolCallSpec("hold", {}, id="c1")], usage=BIG), "Done."],
        }
    )
    async with Wasmind(compaction_config(), progress=False, llm=router) as mind:
        await publish(mind, fake_tools("hold"))
        await say(mind, "start")
        first_request = current_request(mind)
        assert len(messages_of(mind, QueueStatusChange)) == 1  # queued, not applied while tools run
        assert trail(mind)[-1] == "Wait:WaitingForTools"
        await publish(mind, tool_done("c1", first_request, "held"))
        await mind.wait_idle()

        compacting = Status.wait(CompactingConversation())
        steps = [
            first_index(mind, Response),
            first_index(mind, QueueStatusChange),
            first_index(mind, StatusUpdate, lambda update: update.status == compacting),
            first_index(mind, CompactedConversation),
            first_index(mind, Request, lambda request: len(request.chat_state.messages) == 3),
        ]
        assert steps == sorted(steps)
        assert trail(mind)[-4:] == [
            "Wait:WaitingForTools",
            "Wait:CompactingConversation",
            "Processing",
            "Wait:WaitingForUserInput",
        ]
        (queued,) = messages_of(mind, QueueStatusChange)
        assert queued.agent == ROOT_SCOPE and queued.status.to_json() == {
            "Wait": {"reason": "CompactingConversation"}
        }
        (summary_body,) = summary_requests(mind)
        assert summary_body["messages"][1] == {"role": "user", "content": "[user]\nstart"}
        assert summary_body["messages"][0]["role"] == "system" and "tools" not in summary_body
        (compacted,) = messages_of(mind, CompactedConversation)
        assert compacted.agent == ROOT_SCOPE and compacted.compacted_to == first_request
        assert [m.to_json() for m in compacted.messages] == [summary_message(SUMMARY)]
        second = assistant_requests(mind)[1]["messages"]
        assert second[0] == summary_message(SUMMARY)
        assert [m["role"] for m in second] == ["user", "assistant", "tool"]
        assert {"role": "user", "content": "start"} not in second
        notices = messages_of(mind, UserNotification)
        assert [(n.level, n.title, n.source) for n in notices] == [
            ("Info", "Conversation compacted", "wasmind:conversation_compaction")
        ]


async def test_a_big_final_answer_compacts_before_the_next_user_message() -> None:
    router = Router(
        {"model:summarizer": [SUMMARY], "default": [Reply("First answer.", usage=BIG), "Second."]}
    )
    async with Wasmind(compaction_config(), progress=False, llm=router) as mind:
        await say(mind, "one")
        assert trail(mind)[-1] == "Wait:WaitingForUserInput"
        assert summary_requests(mind) == []
        await say(mind, "two")
        assert trail(mind)[-3:] == ["Wait:CompactingConversation", "Processing", "Wait:WaitingForUserInput"]
        assert summary_requests(mind)[0]["messages"][1]["content"] == "[user]\none"
        assert assistant_requests(mind)[1]["messages"] == [
            summary_message(SUMMARY),
            {"role": "assistant", "content": "First answer."},
            {"role": "user", "content": "two"},
        ]


async def test_the_summary_request_carries_the_sampling_parameters() -> None:
    sampling = {
        "max_tokens": 300,
        "temperature": 0,
        "seed": 3,
        "stop": "</summary>",
        "extra_body": {"top_k": 1},
    }
    expected = {"max_tokens": 300, "temperature": 0.0, "seed": 3, "stop": "</summary>", "top_k": 1}
    router = Router(
        {
            "model:summarizer": [Reply(SUMMARY + "</summary> trailing", expect=expected)],
            "default": [Reply("First answer.", usage=BIG), "Second."],
        }
    )
    async with Wasmind(compaction_config(**sampling), progress=False, llm=router) as mind:
        await say(mind, "one")
        await say(mind, "two")
        mind.llm.check()
        (summary_body,) = summary_requests(mind)
        assert {key: summary_body[key] for key in expected} == expected
        assert assistant_requests(mind)[1]["messages"][0] == summary_message(SUMMARY)


async def test_replies_below_the_threshold_change_nothing() -> None:
    router = Router(
        {"model:summarizer": [SUMMARY], "default": [Reply("Small.", usage=Usage(900, 99)), "Again."]}
    )
    async with Wasmind(compaction_config(), progress=False, llm=router) as mind:
        await say(mind, "one")
        await say(mind, "two")
        assert messages_of(mind, QueueStatusChange) == [] and summary_requests(mind) == []
        assert [m["content"] for m in assistant_requests(mind)[1]["messages"]] == ["one", "Small.", "two"]


async def test_a_failed_summary_keeps_the_history_and_resumes_the_assistant() -> None:
    router = Router(
        {
            "model:summarizer": [Fault(500, "summarizer down")],
            "default": [Reply("First.", usage=BIG), "Second."],
        }
    )
    async with Wasmind(compaction_config(), progress=False, llm=router) as mind:
        await say(mind, "one")
        await say(mind, "two")
        (compacted,) = messages_of(mind, CompactedConversation)
        assert [m.to_json() for m in compacted.messages] == [{"role": "user", "content": "one"}]
        (notice,) = messages_of(mind, UserNotification)
        assert notice.level == "Warning" and "HTTP 500" in notice.message
        assert [m["content"] for m in assistant_requests(mind)[1]["messages"]] == ["one", "First.", "two"]
        assert trail(mind)[-1] == "Wait:WaitingForUserInput"
        assert mind.faults == []


async def test_compaction_is_requested_once_until_it_happens() -> None:
    router = Router(
        {
            "model:summarizer": [SUMMARY],
            "default": [Reply("", usage=BIG), Reply("Now text.", usage=BIG), "Third."],
        }
    )
    async with Wasmind(compaction_config(), progress=False, llm=router) as mind:
        await say(mind, "one")  # an empty reply, then a corrective retry: two big Responses in a row
        assert len(messages_of(mind, Response)) == 2
        assert len(messages_of(mind, QueueStatusChange)) == 1
        await say(mind, "two")
        assert len(messages_of(mind, CompactedConversation)) == 1
        assert len(messages_of(mind, QueueStatusChange)) == 1


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"token_threshold": None}, "'token_threshold' is required"),
        ({"model_name": None}, "'model_name' is required"),
        ({"max_attempts": 0}, "'max_attempts' must be an integer >= 1"),
        ({"max_tokens": "many"}, "conversation_compaction config: 'max_tokens' must be an integer >= 0"),
    ],
)
async def test_bad_config_fails_the_spawn(settings, expected) -> None:
    compaction = {"token_threshold": 1000, "model_name": "summarizer", **settings}
    config = make_config(
        {
            "assistant": {"config": assistant_settings()},
            "conversation_compaction": {"config": {k: v for k, v in compaction.items() if v is not None}},
        },
        starting=["assistant"],
    )
    async with Wasmind(config, progress=False) as mind:
        with pytest.raises(SpawnError, match=expected):
            await mind.spawn_agent(["conversation_compaction"], name="broken")
