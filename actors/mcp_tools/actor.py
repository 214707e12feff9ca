"""The tools of an MCP server (``source = { mcp = ... }``), offered on the bus like any tool actor's.

The host runs the server (a stdio command in the command sandbox, or a streamable-HTTP URL under the
actor's ``http_hosts``) with the official MCP SDK and answers this actor at the gateway origin below,
for this actor only. At start the actor lists the server's tools (``tools/list``) and announces them with
``ToolsAvailable``; each ``ExecuteToolCall`` of one of them becomes ``tools/call``: text content is
joined, other content is summarised, ``isError`` is an ``Err`` result. A server that cannot start or
lists no tools is a fault of this actor once its agent is ready; the agent's other actors keep running.
"""

from __future__ import annotations

import json
from typing import Any

from wasmind_sdk import HostError, Tool, ToolError, http_request, on
from wasmind_sdk.messages import AllActorsReady, ExecuteToolCall, ToolCallResult
from wasmind_sdk.messages import Tool as ToolDefinition

#: Where the host's MCP gateway answers this actor (``wasmind_nb/mcp/gateway.py``); never the network.
GATEWAY = "http://mcp.wasmind.invalid"
EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


def _gateway(path: str, body: dict[str, Any]) -> Any:
    """POST ``body`` to the gateway; its answer, or ``ToolError`` with the host's reason."""
    try:
        response = http_request("POST", f"{GATEWAY}/{path}", json_body=body)
    except HostError as err:
        raise ToolError(f"the MCP gateway is unreachable: {err}") from None
    try:
        answer = response.json()
    except ValueError:
        raise ToolError(f"the MCP gateway answered {response.status} with a body that is not JSON") from None
    if response.status != 200:
        raise ToolError(str(answer.get("error") if isinstance(answer, dict) else answer))
    return answer


def summarise(item: Any) -> str:
    """One content item of a tool result as text: text as it is, anything else in a short line."""
    if not isinstance(item, dict):
        return f"[content of an unknown form: {str(item)[:80]}]"
    kind = item.get("type")
    if kind == "text":
        return str(item.get("text", ""))
    if kind in ("image", "audio"):
        size = len(item.get("data") or "") * 3 // 4
        return f"[{kind}: {item.get('mimeType', 'unknown type')}, about {size} bytes, not shown]"
    if kind == "resource":
        resource = item.get("resource") or {}
        if "text" in resource:
            return f"[resource {resource.get('uri', '')}]\n{resource['text']}"
        return f"[resource {resource.get('uri', '')}: {resource.get('mimeType', 'binary')}, not shown]"
    if kind == "resource_link":
        return f"[resource link: {item.get('name', '')} {item.get('uri', '')}]".replace("  ", " ")
    return f"[{kind or 'unknown'} content, not shown]"


def result_text(result: dict[str, Any]) -> str:
    """The content of a ``tools/call`` result for the model; structured content when there is no other."""
    parts = [summarise(item) for item in result.get("content") or []]
    if not parts and result.get("structuredContent") is not None:
        parts = [json.dumps(result["structuredContent"], ensure_ascii=False)]
    return "\n".join(parts) if parts else "(the tool returned no content)"


class Actor(Tool):
    """Offers the tools of its MCP server (listed once, at start)."""

    def setup(self) -> None:
        self._tools: list[ToolDefinition] = []
        self._problem: str | None = None
        try:
            listing = _gateway("tools/list", {})
        except ToolError as err:
            self._problem = str(err)
            return
        self.server = str(listing.get("server", "the MCP server"))
        for tool in listing.get("tools", []):
            schema = tool.get("inputSchema") or EMPTY_SCHEMA
            self._tools.append(ToolDefinition.define(tool["name"], tool.get("description") or "", schema))
        if not self._tools:
            self._problem = f"MCP server {self.server} lists no tools"

    def definitions(self) -> list[ToolDefinition]:
        return self._tools

    @on(AllActorsReady, own_scope=True)
    def _report_problem(self, message: AllActorsReady, envelope: Any) -> None:
        """A server that did not start is this actor's fault, raised once its agent runs (not at spawn, so
        the agent's other actors keep working)."""
        if self._problem is not None:
            raise RuntimeError(self._problem)

    def call_tool(self, name: str, args: Any, request: ExecuteToolCall) -> ToolCallResult | str:
        if not isinstance(args, dict):
            raise ToolError(f"the arguments of '{name}' must be a JSON object, got {type(args).__name__}")
        result = _gateway("tools/call", {"name": name, "arguments": args})
        text = result_text(result)
        if result.get("isError"):
            raise ToolError(ToolCallResult.text(text, f"{name} failed: {text.splitlines()[0][:80]}"))
        return text
