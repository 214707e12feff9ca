"""A test tool, ``explode``, whose call traps the actor (an exception escapes the handler)."""

from __future__ import annotations

from wasmind_sdk import ActorBase, EnvelopeLike, broadcast, on
from wasmind_sdk.messages import ExecuteToolCall, Tool, ToolsAvailable


class Actor(ActorBase):
    def setup(self) -> None:
        broadcast(ToolsAvailable([Tool.define("explode", "Traps.", {"type": "object", "properties": {}})]))

    @on(ExecuteToolCall, own_scope=True)
    def _call(self, msg: ExecuteToolCall, _env: EnvelopeLike) -> None:
        if msg.tool_call.function.name == "explode":
            raise RuntimeError("the explode tool blew up")
