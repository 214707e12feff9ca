"""Sampling parameters: checked in the config, sent in every request, honoured by the embedded model."""

from __future__ import annotations

from typing import Any

import pytest

from tests.actors_builtin.conftest import (
    ROOT_SCOPE,
    assistant_settings,
    llm_requests,
    make_config,
    messages_of,
    say,
)
from wasmind_nb import SpawnError, Wasmind
from wasmind_nb.llm import Reply, Usage
from wasmind_sdk.messages import Response, UserNotification
from wasmind_sdk.sampling import DEFAULT_MAX_TOKENS, Sampling

pytestmark = pytest.mark.anyio

EVERY_PARAMETER = {
    "max_tokens": 256,
    "temperature": 0.2,
    "top_p": 0.9,
    "stop": ["</answer>", "\nUser:"],
    "seed": 7,
    "extra_body": {"top_k": 40, "cache_prompt": True, "logit_bias": {"50256": -100}},
}
SENT = {
    "max_tokens": 256,
    "temperature": 0.2,
    "top_p": 0.9,
    "stop": ["</answer>", "\nUser:"],
    "seed": 7,
    "top_k": 40,
    "cache_prompt": True,
    "logit_bias": {"50256": -100},
}


def body_fields(config: dict[str, Any]) -> dict[str, Any]:
    return Sampling.from_config(config, "assistant").body_fields()


# --- the config, checked on the host (the same module runs inside the actors) -------------------------


def test_defaults_send_only_max_tokens() -> None:
    assert body_fields({}) == {"max_tokens": DEFAULT_MAX_TOKENS}


def test_every_parameter_is_sent_with_extra_fields_last() -> None:
    fields = body_fields(EVERY_PARAMETER)
    assert fields == SENT
    assert list(fields)[:5] == ["max_tokens", "temperature", "top_p", "stop", "seed"]


@pytest.mark.parametrize(
    ("config", "sent"),
    [
        ({"max_tokens": 0}, {}),
        ({"stop": "END"}, {"max_tokens": DEFAULT_MAX_TOKENS, "stop": "END"}),
        ({"stop": []}, {"max_tokens": DEFAULT_MAX_TOKENS}),
        (
            {"temperature": 0, "top_p": 1},
            {"max_tokens": DEFAULT_MAX_TOKENS, "temperature": 0.0, "top_p": 1.0},
        ),
        ({"extra_body": {"max_completion_tokens": 500}}, {"max_completion_tokens": 500}),
    ],
)
def test_what_is_sent(config: dict[str, Any], sent: dict[str, Any]) -> None:
    assert body_fields(config) == sent


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"max_tokens": -1}, "'max_tokens' must be an integer >= 0"),
        ({"max_tokens": 1.5}, "'max_tokens' must be an integer >= 0"),
        ({"max_tokens": True}, "'max_tokens' must be an integer >= 0"),
        ({"temperature": "hot"}, "'temperature' must be a number from 0 to 2, got 'hot'"),
        ({"temperature": 2.5}, "'temperature' must be a number from 0 to 2, got 2.5"),
        ({"temperature": float("nan")}, "'temperature' must be a number from 0 to 2"),
        ({"top_p": 1.1}, "'top_p' must be a number from 0 to 1, got 1.1"),
        ({"stop": ""}, "'stop' must not be an empty string"),
        ({"stop": ["a", 1]}, "'stop' must be a string or a list of non-empty strings"),
        ({"stop": ["a", ""]}, "'stop' must be a string or a list of non-empty strings"),
        ({"seed": "7"}, "'seed' must be a 64-bit integer, got '7'"),
        ({"seed": 2**64}, "'seed' must be a 64-bit integer"),
        ({"extra_body": [1]}, "'extra_body' must be a table, got [1]"),
        ({"extra_body": {"model": "x"}}, "'extra_body.model' is not allowed: the actor sets 'model' itself"),
        ({"extra_body": {"stream": True}}, "'extra_body.stream' is not allowed"),
        ({"extra_body": {"temperature": 1}}, "'extra_body.temperature' is not allowed: set 'temperature' at"),
        ({"extra_body": {"x": float("inf")}}, "'extra_body.x' must be a JSON value"),
        (
            {"max_tokens": 10, "extra_body": {"max_completion_tokens": 10}},
            "set either 'max_tokens' or 'extra_body.max_completion_tokens', not both",
        ),
    ],
)
def test_bad_values_name_the_key(config: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValueError, match=r"^assistant config: ") as caught:
        Sampling.from_config(config, "assistant")
    assert expected in str(caught.value)


# --- the assistant -------------------------------------------------------------------------------------


async def test_every_parameter_reaches_the_model(agent_config) -> None:
    script = [Reply("Done.", expect=SENT)]
    async with Wasmind(agent_config(**EVERY_PARAMETER), progress=False, llm=script) as mind:
        await say(mind, "Hi")
        (request,) = mind.llm.server.requests
        assert request.status == 200 and request.parameters == SENT
        mind.llm.check()
        assert messages_of(mind, UserNotification) == []


async def test_the_default_max_tokens_is_sent() -> None:
    settings = {key: value for key, value in assistant_settings().items() if key != "max_tokens"}
    async with Wasmind(make_config({"assistant": {"config": settings}}), progress=False, llm=["ok"]) as mind:
        await say(mind, "Hi")
        (body,) = llm_requests(mind)
        assert body["max_tokens"] == DEFAULT_MAX_TOKENS and "temperature" not in body


async def test_an_unmet_expectation_is_a_script_error(agent_config) -> None:
    async with Wasmind(
        agent_config(max_attempts=1), progress=False, llm=[Reply("x", expect={"seed": 1})]
    ) as mind:
        await say(mind, "Hi")
        (notice,) = messages_of(mind, UserNotification)
        assert notice.title == "LLM returned HTTP 400"
        assert "expect: seed = 1, but the request has no seed" in notice.message
        with pytest.raises(Exception, match="does not meet the script's expect"):
            mind.llm.check()


async def test_a_reply_cut_at_max_tokens_finishes_with_length_and_warns(agent_config) -> None:
    long = "word " * 50  # 250 characters: about 63 tokens
    async with Wasmind(agent_config(max_tokens=5), progress=False, llm=[long]) as mind:
        await say(mind, "Talk")
        (response,) = messages_of(mind, Response)
        assert response.message.content == long[:20]
        assert response.usage.completion_tokens == 5
        (notice,) = messages_of(mind, UserNotification)
        assert (notice.level, notice.title) == ("Warning", "LLM reply cut off")
        assert 'max_tokens = 5 (finish_reason "length")' in notice.message
        assert mind.agents[ROOT_SCOPE].state == "running"


async def test_stop_sequences_end_the_reply(agent_config) -> None:
    script = ["The answer is 42.</answer> and some rambling", Reply("ok", usage=Usage(1, 1))]
    async with Wasmind(agent_config(stop="</answer>"), progress=False, llm=script) as mind:
        await say(mind, "Answer")
        assert messages_of(mind, Response)[0].message.content == "The answer is 42."


async def test_bad_sampling_config_fails_the_spawn_with_the_key() -> None:
    config = make_config(
        {"echo_tool": {}, "assistant": {"config": assistant_settings(top_p=2)}}, ["echo_tool"]
    )
    async with Wasmind(config, progress=False) as mind:
        with pytest.raises(SpawnError, match="assistant config: 'top_p' must be a number from 0 to 1, got 2"):
            await mind.spawn_agent(["assistant"], name="broken")
