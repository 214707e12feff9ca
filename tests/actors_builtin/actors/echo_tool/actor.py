"""Test tool actor: ``echo {text}`` answers with the text; anything else is an error."""

from typing import Any, ClassVar

from wasmind_sdk import Tool, ToolError
from wasmind_sdk.messages import ExecuteToolCall


class Actor(Tool):
    name = "echo"
    description = "Repeats a text."
    parameters: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"text": {"type": "string"}},
        "required": ["text"],
    }

    def call(self, args: Any, request: ExecuteToolCall) -> str:
        if not isinstance(args, dict) or not isinstance(args.get("text"), str):
            raise ToolError("'text' (a string) is required")
        return args["text"]
