"""The assistant's states: start-up, one turn, pending input, wake rules, status requests, Done -> Exit."""

from __future__ import annotations

import pytest

from tests.actors_builtin.conftest import (
    ROOT_SCOPE,
    assistant_settings,
    current_request,
    fake_tools,
    label,
    llm_requests,
    make_config,
    messages_of,
    publish,
    say,
    statuses,
    tool_done,
    trail,
)
from wasmind_nb import SpawnError, Wasmind
from wasmind_nb.llm import Reply, ToolCallSpec
from wasmind_sdk.messages import (
    AddMessage,
    AgentTaskResponse,
    ChatStateUpdated,
    Exit,
    Ok,
    QueueStatusChange,
    Request,
    RequestStatusUpdate,
    Response,
    Status,
    StatusDone,
    StatusUpdate,
    SystemMessage,
    UserMessage,
    WaitingForAgentCoordination,
    WaitingForSystemInput,
    WaitingForUserInput,
)

pytestmark = pytest.mark.anyio

READY = ["Wait:WaitingForAllActorsReady", "Wait:WaitingForLiteLLM", "Wait:WaitingForUserInput"]
HOLD = Reply(tool_calls=[ToolCallSpec("hold", {}, id="call_hold")])


async def test_start_up_waits_for_readiness_then_the_base_url(agent_config) -> None:
    async with Wasmind(agent_config(), progress=False) as mind:
        await mind.wait_idle()
        assert trail(mind) == READY
        updates = [m for m in mind.messages if m.message_type == StatusUpdate.MESSAGE_TYPE]
        assert {(m.from_actor_id, m.from_scope) for m in updates} == {("assistant", ROOT_SCOPE)}


async def test_a_configured_base_url_needs_no_announcement(agent_config) -> None:
    async with Wasmind(agent_config(base_url="http://127.0.0.1:9"), progress=False) as mind:
        await mind.wait_idle()
        assert trail(mind) == ["Wait:WaitingForAllActorsReady", "Wait:WaitingForUserInput"]


async def test_one_turn_broadcasts_in_order(agent_config) -> None:
    async with Wasmind(agent_config(), progress=False, llm=["Hi there."]) as mind:
        await mind.wait_idle()
        start = len(mind.messages)
        await say(mind, "Hello")
        sent = [
            m.message_type.rsplit(".", 1)[1] for m in mind.messages[start:] if m.from_actor_id == "assistant"
        ]
        assert sent == [
            "ChatStateUpdated",
            "StatusUpdate",
            "Request",
            "ChatStateUpdated",
            "Response",
            "StatusUpdate",
        ]
        assert trail(mind) == [*READY, "Processing", "Wait:WaitingForUserInput"]
        request_id = current_request(mind)
        (request,) = messages_of(mind, Request)
        assert [m.to_json() for m in request.chat_state.messages] == [{"role": "user", "content": "Hello"}]
        (response,) = messages_of(mind, Response)
        assert response.message.content == "Hi there."
        assert response.message.originating_request_id == request_id
        history = messages_of(mind, ChatStateUpdated)[-1].chat_state.messages
        assert [m.to_json() for m in history] == [
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Hi there.", "originating_request_id": request_id},
        ]
        assert llm_requests(mind)[0]["model"] == "test-model"


async def test_input_sent_while_starting_is_submitted_at_readiness() -> None:
    config = make_config(
        {
            "assistant": {"config": assistant_settings()},
            "greeter": {
                "config": {"system": ["Note A", "Note B"], "user": ["first", "second"]},
                "capabilities": {"message_agents": ["self"]},  # it speaks as the user to its own agent
            },
        }
    )
    async with Wasmind(config, progress=False, llm=["Got it."]) as mind:
        await mind.wait_idle()
        # no idle WaitingForUserInput in between: the pending input is submitted at once
        assert trail(mind) == [*READY[:2], "Processing", "Wait:WaitingForUserInput"]
        (body,) = llm_requests(mind)
        assert body["messages"] == [
            {"role": "system", "content": "Note A"},
            {"role": "system", "content": "Note B"},
            {"role": "user", "content": "second"},  # a later user message replaces a pending one
        ]


async def test_input_during_tool_calls_is_queued_and_sent_with_the_results(agent_config) -> None:
    async with Wasmind(agent_config(), progress=False, llm=[HOLD, "Done."]) as mind:
        await publish(mind, fake_tools("hold"))
        await say(mind, "Start")
        request_id = current_request(mind)
        await mind.send_user_message(ROOT_SCOPE, "u1")
        await mind.send_user_message(ROOT_SCOPE, "u2")
        await publish(mind, AddMessage(ROOT_SCOPE, SystemMessage("s1")))
        await mind.wait_idle()
        assert len(llm_requests(mind)) == 1  # nothing interrupts the wait for tools
        await publish(mind, tool_done("call_hold", request_id, "held"))
        await mind.wait_idle()
        second = llm_requests(mind)[1]["messages"]
        assert second[-3:] == [
            {"role": "tool", "tool_call_id": "call_hold", "name": "hold", "content": "held"},
            {"role": "system", "content": "s1"},
            {"role": "user", "content": "u2"},
        ]


async def test_system_input_waits_for_the_user_unless_configured(agent_config) -> None:
    async with Wasmind(agent_config(), progress=False, llm=["Both seen."]) as mind:
        await publish(mind, AddMessage(ROOT_SCOPE, SystemMessage("background note")))
        await mind.wait_idle()
        assert llm_requests(mind) == []
        await say(mind, "Go")
        assert llm_requests(mind)[0]["messages"] == [
            {"role": "system", "content": "background note"},
            {"role": "user", "content": "Go"},
        ]
    async with Wasmind(agent_config(wake_on_system_input=True), progress=False, llm=["Woken."]) as mind:
        await mind.wait_idle()
        assert statuses(mind)[-1].reason == WaitingForSystemInput(None, interruptible_by_user=True)
        await publish(mind, AddMessage(ROOT_SCOPE, SystemMessage("wake up")))
        await mind.wait_idle()
        assert llm_requests(mind)[0]["messages"] == [{"role": "system", "content": "wake up"}]


async def _hold_then_wait(mind: Wasmind, status: Status) -> str:
    """A turn that calls the fake ``hold`` tool, then RequestStatusUpdate to ``status``, then its result."""
    await publish(mind, fake_tools("hold"))
    await say(mind, "Start")
    request_id = current_request(mind)
    await publish(mind, RequestStatusUpdate(ROOT_SCOPE, status, request_id))
    await publish(mind, tool_done("call_hold", request_id, "Waiting..."))
    await mind.wait_idle()
    return request_id


async def test_a_system_wait_wakes_only_for_its_scope() -> None:
    config = make_config(
        {"assistant": {"config": assistant_settings()}, "echo_tool": {}},
        starting=["assistant"],
    )
    async with Wasmind(config, progress=False, llm=[HOLD, "Resumed."]) as mind:
        other = await mind.spawn_agent(["echo_tool"], name="other")
        wait = WaitingForSystemInput(required_scope=other, interruptible_by_user=False)
        await _hold_then_wait(mind, Status.wait(wait))
        assert statuses(mind)[-1] == Status.wait(wait)
        await publish(mind, AddMessage(ROOT_SCOPE, SystemMessage("from elsewhere")))
        await mind.send_user_message(ROOT_SCOPE, "user cannot interrupt")
        await mind.wait_idle()
        assert len(llm_requests(mind)) == 1
        await publish(mind, AddMessage(ROOT_SCOPE, SystemMessage("from the awaited scope")), scope=other)
        await mind.wait_idle()
        assert [m.get("content") for m in llm_requests(mind)[1]["messages"][-3:]] == [
            "from elsewhere",
            "from the awaited scope",
            "user cannot interrupt",
        ]
        assert trail(mind)[-2:] == ["Processing", "Wait:WaitingForUserInput"]


async def test_a_coordination_wait_can_be_interrupted_by_the_user(agent_config) -> None:
    async with Wasmind(agent_config(), progress=False, llm=[HOLD, "Interrupted."]) as mind:
        await publish(mind, fake_tools("hold"))
        await say(mind, "Start")
        request_id = current_request(mind)
        wait = WaitingForAgentCoordination(
            request_id, "hold", target_agent_scope=None, user_can_interrupt=True
        )
        await publish(mind, RequestStatusUpdate(ROOT_SCOPE, Status.wait(wait), request_id))
        await publish(mind, tool_done("call_hold", request_id, "Waiting..."))
        await mind.wait_idle()
        assert label(statuses(mind)[-1]) == "Wait:WaitingForAgentCoordination"
        assert len(llm_requests(mind)) == 1
        await say(mind, "Stop waiting")
        assert llm_requests(mind)[1]["messages"][-1] == {"role": "user", "content": "Stop waiting"}


async def test_switching_to_coordination_keeps_the_results_already_received(agent_config) -> None:
    calls = [ToolCallSpec("lookup", {}, id="call_lookup"), ToolCallSpec("hold", {}, id="call_hold")]
    async with Wasmind(agent_config(), progress=False, llm=[Reply(tool_calls=calls), "All in."]) as mind:
        await publish(mind, fake_tools("lookup", "hold"))
        await say(mind, "Start")
        request_id = current_request(mind)
        await publish(mind, tool_done("call_lookup", request_id, "42"))
        wait = WaitingForAgentCoordination(
            request_id, "hold", target_agent_scope=None, user_can_interrupt=False
        )
        await publish(mind, RequestStatusUpdate(ROOT_SCOPE, Status.wait(wait), request_id))
        await publish(mind, tool_done("call_hold", request_id, "Waiting..."))
        await publish(mind, AddMessage(ROOT_SCOPE, SystemMessage("The worker finished.")))
        await mind.wait_idle()
        assert trail(mind)[len(READY) :] == [
            "Processing",
            "Wait:WaitingForTools",
            "Wait:WaitingForTools",
            "Wait:WaitingForAgentCoordination",
            "Processing",
            "Wait:WaitingForUserInput",
        ]
        assert llm_requests(mind)[1]["messages"][-3:] == [
            {"role": "tool", "tool_call_id": "call_lookup", "name": "lookup", "content": "42"},
            {"role": "tool", "tool_call_id": "call_hold", "name": "hold", "content": "Waiting..."},
            {"role": "system", "content": "The worker finished."},
        ]


async def test_a_wait_ends_only_when_every_tool_result_is_in(agent_config) -> None:
    calls = [ToolCallSpec("slow", {}, id="call_slow"), ToolCallSpec("hold", {}, id="call_hold")]
    async with Wasmind(agent_config(), progress=False, llm=[Reply(tool_calls=calls), "All in."]) as mind:
        await publish(mind, fake_tools("slow", "hold"))
        await say(mind, "Start")
        request_id = current_request(mind)
        wait = WaitingForAgentCoordination(
            request_id, "hold", target_agent_scope=None, user_can_interrupt=True
        )
        await publish(mind, RequestStatusUpdate(ROOT_SCOPE, Status.wait(wait), request_id))
        await publish(mind, tool_done("call_hold", request_id, "Waiting..."))
        await say(mind, "Interrupt")
        assert len(llm_requests(mind)) == 1  # 'slow' has not answered yet
        await publish(mind, tool_done("call_slow", request_id, "finally"))
        await mind.wait_idle()
        assert [m["role"] for m in llm_requests(mind)[1]["messages"][-3:]] == ["tool", "tool", "user"]


async def test_status_requests_and_results_for_other_requests_or_scopes_are_ignored() -> None:
    config = make_config(
        {"assistant": {"config": assistant_settings()}, "echo_tool": {}},
        starting=["assistant"],
    )
    async with Wasmind(config, progress=False, llm=[HOLD, "Done."]) as mind:
        other = await mind.spawn_agent(["echo_tool"], name="other")
        wait = Status.wait(WaitingForUserInput())
        await publish(mind, RequestStatusUpdate(ROOT_SCOPE, wait, "req_unknown"))  # not waiting for tools
        await publish(mind, fake_tools("foreign"), scope=other)  # tools count only from its own scope
        await publish(mind, fake_tools("hold"))
        await say(mind, "Start")
        assert [tool["function"]["name"] for tool in llm_requests(mind)[0]["tools"]] == ["hold"]
        request_id = current_request(mind)
        await publish(mind, RequestStatusUpdate(ROOT_SCOPE, wait, "req_other"))
        await publish(mind, RequestStatusUpdate("zzzzzz", wait, request_id))
        await mind.wait_idle()
        assert trail(mind)[-1] == "Wait:WaitingForTools"
        await publish(mind, tool_done("call_hold", "req_other", "stale"))
        await publish(mind, tool_done("call_hold", request_id, "sent from another scope"), scope=other)
        await mind.wait_idle()
        assert trail(mind)[-1] == "Wait:WaitingForTools"
        await publish(mind, tool_done("call_hold", request_id, "held"))
        await mind.wait_idle()
        assert trail(mind)[-2:] == ["Processing", "Wait:WaitingForUserInput"]
        assert llm_requests(mind)[1]["messages"][-1]["content"] == "held"


async def test_done_makes_the_agent_exit() -> None:
    config = make_config(
        {"assistant": {"config": assistant_settings()}, "echo_tool": {}}, starting=["echo_tool"]
    )
    async with Wasmind(config, progress=False, llm=[HOLD]) as mind:
        scope = await mind.spawn_agent(["assistant"], name="worker")
        await publish(mind, fake_tools("hold"), scope=scope)
        await say(mind, "Finish", scope=scope)
        request_id = current_request(mind, scope)
        done = Status.done("all finished", success=True)
        await publish(mind, RequestStatusUpdate(scope, done, request_id))
        await mind.wait_idle()
        assert statuses(mind, scope)[-1] == StatusDone(Ok(AgentTaskResponse("all finished", True)))
        own = [
            m.message_type for m in mind.messages if m.from_scope == scope and m.from_actor_id == "assistant"
        ]
        assert own[-2:] == [StatusUpdate.MESSAGE_TYPE, Exit.MESSAGE_TYPE]
        assert mind.agents[scope].state == "exited"
        assert mind.agents[ROOT_SCOPE].state == "running"


async def test_a_queued_status_applies_at_the_next_submit(agent_config) -> None:
    async with Wasmind(agent_config(), progress=False, llm=[HOLD, "After the pause."]) as mind:
        await publish(mind, fake_tools("hold"))
        await say(mind, "Start")
        request_id = current_request(mind)
        await publish(mind, QueueStatusChange(ROOT_SCOPE, Status.wait(WaitingForUserInput())))
        await mind.wait_idle()
        assert trail(mind)[-1] == "Wait:WaitingForTools"  # not at once
        await publish(mind, tool_done("call_hold", request_id, "held"))
        await mind.wait_idle()
        assert len(llm_requests(mind)) == 1
        assert trail(mind)[-2:] == ["Wait:WaitingForTools", "Wait:WaitingForUserInput"]
        history = messages_of(mind, ChatStateUpdated)[-1].chat_state.messages
        assert history[-1].to_json()["role"] == "tool"
        await say(mind, "Continue")
        assert [m["role"] for m in llm_requests(mind)[1]["messages"][-2:]] == ["tool", "user"]


async def test_a_queued_done_ends_the_agent_at_the_next_submit() -> None:
    config = make_config(
        {"assistant": {"config": assistant_settings()}, "echo_tool": {}}, starting=["echo_tool"]
    )
    async with Wasmind(config, progress=False, llm=[HOLD]) as mind:
        scope = await mind.spawn_agent(["assistant"], name="worker")
        await publish(mind, fake_tools("hold"), scope=scope)
        await say(mind, "Start", scope=scope)
        request_id = current_request(mind, scope)
        await publish(mind, QueueStatusChange(scope, Status.failed("stopped by the user")))
        await mind.wait_idle()
        assert mind.agents[scope].state == "running"
        await publish(mind, tool_done("call_hold", request_id, "held"), scope=scope)
        await mind.wait_idle()
        assert statuses(mind, scope)[-1].to_json() == {"Done": {"result": {"Err": "stopped by the user"}}}
        assert mind.agents[scope].state == "exited"
        assert len(llm_requests(mind)) == 1


async def test_the_request_carries_the_model_and_temperature(agent_config) -> None:
    async with Wasmind(agent_config(model_name="m-1", temperature=0.25), progress=False, llm=["ok"]) as mind:
        await say(mind, "Hi")
        (body,) = llm_requests(mind)
        assert (body["model"], body["temperature"]) == ("m-1", 0.25)
        assert "tools" not in body  # no tools: no empty list, which some providers refuse


async def test_a_queued_wait_that_pending_input_satisfies_does_not_stop_the_agent(agent_config) -> None:
    async with Wasmind(agent_config(), progress=False, llm=[HOLD, "Carry on."]) as mind:
        await publish(mind, fake_tools("hold"))
        await say(mind, "Start")
        request_id = current_request(mind)
        await publish(mind, QueueStatusChange(ROOT_SCOPE, Status.wait(WaitingForUserInput())))
        await mind.send_user_message(ROOT_SCOPE, "already here")
        await publish(mind, tool_done("call_hold", request_id, "held"))
        await mind.wait_idle()
        assert len(llm_requests(mind)) == 2
        assert llm_requests(mind)[1]["messages"][-1] == {"role": "user", "content": "already here"}


async def test_other_agents_input_and_non_chat_roles_are_ignored(agent_config) -> None:
    async with Wasmind(agent_config(), progress=False, llm=["Only mine."]) as mind:
        await publish(mind, AddMessage("zzzzzz", UserMessage("not for you")))
        await mind.broadcast(
            AddMessage.MESSAGE_TYPE,
            {"agent": ROOT_SCOPE, "message": {"role": "tool", "tool_call_id": "x", "content": "?"}},
        )
        await mind.wait_idle()
        assert llm_requests(mind) == []
        await say(mind, "Mine")
        assert llm_requests(mind)[0]["messages"] == [{"role": "user", "content": "Mine"}]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"model_name": None}, "'model_name' is required"),
        ({"max_corrective_retries": "3"}, "'max_corrective_retries' must be an integer"),
        ({"system_prompt": {"defualts": {}}}, "unknown key 'system_prompt.defualts'"),
    ],
)
async def test_bad_config_fails_the_spawn_with_the_key(settings, expected) -> None:
    broken = {k: v for k, v in assistant_settings(**settings).items() if v is not None}
    config = make_config({"echo_tool": {}, "assistant": {"config": broken}}, starting=["echo_tool"])
    async with Wasmind(config, progress=False) as mind:
        with pytest.raises(SpawnError, match=expected.replace("(", r"\(")):
            await mind.spawn_agent(["assistant"], name="broken")
        assert [info.name for info in mind.agents.values() if info.alive] == ["root"]
