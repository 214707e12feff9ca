"""Bounded, visible waits: a timed-out attempt is announced at once; an interrupt stops the turn.

A loopback server stalls on cue; tests wait for facts (a request arrived, a connection closed, a
notification is on the bus), never for a length of time.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.actors_builtin.conftest import (
    ROOT_SCOPE,
    assistant_settings,
    current_request,
    fake_tools,
    make_config,
    messages_of,
    publish,
    say,
    tool_done,
    trail,
)
from tests.stalling_server import STALL, WAIT_S, StallingServer
from wasmind_nb import SpawnError, Wasmind
from wasmind_nb.llm import Reply, ToolCallSpec
from wasmind_sdk.messages import ChatStateUpdated, Response, UserNotification

pytestmark = pytest.mark.anyio


def notices(mind: Wasmind) -> list[tuple[str, str, str]]:
    return [(n.level, n.title, n.message) for n in messages_of(mind, UserNotification, ROOT_SCOPE)]


def stalling_config(server: StallingServer, **settings):
    capabilities = {"http_hosts": [server.host]}
    config = assistant_settings(base_url=server.base_url, **settings)
    return make_config({"assistant": {"config": config, "capabilities": capabilities}})


async def test_a_timed_out_attempt_is_announced_before_the_retry(agent_config) -> None:
    seen: list[bool] = []
    mind_box: list[Wasmind] = []

    def answer_once_announced() -> str:
        """The retry is answered only once the timeout is on the bus (or never: the test fails)."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline and not any(
            m.message_type == UserNotification.MESSAGE_TYPE for m in mind_box[0].messages
        ):
            time.sleep(0.01)
        seen.append(any(m.message_type == UserNotification.MESSAGE_TYPE for m in mind_box[0].messages))
        return "Here I am."

    with StallingServer([STALL, answer_once_announced]) as server:
        config = stalling_config(server, request_timeout_s=1, max_attempts=2)
        async with Wasmind(config, progress=False) as mind:
            mind_box.append(mind)
            await say(mind, "Hello?")
            assert seen == [True]  # announced while the assistant was still working on the request
            assert notices(mind) == [
                (
                    "Warning",
                    "LLM request timed out",
                    "no reply within 1 s (attempt 1 of 2); trying again in 0.001 s",
                )
            ]
            assert messages_of(mind, Response)[0].message.content == "Here I am."
            await asyncio.to_thread(server.wait_for, lambda s: s.closed == 1)  # the timed-out connection
            assert len(server.bodies) == 2


async def test_the_last_timed_out_attempt_is_an_error() -> None:
    with StallingServer([STALL]) as server:
        async with Wasmind(
            stalling_config(server, request_timeout_s=1, max_attempts=1), progress=False
        ) as mind:
            await say(mind, "Hello?")
            ((level, title, message),) = notices(mind)
            assert (level, title) == ("Error", "LLM request timed out")
            assert message == f"POST {server.base_url}/v1/chat/completions: no reply within 1 s, 1 attempt(s)"
            assert trail(mind)[-1] == "Wait:WaitingForUserInput"


async def test_an_interrupt_cancels_the_request_in_flight() -> None:
    with StallingServer([STALL, "Back again."]) as server:
        config = stalling_config(server, request_timeout_s=600, max_attempts=4, base_delay_ms=1000)
        async with Wasmind(config, progress=False) as mind:
            await mind.send_user_message(ROOT_SCOPE, "Think hard")
            await asyncio.to_thread(server.wait_for, lambda s: len(s.bodies) == 1)
            await mind.interrupt(ROOT_SCOPE)
            await mind.wait_idle(timeout=WAIT_S)
            await asyncio.to_thread(server.wait_for, lambda s: s.closed == 1)  # the socket was shut down
            assert len(server.bodies) == 1  # not retried
            assert notices(mind) == [
                (
                    "Info",
                    "LLM request interrupted",
                    f"POST {server.base_url}/v1/chat/completions: request cancelled: agent {ROOT_SCOPE} was "
                    "interrupted; waiting for user input",
                )
            ]
            assert trail(mind)[-2:] == ["Processing", "Wait:WaitingForUserInput"]
            assert messages_of(mind, Response) == []
            await say(mind, "Never mind, say hi")
            assert [m["content"] for m in server.bodies[1]["messages"]] == [
                "Think hard",
                "Never mind, say hi",
            ]
            assert messages_of(mind, Response)[0].message.content == "Back again."


async def test_an_interrupt_while_tools_run_closes_the_round(agent_config) -> None:
    script = [Reply(tool_calls=[ToolCallSpec("slow", {}, id="c1")]), "Stopped, as asked."]
    async with Wasmind(agent_config(), progress=False, llm=script) as mind:
        await publish(mind, fake_tools("slow"))
        await say(mind, "Run the slow tool")
        request_id = current_request(mind)
        await mind.interrupt(ROOT_SCOPE)
        await mind.wait_idle()
        assert trail(mind)[-2:] == ["Wait:WaitingForTools", "Wait:WaitingForUserInput"]
        assert notices(mind) == [
            ("Info", "Assistant interrupted", "the turn was stopped; waiting for user input")
        ]
        history = messages_of(mind, ChatStateUpdated)[-1].chat_state.messages
        assert history[-1].to_json() == {
            "role": "tool",
            "tool_call_id": "c1",
            "name": "slow",
            "content": "Error: the user interrupted the agent before this tool call finished",
        }
        await publish(mind, tool_done("c1", request_id, "finished late"))  # ignored: the round is closed
        await mind.wait_idle()
        assert trail(mind)[-1] == "Wait:WaitingForUserInput"
        await say(mind, "What happened?")
        assert messages_of(mind, Response)[-1].message.content == "Stopped, as asked."


async def test_an_interrupt_of_an_idle_agent_changes_nothing(agent_config) -> None:
    async with Wasmind(agent_config(), progress=False, llm=["Hi."]) as mind:
        await say(mind, "Hello")
        before = trail(mind)
        await mind.interrupt(ROOT_SCOPE)
        await mind.wait_idle()
        assert trail(mind) == before and notices(mind) == []


async def test_shutdown_cancels_a_request_in_flight() -> None:
    with StallingServer([STALL]) as server:
        config = stalling_config(server, request_timeout_s=600, max_attempts=1)
        mind = Wasmind(config, progress=False)
        await mind.start()
        await mind.send_user_message(ROOT_SCOPE, "Think hard")
        await asyncio.to_thread(server.wait_for, lambda s: len(s.bodies) == 1)
        await mind.shutdown(timeout=0)
        await asyncio.to_thread(server.wait_for, lambda s: s.closed == 1)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"max_delay_ms": -1}, "'max_delay_ms' must be at least 0"),
        (
            {"max_attempts": 10, "base_delay_ms": 1000},
            "the backoff waits of one request add up to 55 s (max_attempts = 10, base_delay_ms = 1000, "
            "max_delay_ms = 8000); at most 30 s",
        ),
    ],
)
async def test_bad_retry_settings_fail_the_spawn(settings, expected) -> None:
    config = make_config(
        {"echo_tool": {}, "assistant": {"config": assistant_settings(**settings)}}, ["echo_tool"]
    )
    async with Wasmind(config, progress=False) as mind:
        with pytest.raises(SpawnError, match=expected.replace("(", r"\(").replace(")", r"\)")):
            await mind.spawn_agent(["assistant"], name="broken")
