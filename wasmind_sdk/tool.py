"""The base class of tool actors: announce tools, run the calls addressed to them, report the result.

    from wasmind_sdk import Tool, ToolError

    class Actor(Tool):
        name = "shout"
        description = "Upper-cases a text."
        parameters = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}

        def call(self, args, request):
            if not args["text"]:
                raise ToolError("text is empty")
            return args["text"].upper()

Protocol (SPEC section 6): ``ToolsAvailable`` from the constructor; ``ExecuteToolCall`` from the actor's own
scope whose function name it owns; one ``ToolCallStatusUpdate`` with ``Done`` ``Ok`` or ``Err`` per call.
"""

from __future__ import annotations

from typing import Any, ClassVar

from wasmind_sdk.actor import ActorBase, on
from wasmind_sdk.host import broadcast
from wasmind_sdk.messages import (
    ExecuteToolCall,
    RequestStatusUpdate,
    Status,
    ToolCallResult,
    ToolCallStatus,
    ToolCallStatusUpdate,
    ToolsAvailable,
)
from wasmind_sdk.messages import (
    Tool as ToolDefinition,
)


class ToolError(Exception):
    """Raise from ``call`` to answer the call with an ``Err`` result.

    Pass a message, or a full ``ToolCallResult`` to control what the UI shows (``collapsed``/``expanded``).
    """

    def __init__(self, error: str | ToolCallResult) -> None:
        self.result = error if isinstance(error, ToolCallResult) else None
        super().__init__(error.content if isinstance(error, ToolCallResult) else error)


_FLAG_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def parse_flag(value: Any, name: str, default: bool = False) -> bool:
    """A boolean tool argument as models write it: JSON true/false or 0/1, or the words true/false,
    yes/no, 1/0 in any case; ``None`` (absent) gives ``default``. Anything else raises ``ToolError``."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _FLAG_WORDS:
        return _FLAG_WORDS[value.strip().lower()]
    raise ToolError(f"'{name}' must be true or false (also yes/no, 1/0), got {value!r}")


class Tool(ActorBase):
    """A tool actor. Set ``name``, ``description`` and ``parameters`` (JSON Schema) and implement ``call``.

    An actor offering several tools overrides :meth:`definitions` and :meth:`call_tool` instead.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    parameters: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}

    def __init__(self, scope: str, config: str) -> None:
        super().__init__(scope, config)
        self._owned = {definition.function.name for definition in self.definitions()}
        broadcast(ToolsAvailable(self.definitions()))

    def definitions(self) -> list[ToolDefinition]:
        """The tools this actor offers."""
        return [ToolDefinition.define(self.name, self.description, self.parameters)]

    def call(self, args: Any, request: ExecuteToolCall) -> ToolCallResult | str | ToolCallStatus:
        """Run one call; return the result (a string or a ``ToolCallResult``) or raise ``ToolError``.

        A call that finishes later returns a ``ToolCallStatus`` such as ``ToolCallAwaitingSystem`` and
        answers with :meth:`reply` once it is done."""
        raise ToolError(f"tool '{self.name}' does not implement call()")

    def call_tool(
        self, name: str, args: Any, request: ExecuteToolCall
    ) -> ToolCallResult | str | ToolCallStatus:
        """Dispatch a call by tool name; the default calls :meth:`call`."""
        return self.call(args, request)

    @on(ExecuteToolCall, own_scope=True)
    def _on_execute(self, request: ExecuteToolCall, envelope: Any) -> None:
        function = request.tool_call.function
        if function.name not in self._owned:
            return
        self.reply(request, self._run(function.name, request))

    def _run(self, name: str, request: ExecuteToolCall) -> ToolCallStatus:
        try:
            args = request.tool_call.parsed_arguments()
        except ValueError as err:
            return ToolCallStatus.err(f"invalid arguments for tool '{name}': {err}")
        try:
            result = self.call_tool(name, args, request)
        except ToolError as err:
            return ToolCallStatus.err(err.result or str(err))
        except Exception as err:  # a bug in the tool is reported to the caller, not a trap
            return ToolCallStatus.err(f"tool '{name}' failed: {type(err).__name__}: {err}")
        return result if isinstance(result, ToolCallStatus) else ToolCallStatus.ok(result)

    def reply(self, request: ExecuteToolCall, status: ToolCallStatus) -> None:
        """Send a status for ``request`` (use for ``AwaitingSystem`` or a late ``Done``)."""
        broadcast(ToolCallStatusUpdate(status, request.tool_call.id, request.originating_request_id))


class FinalTool(Tool):
    """A tool an agent calls once, as its last act: ``complete``, a reviewer's verdict, ...

    Implement :meth:`conclude`. A second call is refused with ``answered_error``; after a call that
    succeeds, the agent's assistant is asked for the ``Done`` status (``summary``, ``success``), which
    ends the agent.
    """

    answered_error: ClassVar[str] = "this has already been answered"

    def __init__(self, scope: str, config: str) -> None:
        self._concluded = False
        super().__init__(scope, config)

    def call(self, args: Any, request: ExecuteToolCall) -> ToolCallResult | str:
        if self._concluded:
            raise ToolError(f"{self.name}: {self.answered_error}")
        result, summary, success = self.conclude(args, request)
        self._concluded = True
        done = RequestStatusUpdate(self.scope, Status.done(summary, success), request.originating_request_id)
        broadcast(done)
        return result

    def conclude(self, args: Any, request: ExecuteToolCall) -> tuple[ToolCallResult | str, str, bool]:
        """Do the tool's work; return the call's result and the summary and success of ``Done``, or raise
        ``ToolError`` (the agent then goes on, and may call again)."""
        raise ToolError(f"tool '{self.name}' does not implement conclude()")
