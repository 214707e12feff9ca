"""Helpers for the delegation network's tests: the network config with test markers, bus views."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import tomli_w

from wasmind_nb import Wasmind
from wasmind_nb.config import Config
from wasmind_sdk.messages import (
    AddMessage,
    ExecuteToolCall,
    Ok,
    SystemMessage,
    ToolCallDone,
    ToolCallStatusUpdate,
    UserMessage,
    decode,
)

ROOT = Path(__file__).resolve().parents[2]
TEST_ACTORS = Path(__file__).parent / "actors"
ROOT_SCOPE = "000000"
MAIN, SUB = "[role:main]", "[role:sub]"
ASSISTANTS = {
    "main_manager_assistant": f"You are the main manager {MAIN}.",
    "sub_manager_assistant": f"You are a sub-manager {SUB}.",
    "worker_assistant": "You are a worker.",
}
AGENT_SPAWNED = "delegation_network.delegation_network_coordinator.AgentSpawned"
NETWORK_SPAWN = (
    "worker_assistant", "execute_bash", "file_interaction", "complete", "send_manager_message",
    "check_health", "request_plan_review", "sub_manager_assistant", "spawn_agent", "send_message",
    "planner", "wait",
)  # fmt: skip
"""What the coordinator's manifest grants spawn_agent (capabilities.spawn)."""


def spawn_grant(*extra: str) -> dict[str, Any]:
    """An override for spawn_agent's ``capabilities``: the network's actors plus ``extra`` ones."""
    return {"capabilities": {"spawn": [*NETWORK_SPAWN, *extra]}}


def network_config(
    actors: dict[str, dict[str, Any]] | None = None, overrides: dict[str, dict[str, Any]] | None = None
) -> Config:
    """The built-in delegation network with test markers in the managers' prompts and fast retries.

    ``actors``: extra ``[actors]`` entries (test actors by folder name); ``overrides``: extra
    ``[actor_overrides]`` entries, merged over the test settings.
    """
    data: dict[str, Any] = {
        "starting_actors": ["delegation_network_coordinator"],
        "actors": {
            "delegation_network_coordinator": {"source": {"builtin": "delegation_network_coordinator"}}
        },
        "actor_overrides": {},
    }
    for name, entry in (actors or {}).items():
        data["actors"][name] = {"source": {"path": str(TEST_ACTORS / name)}, **entry}
    for name, identity in ASSISTANTS.items():
        data["actor_overrides"][name] = {
            "config": {
                "model_name": "test-model",
                "max_attempts": 2,
                "base_delay_ms": 1,
                "system_context": False,
                "system_prompt": {"defaults": {"identity": identity}},
            }
        }
    for name, entry in (overrides or {}).items():
        data["actor_overrides"].setdefault(name, {}).update(entry)
    return Config.from_toml(tomli_w.dumps(data), base_dir=ROOT)


def role(name: str) -> str:
    """The router key of a child agent: its role, as spawn_agent writes it into the child's prompt."""
    return f"marker:Your role: {name}\n"


def notes_to(mind: Wasmind, scope: str) -> list[tuple[str, str, str]]:
    """Every AddMessage to ``scope``: (sender scope, role, text), in bus order."""
    out = []
    for envelope in mind.messages:
        if envelope.message_type == AddMessage.MESSAGE_TYPE:
            msg = decode(AddMessage, envelope.payload)
            if msg.agent == scope and isinstance(msg.message, SystemMessage | UserMessage):
                out.append((envelope.from_scope, msg.message.ROLE, msg.message.content))
    return out


def index_of(mind: Wasmind, predicate: Any) -> int:
    """The bus position of the first envelope that satisfies ``predicate(envelope)``."""
    for i, envelope in enumerate(mind.messages):
        if predicate(envelope):
            return i
    raise AssertionError("no such message")


def by_turn(*steps: Any) -> Any:
    """A script function: the reply is chosen by how many assistant turns the request already holds.

    A step is a reply or a function of the request's messages returning one (to use ids seen so far).
    """

    def answer(request: dict[str, Any]) -> Any:
        messages = request["messages"]
        turn = sum(m["role"] == "assistant" for m in messages)
        if turn >= len(steps):
            raise AssertionError(f"no scripted step {turn}")
        step = steps[turn]
        return step(messages) if callable(step) else step

    return answer


def spawned_id(messages: list[dict[str, Any]], agent_role: str) -> str:
    """The id spawn_agent reported for ``agent_role`` in the tool results so far."""
    for message in messages:
        if message["role"] == "tool":
            match = re.search(rf"- {re.escape(agent_role)} \(\w+\): id (\w{{6}})", message["content"] or "")
            if match:
                return match.group(1)
    raise AssertionError(f"no agent '{agent_role}' was spawned")


def tool_results(mind: Wasmind, scope: str) -> list[tuple[str, str, str]]:
    """(tool name, Ok/Err, content) of every finished tool call of the agent of ``scope``, in call order."""
    calls: list[tuple[str, str]] = []
    done: dict[str, tuple[str, str]] = {}
    for envelope in mind.messages:
        if envelope.from_scope != scope:
            continue
        if envelope.message_type == ExecuteToolCall.MESSAGE_TYPE:
            call = decode(ExecuteToolCall, envelope.payload).tool_call
            calls.append((call.id, call.function.name))
        elif envelope.message_type == ToolCallStatusUpdate.MESSAGE_TYPE:
            update = decode(ToolCallStatusUpdate, envelope.payload)
            if isinstance(update.status, ToolCallDone):
                result = update.status.result
                value = result.value if isinstance(result, Ok) else result.error
                done[update.id] = (type(result).__name__, value.content)
    return [(name, *done[call_id]) for call_id, name in calls if call_id in done]
