"""Bad input: dead endpoint, HTTP errors, retries, non-JSON and malformed replies, malformed messages."""

from __future__ import annotations

import socket

import pytest

from tests.actors_builtin.conftest import ROOT_SCOPE, llm_requests, messages_of, say, trail
from wasmind_nb import Wasmind
from wasmind_nb.llm import Fault, Raw, Reply
from wasmind_sdk.messages import AddMessage, Response, UserNotification

pytestmark = pytest.mark.anyio


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def notifications(mind: Wasmind) -> list[UserNotification]:
    return messages_of(mind, UserNotification, ROOT_SCOPE)


async def test_a_dead_endpoint_is_reported_and_the_agent_stays_usable(agent_config) -> None:
    port = closed_port()
    url = f"http://127.0.0.1:{port}"
    config = agent_config(base_url=url, capabilities={"http_hosts": [f"127.0.0.1:{port}"]})
    async with Wasmind(config, progress=False, llm=["never asked"]) as mind:
        await say(mind, "Hello?")
        retrying, notice = notifications(mind)
        assert (retrying.level, retrying.title) == ("Warning", "LLM request failed")
        assert retrying.message.endswith("(attempt 1 of 2); trying again in 0.001 s")
        assert (notice.level, notice.title, notice.source) == (
            "Error",
            "LLM request failed",
            "wasmind:assistant",
        )
        assert url in notice.message and "2 attempt(s)" in notice.message
        assert trail(mind)[-2:] == ["Processing", "Wait:WaitingForUserInput"]
        assert llm_requests(mind) == []  # the configured base_url wins over the announced one
        await say(mind, "Still there?")  # the agent and the runtime still answer
        assert len(notifications(mind)) == 4
        assert mind.faults == [] and mind.agents[ROOT_SCOPE].state == "running"


async def test_server_errors_are_retried(agent_config) -> None:
    script = [Fault(503, "overloaded"), Fault(429, "slow down"), Reply("Finally.")]
    async with Wasmind(agent_config(max_attempts=3), progress=False, llm=script) as mind:
        await say(mind, "Hi")
        assert len(llm_requests(mind)) == 3
        assert [(n.level, n.title, n.message) for n in notifications(mind)] == [  # each retry is announced
            ("Warning", "LLM returned HTTP 503", "overloaded (attempt 1 of 3); trying again in 0.001 s"),
            ("Warning", "LLM returned HTTP 429", "slow down (attempt 2 of 3); trying again in 0.002 s"),
        ]
        assert messages_of(mind, Response)[0].message.content == "Finally."


async def test_retries_run_out(agent_config) -> None:
    async with Wasmind(
        agent_config(max_attempts=2), progress=False, llm=[Fault(503, "overloaded")] * 2
    ) as mind:
        await say(mind, "Hi")
        retrying, notice = notifications(mind)
        assert (retrying.level, notice.level) == ("Warning", "Error")
        assert (notice.title, notice.message.split(": ", 1)[1]) == ("LLM returned HTTP 503", "overloaded")
        assert trail(mind)[-1] == "Wait:WaitingForUserInput"


async def test_client_errors_are_not_retried(agent_config) -> None:
    script = [Fault(400, "context too long", type="invalid_request_error"), Reply("unused")]
    async with Wasmind(agent_config(max_attempts=3), progress=False, llm=script) as mind:
        await say(mind, "Hi")
        assert len(llm_requests(mind)) == 1
        (notice,) = notifications(mind)
        assert notice.title == "LLM returned HTTP 400" and notice.message.endswith("context too long")


@pytest.mark.parametrize(
    ("reply", "title", "detail"),
    [
        (Raw("<html>oops</html>", content_type="text/html"), "LLM reply is not JSON", "<html>oops</html>"),
        (Raw("[1, 2]"), "LLM reply is malformed", "expected a JSON object"),
        (Raw({"choices": []}), "LLM reply is malformed", "'choices' is missing or empty"),
        (Raw({"choices": [{"message": "hi"}]}), "LLM reply is malformed", "'choices[0].message' is missing"),
        (Raw({"choices": [{"message": {"role": "user", "content": "x"}}]}), "LLM reply is malformed", "role"),
        (
            Raw({"choices": [{"message": {"content": 5}}]}),
            "LLM reply is malformed",
            "choices[0].message.content: expected a string",
        ),
        (
            Raw({"choices": [{"message": {"tool_calls": [{"function": {"name": 3}}]}}]}),
            "LLM reply is malformed",
            "name: expected a string",
        ),
        (Raw({"error": {"message": "quota exceeded"}}), "LLM returned an error", "quota exceeded"),
    ],
)
async def test_unusable_replies_are_reported_not_fatal(agent_config, reply, title, detail) -> None:
    async with Wasmind(agent_config(), progress=False, llm=[reply, Reply("Recovered.")]) as mind:
        await say(mind, "Hi")
        (notice,) = notifications(mind)
        assert notice.title == title and detail in notice.message
        assert trail(mind)[-1] == "Wait:WaitingForUserInput"
        await say(mind, "Again")
        assert messages_of(mind, Response)[-1].message.content == "Recovered."
        assert [m["role"] for m in llm_requests(mind)[1]["messages"]] == ["user", "user"]
        assert mind.faults == []


async def test_malformed_messages_are_ignored(agent_config) -> None:
    async with Wasmind(agent_config(), progress=False, llm=["Fine."]) as mind:
        await mind.broadcast(AddMessage.MESSAGE_TYPE, b"{not json")
        await mind.broadcast(AddMessage.MESSAGE_TYPE, {"agent": ROOT_SCOPE, "message": {"role": "wizard"}})
        await mind.broadcast("wasmind.common.tools.ToolsAvailable", {"tools": "many"})
        await say(mind, "Hi")
        assert messages_of(mind, Response)[0].message.content == "Fine."
        assert mind.faults == [] and notifications(mind) == []
