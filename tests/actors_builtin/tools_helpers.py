"""Drive tool actors without an LLM: broadcast ``ExecuteToolCall`` and read back the status updates."""

from __future__ import annotations

import itertools
import json
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wasmind_nb import Wasmind
from wasmind_nb.config import Config
from wasmind_sdk.messages import (
    Err,
    ExecuteToolCall,
    FunctionCall,
    SystemPromptContribution,
    ToolCall,
    ToolCallDone,
    ToolCallResult,
    ToolCallStatus,
    ToolCallStatusUpdate,
    ToolsAvailable,
)

BUILTIN_ACTORS = Path(__file__).resolve().parents[2] / "actors"
_call_ids = itertools.count(1)


def builtin_config(text: str) -> Config:
    """A config whose relative source paths resolve against the repository's ``actors/`` folder."""
    return Config.from_toml(textwrap.dedent(text), base_dir=BUILTIN_ACTORS)


@dataclass(frozen=True)
class Outcome:
    """Every status a tool sent for one call; ``done`` is the final one."""

    statuses: list[ToolCallStatus]

    @property
    def done(self) -> ToolCallDone:
        finals = [s for s in self.statuses if isinstance(s, ToolCallDone)]
        assert len(finals) == 1, f"expected exactly one Done status, got {self.statuses}"
        return finals[0]

    @property
    def result(self) -> ToolCallResult:
        return self.done.result.value if not self.failed else self.done.result.error

    @property
    def failed(self) -> bool:
        return isinstance(self.done.result, Err)

    @property
    def content(self) -> str:
        return self.result.content


def statuses_for(mind: Wasmind, call_id: str) -> list[ToolCallStatus]:
    """The statuses of the tool call ``call_id``, in bus order."""
    updates = [
        ToolCallStatusUpdate.from_json(m.json())
        for m in mind.messages
        if m.message_type == ToolCallStatusUpdate.MESSAGE_TYPE
    ]
    return [u.status for u in updates if u.id == call_id]


async def send_call(mind: Wasmind, scope: str, tool: str, args: Any, *, raw: str | None = None) -> str:
    """Broadcast one ``ExecuteToolCall`` from ``scope``; returns its call id. ``raw``: literal arguments."""
    call_id = f"call_{next(_call_ids)}"
    arguments = raw if raw is not None else json.dumps(args)
    request = ExecuteToolCall(
        ToolCall(call_id, FunctionCall(tool, arguments)), originating_request_id="req_1"
    )
    await mind.broadcast(ExecuteToolCall.MESSAGE_TYPE, request, scope=scope)
    return call_id


async def call(mind: Wasmind, scope: str, tool: str, args: Any = None, *, raw: str | None = None) -> Outcome:
    """Run one tool call to completion and return what the tool answered."""
    call_id = await send_call(mind, scope, tool, args, raw=raw)
    await mind.wait_idle()
    return Outcome(statuses_for(mind, call_id))


def tools_offered(mind: Wasmind, scope: str) -> dict[str, Any]:
    """Tool name -> JSON Schema of its parameters, from the ``ToolsAvailable`` sent in ``scope``."""
    offered: dict[str, Any] = {}
    for message in mind.messages:
        if message.message_type == ToolsAvailable.MESSAGE_TYPE and message.from_scope == scope:
            for tool in ToolsAvailable.from_json(message.json()).tools:
                offered[tool.function.name] = tool.function.parameters
    return offered


def contributions(mind: Wasmind, key: str) -> list[SystemPromptContribution]:
    """Every ``SystemPromptContribution`` with ``key``, in bus order."""
    return [
        SystemPromptContribution.from_json(m.json())
        for m in mind.messages
        if m.message_type == SystemPromptContribution.MESSAGE_TYPE and m.json()["key"] == key
    ]
