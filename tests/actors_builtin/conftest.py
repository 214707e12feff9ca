"""Fixtures and helpers for the built-in actors' tests: configs, decoded bus views, LLM requests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
import tomli_w

from wasmind_nb import Wasmind
from wasmind_nb.config import Config
from wasmind_sdk.messages import (
    Message,
    Status,
    StatusDone,
    StatusProcessing,
    StatusUpdate,
    StatusWait,
    Tool,
    ToolCallStatus,
    ToolCallStatusUpdate,
    ToolsAvailable,
    decode,
)

ROOT = Path(__file__).resolve().parents[2]
TEST_ACTORS = Path(__file__).parent / "actors"
ROOT_SCOPE = "000000"
M = TypeVar("M", bound=Message)


def assistant_settings(**overrides: Any) -> dict[str, Any]:
    """An assistant config for tests: a model name, one retry with a 1 ms backoff, no host context, and no
    token limit (the embedded model would cut a scripted reply longer than the default max_tokens)."""
    return {
        "model_name": "test-model",
        "max_attempts": 2,
        "base_delay_ms": 1,
        "system_context": False,
        "max_tokens": 0,
        **overrides,
    }


def make_config(actors: dict[str, dict[str, Any]], starting: list[str] | None = None) -> Config:
    """A Config from ``{logical name: actor entry}``; each name is a built-in actor or a test actor.

    Every name is a folder name: the build cache is keyed by logical name too, so an alias would mean
    one more componentize-py build on a cold cache.
    """
    entries = {}
    for name, entry in actors.items():
        folder = ROOT / "actors" / name
        if not folder.is_dir():
            folder = TEST_ACTORS / name
        entries[name] = {"source": {"path": str(folder)}, **entry}
    data = {"starting_actors": starting if starting is not None else list(actors), "actors": entries}
    return Config.from_toml(tomli_w.dumps(data), base_dir=ROOT)


@pytest.fixture
def agent_config() -> Callable[..., Config]:
    """``agent_config(**assistant_config, tools=[...], capabilities={...})``: the root agent = assistant
    (granted ``capabilities`` besides its manifest's) plus the given actors."""

    def make(
        *, tools: tuple[str, ...] = (), capabilities: dict[str, Any] | None = None, **assistant: Any
    ) -> Config:
        actors: dict[str, dict[str, Any]] = {"assistant": {"config": assistant_settings(**assistant)}}
        if capabilities:
            actors["assistant"]["capabilities"] = capabilities
        for tool in tools:
            actors[tool] = {}
        return make_config(actors)

    return make


def messages_of(mind: Wasmind, cls: type[M], scope: str | None = None) -> list[M]:
    """The messages of one common type (decoded), in bus order; ``scope``: only those sent from it."""
    return [
        decode(cls, m.payload)
        for m in mind.messages
        if m.message_type == cls.MESSAGE_TYPE and (scope is None or m.from_scope == scope)
    ]


def label(status: Status) -> str:
    """``Processing``, ``Done`` or ``Wait:<reason>``: a status without its details."""
    if isinstance(status, StatusWait):
        return f"Wait:{status.reason.TAG}"
    if isinstance(status, StatusProcessing):
        return "Processing"
    assert isinstance(status, StatusDone)
    return "Done"


def statuses(mind: Wasmind, scope: str = ROOT_SCOPE) -> list[Status]:
    return [update.status for update in messages_of(mind, StatusUpdate, scope)]


def trail(mind: Wasmind, scope: str = ROOT_SCOPE) -> list[str]:
    """The labels of every StatusUpdate the agent of ``scope`` sent, in order."""
    return [label(status) for status in statuses(mind, scope)]


def llm_requests(mind: Wasmind) -> list[dict[str, Any]]:
    """The JSON bodies the embedded LLM received, in order."""
    assert mind.llm is not None and mind.llm.server is not None
    return [request.json for request in mind.llm.server.requests]


def roles(body: dict[str, Any]) -> list[str]:
    return [message["role"] for message in body["messages"]]


def fake_tools(*names: str) -> ToolsAvailable:
    """A ``ToolsAvailable`` for tools no actor implements: the test answers their calls itself."""
    return ToolsAvailable(
        [Tool.define(name, f"The {name} tool.", {"type": "object", "properties": {}}) for name in names]
    )


def tool_done(call_id: str, request_id: str, content: str, *, ok: bool = True) -> ToolCallStatusUpdate:
    """The ``ToolCallStatusUpdate`` a tool sends when call ``call_id`` is finished."""
    status = ToolCallStatus.ok(content) if ok else ToolCallStatus.err(content)
    return ToolCallStatusUpdate(status, call_id, request_id)


async def publish(mind: Wasmind, message: Message, scope: str = ROOT_SCOPE) -> None:
    """Broadcast a common message from the host, as if sent from ``scope``."""
    await mind.broadcast(message.MESSAGE_TYPE, message, scope=scope)


async def say(mind: Wasmind, text: str, scope: str = ROOT_SCOPE) -> None:
    """Send a user message to the agent of ``scope`` and wait until everything has settled."""
    await mind.send_user_message(scope, text)
    await mind.wait_idle()


def current_request(mind: Wasmind, scope: str = ROOT_SCOPE) -> str:
    """The request id of the agent's latest ``Processing`` status."""
    return [s.request_id for s in statuses(mind, scope) if isinstance(s, StatusProcessing)][-1]
