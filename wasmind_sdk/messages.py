"""The common ``wasmind.common.*`` messages, wire-compatible with upstream's serde JSON.

Stdlib only: actors import this inside WebAssembly, and the host re-exports it (one wire format).
Every type has ``to_json()`` (a JSON value) and ``from_json(value)``; messages also have
``MESSAGE_TYPE``. ``encode(msg)`` / ``decode(cls, payload)`` convert to and from payload bytes.

Encoding (as upstream): unit structs are ``null``; enums are externally tagged (``{"Variant": {...}}``,
unit variants as bare strings, newtype variants ``{"Variant": value}``); ``Result`` is ``{"Ok": v}`` /
``{"Err": e}`` (here the classes ``Ok`` and ``Err``); an absent ``Option`` is ``null`` in these
messages but omitted in the LLM types (see ``wasmind_sdk.llm_types``). Decoding names the failing
field (``ValueError("ExecuteToolCall.tool_call.function.name: expected a string, got 3")``), ignores
unknown fields, and reads a missing optional field as ``None``.

Each Rust enum is a base class here with one dataclass per variant (``Status`` ->
``StatusProcessing`` / ``StatusWait`` / ``StatusDone``); the base's ``from_json`` picks the variant.

Differences from upstream, and why:
- Python names: ``ExecuteToolCall`` is upstream's struct ``ExecuteTool`` (named here after its message
  type); ``FunctionCall`` / ``FunctionDefinition`` are ``Function`` / ``ToolFunctionDefinition``.
- ``ToolMessage.name`` may be ``None`` (omitted), as in the OpenAI format; upstream requires it.
- ``section`` is a plain string. As upstream, decoding lowercases the known section names (and reads
  ``system-context`` as ``system_context``); other names are kept as written.
- Integers upstream declares ``i32`` are checked to fit in 32 bits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, Protocol, TypeVar

from .llm_types import (
    AssistantMessage,
    ChatMessage,
    FunctionCall,
    FunctionDefinition,
    Reader,
    SystemMessage,
    ThinkingBlock,
    Tool,
    ToolCall,
    ToolMessage,
    Usage,
    UserMessage,
    _any,
    _bool,
    _expected,
    _Fields,
    _i32,
    _list_of,
    _map_of,
    _null,
    _show,
    _str,
    _str_list,
)

__all__ = [
    "MESSAGE_CLASSES",
    "SECTIONS",
    "ActorFailed",
    "ActorReady",
    "AddMessage",
    "AgentSpawned",
    "AgentTaskResponse",
    "AllActorsReady",
    "AssistantMessage",
    "AwaitingSystemDetails",
    "BaseUrlUpdate",
    "ChatMessage",
    "ChatState",
    "ChatStateUpdated",
    "CompactedConversation",
    "CompactingConversation",
    "Err",
    "ExecuteToolCall",
    "Exit",
    "FunctionCall",
    "FunctionDefinition",
    "Message",
    "NotificationLevel",
    "Ok",
    "PendingToolCall",
    "QueueStatusChange",
    "Request",
    "RequestStatusUpdate",
    "Response",
    "Status",
    "StatusDone",
    "StatusProcessing",
    "StatusUpdate",
    "StatusWait",
    "SystemMessage",
    "SystemPromptContent",
    "SystemPromptContribution",
    "SystemPromptData",
    "SystemPromptText",
    "ThinkingBlock",
    "Tool",
    "ToolCall",
    "ToolCallAwaitingSystem",
    "ToolCallDone",
    "ToolCallReceived",
    "ToolCallResult",
    "ToolCallStatus",
    "ToolCallStatusUpdate",
    "ToolMessage",
    "ToolsAvailable",
    "UIDisplayInfo",
    "Usage",
    "UserMessage",
    "UserNotification",
    "WaitReason",
    "WaitingForAgentCoordination",
    "WaitingForAllActorsReady",
    "WaitingForLiteLLM",
    "WaitingForSystemInput",
    "WaitingForTools",
    "WaitingForUserInput",
    "decode",
    "encode",
]

T = TypeVar("T")
E = TypeVar("E")


class _HasToJson(Protocol):
    def to_json(self) -> Any: ...


def _json_of(value: Any) -> Any:
    return value.to_json() if hasattr(value, "to_json") else value


# --- Result ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Ok(Generic[T]):
    """The success case of a Rust ``Result``: ``{"Ok": value}``."""

    value: T

    def to_json(self) -> dict[str, Any]:
        return {"Ok": _json_of(self.value)}


@dataclass(slots=True)
class Err(Generic[E]):
    """The failure case of a Rust ``Result``: ``{"Err": error}``."""

    error: E

    def to_json(self) -> dict[str, Any]:
        return {"Err": _json_of(self.error)}


def _result_of(read_ok: Reader[T], read_err: Reader[E]) -> Reader[Ok[T] | Err[E]]:
    def read_result(value: Any, path: str) -> Ok[T] | Err[E]:
        if isinstance(value, dict) and len(value) == 1:
            if "Ok" in value:
                return Ok(read_ok(value["Ok"], f"{path}.Ok"))
            if "Err" in value:
                return Err(read_err(value["Err"], f"{path}.Err"))
        raise _expected(path, 'a result ({"Ok": ...} or {"Err": ...})', value)

    return read_result


# --- externally tagged enums -------------------------------------------------------------------------


class _Variant:
    """One variant of an externally tagged enum; ``TAG`` is its serde name."""

    __slots__ = ()
    TAG: ClassVar[str]
    UNIT: ClassVar[bool] = False

    def _body(self) -> Any:
        """The JSON inside ``{TAG: ...}`` (unused for unit variants)."""
        return None

    @classmethod
    def _read(cls, body: Any, path: str) -> Any:
        raise NotImplementedError

    def to_json(self) -> Any:
        return self.TAG if self.UNIT else {self.TAG: self._body()}


def _read_variant(name: str, variants: dict[str, type[Any]], value: Any, path: str) -> Any:
    if isinstance(value, str):
        tag, body, bare = value, None, True
    elif isinstance(value, dict) and len(value) == 1:
        ((tag, body),) = value.items()
        bare = False
    else:
        raise _expected(path, f"a {name} (a variant name, or an object with one variant key)", value)
    sub = variants.get(tag)
    if sub is None:
        raise ValueError(
            f"{path}: unknown {name} variant {_show(tag)}; expected one of {', '.join(variants)}"
        )
    if sub.UNIT:
        _null(body, f"{path}.{tag}")
        return sub()
    if bare:
        raise ValueError(f"{path}.{tag}: expected {{{_show(tag)}: ...}}, got the bare name")
    return sub._read(body, f"{path}.{tag}")


# --- messages ----------------------------------------------------------------------------------------


class Message:
    """Base of the common messages: a ``MESSAGE_TYPE`` string and a JSON payload."""

    __slots__ = ()
    MESSAGE_TYPE: ClassVar[str]

    def to_json(self) -> Any:
        raise NotImplementedError

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> Message:
        raise NotImplementedError


class _UnitMessage(Message):
    """A message without fields: its payload is ``null``."""

    __slots__ = ()

    def to_json(self) -> None:
        return None

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> Any:
        _null(value, path or cls.__name__)
        return cls()


@dataclass(slots=True)
class ActorReady(_UnitMessage):
    """Sent by the host for each actor once its constructor has returned."""

    MESSAGE_TYPE: ClassVar[str] = "wasmind.common.actors.ActorReady"


@dataclass(slots=True)
class Exit(_UnitMessage):
    """Stops every actor of the sender's scope (the whole system from scope ``000000``)."""

    MESSAGE_TYPE: ClassVar[str] = "wasmind.common.actors.Exit"


@dataclass(slots=True)
class AllActorsReady(_UnitMessage):
    """Sent by the host, from scope S, once every actor of S is ready."""

    MESSAGE_TYPE: ClassVar[str] = "wasmind.common.actors.AllActorsReady"


@dataclass(slots=True)
class AgentSpawned(Message):
    """A new agent (scope ``agent_id``) has started with these logical actor names."""

    agent_id: str
    name: str
    parent_agent: str | None = None
    actors: list[str] = field(default_factory=list)
    MESSAGE_TYPE: ClassVar[str] = "wasmind.common.actors.AgentSpawned"

    def to_json(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "name": self.name,
            "parent_agent": self.parent_agent,
            "actors": list(self.actors),
        }

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> AgentSpawned:
        f = _Fields(value, path or cls.__name__)
        return cls(
            agent_id=f.req("agent_id", _str),
            name=f.req("name", _str),
            parent_agent=f.opt("parent_agent", _str),
            actors=f.req("actors", _str_list),
        )


@dataclass(slots=True)
class ActorFailed(Message):
    """Sent by the host, from the failed actor's scope, when an actor trapped and was stopped (ours)."""

    scope: str
    actor: str
    error: str
    MESSAGE_TYPE: ClassVar[str] = "wasmind.common.actors.ActorFailed"

    def to_json(self) -> dict[str, Any]:
        return {"scope": self.scope, "actor": self.actor, "error": self.error}

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> ActorFailed:
        f = _Fields(value, path or cls.__name__)
        return cls(scope=f.req("scope", _str), actor=f.req("actor", _str), error=f.req("error", _str))


# --- tool results and tool-call status ---------------------------------------------------------------


@dataclass(slots=True)
class UIDisplayInfo:
    """How a UI shows a tool call: a one-line ``collapsed`` form and an optional ``expanded`` one."""

    collapsed: str
    expanded: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"collapsed": self.collapsed, "expanded": self.expanded}

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> UIDisplayInfo:
        f = _Fields(value, path or cls.__name__)
        return cls(collapsed=f.req("collapsed", _str), expanded=f.opt("expanded", _str))


@dataclass(slots=True)
class ToolCallResult:
    """What a tool returns: ``content`` for the model, ``ui_display_info`` for people."""

    content: str
    ui_display_info: UIDisplayInfo

    @classmethod
    def text(cls, content: str, collapsed: str | None = None) -> ToolCallResult:
        """A result whose UI summary is ``collapsed`` (default: the first line, at most 100 characters)."""
        if collapsed is None:
            first = content.split("\n", 1)[0]
            collapsed = first if len(first) <= 100 else first[:99] + "…"
        expanded = None if content == collapsed else content
        return cls(content, UIDisplayInfo(collapsed, expanded))

    def to_json(self) -> dict[str, Any]:
        return {"content": self.content, "ui_display_info": self.ui_display_info.to_json()}

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> ToolCallResult:
        f = _Fields(value, path or cls.__name__)
        return cls(
            content=f.req("content", _str), ui_display_info=f.req("ui_display_info", UIDisplayInfo.from_json)
        )


_tool_result = _result_of(ToolCallResult.from_json, ToolCallResult.from_json)


@dataclass(slots=True)
class AwaitingSystemDetails:
    """Why a tool call waits on the system (``required_scope``: the scope it waits for, if any)."""

    ui_display_info: UIDisplayInfo
    required_scope: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"required_scope": self.required_scope, "ui_display_info": self.ui_display_info.to_json()}

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> AwaitingSystemDetails:
        f = _Fields(value, path or cls.__name__)
        return cls(
            required_scope=f.opt("required_scope", _str),
            ui_display_info=f.req("ui_display_info", UIDisplayInfo.from_json),
        )


class ToolCallStatus(_Variant):
    """The state of one tool call: ToolCallReceived | ToolCallAwaitingSystem | ToolCallDone."""

    __slots__ = ()

    @staticmethod
    def received(collapsed: str, expanded: str | None = None) -> ToolCallReceived:
        return ToolCallReceived(UIDisplayInfo(collapsed, expanded))

    @staticmethod
    def ok(result: ToolCallResult | str) -> ToolCallDone:
        """Done with success; a string becomes ``ToolCallResult.text(result)``."""
        return ToolCallDone(Ok(ToolCallResult.text(result) if isinstance(result, str) else result))

    @staticmethod
    def err(result: ToolCallResult | str) -> ToolCallDone:
        """Done with failure; a string becomes ``ToolCallResult.text(result)``."""
        return ToolCallDone(Err(ToolCallResult.text(result) if isinstance(result, str) else result))

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> ToolCallStatus:
        return _read_variant("ToolCallStatus", _TOOL_CALL_STATUSES, value, path or cls.__name__)


@dataclass(slots=True)
class ToolCallReceived(ToolCallStatus):
    """``{"Received": {"display_info": ...}}``: the tool has the call."""

    display_info: UIDisplayInfo
    TAG: ClassVar[str] = "Received"

    def _body(self) -> dict[str, Any]:
        return {"display_info": self.display_info.to_json()}

    @classmethod
    def _read(cls, body: Any, path: str) -> ToolCallReceived:
        return cls(_Fields(body, path).req("display_info", UIDisplayInfo.from_json))


@dataclass(slots=True)
class ToolCallAwaitingSystem(ToolCallStatus):
    """``{"AwaitingSystem": {"details": ...}}``: the tool waits on another part of the system."""

    details: AwaitingSystemDetails
    TAG: ClassVar[str] = "AwaitingSystem"

    def _body(self) -> dict[str, Any]:
        return {"details": self.details.to_json()}

    @classmethod
    def _read(cls, body: Any, path: str) -> ToolCallAwaitingSystem:
        return cls(_Fields(body, path).req("details", AwaitingSystemDetails.from_json))


@dataclass(slots=True)
class ToolCallDone(ToolCallStatus):
    """``{"Done": {"result": {"Ok": ToolCallResult} | {"Err": ToolCallResult}}}``."""

    result: Ok[ToolCallResult] | Err[ToolCallResult]
    TAG: ClassVar[str] = "Done"

    def _body(self) -> dict[str, Any]:
        return {"result": self.result.to_json()}

    @classmethod
    def _read(cls, body: Any, path: str) -> ToolCallDone:
        return cls(_Fields(body, path).req("result", _tool_result))


_TOOL_CALL_STATUSES: dict[str, type[ToolCallStatus]] = {
    c.TAG: c for c in (ToolCallReceived, ToolCallAwaitingSystem, ToolCallDone)
}


# --- assistant status --------------------------------------------------------------------------------


@dataclass(slots=True)
class PendingToolCall:
    """A tool call the assistant waits on, with its result once it has arrived."""

    tool_call: ToolCall
    result: Ok[ToolCallResult] | Err[ToolCallResult] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"tool_call": self.tool_call.to_json(), "result": _json_of(self.result)}

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> PendingToolCall:
        f = _Fields(value, path or cls.__name__)
        return cls(tool_call=f.req("tool_call", ToolCall.from_json), result=f.opt("result", _tool_result))


class WaitReason(_Variant):
    """Why an assistant waits: one of the ``WaitingFor*`` classes or ``CompactingConversation``."""

    __slots__ = ()

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> WaitReason:
        return _read_variant("WaitReason", _WAIT_REASONS, value, path or cls.__name__)


class _UnitWaitReason(WaitReason):
    __slots__ = ()
    UNIT: ClassVar[bool] = True


@dataclass(slots=True)
class WaitingForAllActorsReady(_UnitWaitReason):
    """The agent's actors are still starting."""

    TAG: ClassVar[str] = "WaitingForAllActorsReady"


@dataclass(slots=True)
class WaitingForUserInput(_UnitWaitReason):
    """Idle until a user message arrives."""

    TAG: ClassVar[str] = "WaitingForUserInput"


@dataclass(slots=True)
class WaitingForLiteLLM(_UnitWaitReason):
    """Waiting for the LLM base URL (``BaseUrlUpdate``)."""

    TAG: ClassVar[str] = "WaitingForLiteLLM"


@dataclass(slots=True)
class CompactingConversation(_UnitWaitReason):
    """The history is being summarised."""

    TAG: ClassVar[str] = "CompactingConversation"


@dataclass(slots=True)
class WaitingForSystemInput(WaitReason):
    """Waiting for a system message (from ``required_scope`` if set)."""

    required_scope: str | None = None
    interruptible_by_user: bool = False
    TAG: ClassVar[str] = "WaitingForSystemInput"

    def _body(self) -> dict[str, Any]:
        return {"required_scope": self.required_scope, "interruptible_by_user": self.interruptible_by_user}

    @classmethod
    def _read(cls, body: Any, path: str) -> WaitingForSystemInput:
        f = _Fields(body, path)
        return cls(
            required_scope=f.opt("required_scope", _str),
            interruptible_by_user=f.req("interruptible_by_user", _bool),
        )


@dataclass(slots=True)
class WaitingForAgentCoordination(WaitReason):
    """A coordination tool (send_message, wait, ...) holds the assistant until another agent answers."""

    originating_request_id: str
    coordinating_tool_name: str
    target_agent_scope: str | None = None
    user_can_interrupt: bool = False
    TAG: ClassVar[str] = "WaitingForAgentCoordination"

    def _body(self) -> dict[str, Any]:
        return {
            "originating_request_id": self.originating_request_id,
            "coordinating_tool_name": self.coordinating_tool_name,
            "target_agent_scope": self.target_agent_scope,
            "user_can_interrupt": self.user_can_interrupt,
        }

    @classmethod
    def _read(cls, body: Any, path: str) -> WaitingForAgentCoordination:
        f = _Fields(body, path)
        return cls(
            originating_request_id=f.req("originating_request_id", _str),
            coordinating_tool_name=f.req("coordinating_tool_name", _str),
            target_agent_scope=f.opt("target_agent_scope", _str),
            user_can_interrupt=f.req("user_can_interrupt", _bool),
        )


@dataclass(slots=True)
class WaitingForTools(WaitReason):
    """Waiting for the tool calls of request ``originating_request_id``, keyed by tool-call id."""

    originating_request_id: str
    tool_calls: dict[str, PendingToolCall] = field(default_factory=dict)
    TAG: ClassVar[str] = "WaitingForTools"

    def _body(self) -> dict[str, Any]:
        calls = {key: pending.to_json() for key, pending in self.tool_calls.items()}
        return {"originating_request_id": self.originating_request_id, "tool_calls": calls}

    @classmethod
    def _read(cls, body: Any, path: str) -> WaitingForTools:
        f = _Fields(body, path)
        return cls(
            originating_request_id=f.req("originating_request_id", _str),
            tool_calls=f.req("tool_calls", _map_of(PendingToolCall.from_json)),
        )


_WAIT_REASONS: dict[str, type[WaitReason]] = {
    c.TAG: c
    for c in (
        WaitingForAllActorsReady,
        WaitingForUserInput,
        WaitingForSystemInput,
        WaitingForAgentCoordination,
        WaitingForTools,
        WaitingForLiteLLM,
        CompactingConversation,
    )
}


@dataclass(slots=True)
class AgentTaskResponse:
    """How an agent finished its task."""

    summary: str
    success: bool

    def to_json(self) -> dict[str, Any]:
        return {"summary": self.summary, "success": self.success}

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> AgentTaskResponse:
        f = _Fields(value, path or cls.__name__)
        return cls(summary=f.req("summary", _str), success=f.req("success", _bool))


class Status(_Variant):
    """An assistant's state: StatusProcessing | StatusWait | StatusDone."""

    __slots__ = ()

    @staticmethod
    def processing(request_id: str) -> StatusProcessing:
        return StatusProcessing(request_id)

    @staticmethod
    def wait(reason: WaitReason) -> StatusWait:
        return StatusWait(reason)

    @staticmethod
    def done(summary: str, success: bool = True) -> StatusDone:
        """The task ended (``{"Done": {"result": {"Ok": {summary, success}}}}``)."""
        return StatusDone(Ok(AgentTaskResponse(summary, success)))

    @staticmethod
    def failed(error: str) -> StatusDone:
        """The task could not run to an end (``{"Done": {"result": {"Err": error}}}``)."""
        return StatusDone(Err(error))

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> Status:
        return _read_variant("Status", _STATUSES, value, path or cls.__name__)


@dataclass(slots=True)
class StatusProcessing(Status):
    """Calling the LLM for request ``request_id``."""

    request_id: str
    TAG: ClassVar[str] = "Processing"

    def _body(self) -> dict[str, Any]:
        return {"request_id": self.request_id}

    @classmethod
    def _read(cls, body: Any, path: str) -> StatusProcessing:
        return cls(_Fields(body, path).req("request_id", _str))


@dataclass(slots=True)
class StatusWait(Status):
    """Waiting, for ``reason``."""

    reason: WaitReason
    TAG: ClassVar[str] = "Wait"

    def _body(self) -> dict[str, Any]:
        return {"reason": self.reason.to_json()}

    @classmethod
    def _read(cls, body: Any, path: str) -> StatusWait:
        return cls(_Fields(body, path).req("reason", WaitReason.from_json))


@dataclass(slots=True)
class StatusDone(Status):
    """Finished: ``Ok(AgentTaskResponse)`` or ``Err(message)``."""

    result: Ok[AgentTaskResponse] | Err[str]
    TAG: ClassVar[str] = "Done"

    def _body(self) -> dict[str, Any]:
        return {"result": self.result.to_json()}

    @classmethod
    def _read(cls, body: Any, path: str) -> StatusDone:
        return cls(_Fields(body, path).req("result", _result_of(AgentTaskResponse.from_json, _str)))


_STATUSES: dict[str, type[Status]] = {c.TAG: c for c in (StatusProcessing, StatusWait, StatusDone)}


# --- assistant messages ------------------------------------------------------------------------------


@dataclass(slots=True)
class AddMessage(Message):
    """User or system input for the assistant of scope ``agent``."""

    agent: str
    message: ChatMessage
    MESSAGE_TYPE: ClassVar[str] = "wasmind.common.assistant.AddMessage"

    def to_json(self) -> dict[str, Any]:
        return {"agent": self.agent, "message": self.message.to_json()}

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> AddMessage:
        f = _Fields(value, path or cls.__name__)
        return cls(agent=f.req("agent", _str), message=f.req("message", ChatMessage.from_json))


@dataclass(slots=True)
class StatusUpdate(Message):
    """An assistant's new status (sent from its own scope)."""

    status: Status
    MESSAGE_TYPE: ClassVar[str] = "wasmind.common.assistant.StatusUpdate"

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status.to_json()}

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> StatusUpdate:
        return cls(_Fields(value, path or cls.__name__).req("status", Status.from_json))


@dataclass(slots=True)
class RequestStatusUpdate(Message):
    """Asks the assistant of ``agent`` to take ``status`` now (if waiting on that request's tools)."""

    agent: str
    status: Status
    originating_request_id: str | None = None
    MESSAGE_TYPE: ClassVar[str] = "wasmind.common.assistant.RequestStatusUpdate"

    def to_json(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "status": self.status.to_json(),
            "originating_request_id": self.originating_request_id,
        }

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> RequestStatusUpdate:
        f = _Fields(value, path or cls.__name__)
        return cls(
            agent=f.req("agent", _str),
            status=f.req("status", Status.from_json),
            originating_request_id=f.opt("originating_request_id", _str),
        )


@dataclass(slots=True)
class QueueStatusChange(Message):
    """Asks the assistant of ``agent`` to take ``status`` at its next submit."""

    agent: str
    status: Status
    MESSAGE_TYPE: ClassVar[str] = "wasmind.common.assistant.QueueStatusChange"

    def to_json(self) -> dict[str, Any]:
        return {"agent": self.agent, "status": self.status.to_json()}

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> QueueStatusChange:
        f = _Fields(value, path or cls.__name__)
        return cls(agent=f.req("agent", _str), status=f.req("status", Status.from_json))


def _history_message(value: Any, path: str) -> ChatMessage:
    """A chat-history message: an assistant message there must carry ``originating_request_id``."""
    message = ChatMessage.from_json(value, path)
    if isinstance(message, AssistantMessage) and message.originating_request_id is None:
        raise ValueError(f"{path}.originating_request_id: missing required field")
    return message


_history = _list_of(_history_message)


def _read_system(value: Any, path: str) -> SystemMessage:
    return SystemMessage(_Fields(value, path).req("content", _str))


@dataclass(slots=True)
class ChatState:
    """What the assistant sends to the LLM: system prompt, tools and history.

    ``system`` is encoded without a ``role`` (``{"content": ...}``), as upstream does.
    """

    system: SystemMessage
    tools: list[Tool] = field(default_factory=list)
    messages: list[ChatMessage] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "system": {"content": self.system.content},
            "tools": [tool.to_json() for tool in self.tools],
            "messages": [message.to_json() for message in self.messages],
        }

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> ChatState:
        f = _Fields(value, path or cls.__name__)
        return cls(
            system=f.req("system", _read_system),
            tools=f.req("tools", _list_of(Tool.from_json)),
            messages=f.req("messages", _history),
        )


@dataclass(slots=True)
class Request(Message):
    """Sent by the assistant just before it calls the LLM."""

    chat_state: ChatState
    MESSAGE_TYPE: ClassVar[str] = "wasmind.common.assistant.Request"

    def to_json(self) -> dict[str, Any]:
        return {"chat_state": self.chat_state.to_json()}

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> Request:
        return cls(_Fields(value, path or cls.__name__).req("chat_state", ChatState.from_json))


def _read_reply(value: Any, path: str) -> AssistantMessage:
    message = AssistantMessage._read(_Fields(value, path))
    if message.originating_request_id is None:
        raise ValueError(f"{path}.originating_request_id: missing required field")
    return message


@dataclass(slots=True)
class Response(Message):
    """The LLM's reply and its token usage.

    ``message`` is encoded without a ``role`` (an assistant message plus ``originating_request_id``),
    as upstream does; a ``role`` key is ignored on decode.
    """

    message: AssistantMessage
    usage: Usage
    MESSAGE_TYPE: ClassVar[str] = "wasmind.common.assistant.Response"

    def to_json(self) -> dict[str, Any]:
        return {"message": self.message._body(), "usage": self.usage.to_json()}

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> Response:
        f = _Fields(value, path or cls.__name__)
        return cls(message=f.req("message", _read_reply), usage=f.req("usage", Usage.from_json))


@dataclass(slots=True)
class ChatStateUpdated(Message):
    """The assistant's chat state changed."""

    chat_state: ChatState
    MESSAGE_TYPE: ClassVar[str] = "wasmind.common.assistant.ChatStateUpdated"

    def to_json(self) -> dict[str, Any]:
        return {"chat_state": self.chat_state.to_json()}

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> ChatStateUpdated:
        return cls(_Fields(value, path or cls.__name__).req("chat_state", ChatState.from_json))


SECTIONS: tuple[str, ...] = (
    "identity",
    "context",
    "capabilities",
    "guidelines",
    "tools",
    "instructions",
    "system_context",
)
"""The built-in system-prompt sections, in rendering order; any other name is a custom section."""


def _read_section(value: Any, path: str) -> str:
    name = _str(value, path)
    known = name.lower().replace("-", "_")
    return known if known in SECTIONS else name


class SystemPromptContent(_Variant):
    """Contribution content: SystemPromptText (ready text) | SystemPromptData (data + Jinja template)."""

    __slots__ = ()

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> SystemPromptContent:
        return _read_variant("SystemPromptContent", _PROMPT_CONTENTS, value, path or cls.__name__)


@dataclass(slots=True)
class SystemPromptText(SystemPromptContent):
    """``{"Text": "..."}``."""

    text: str
    TAG: ClassVar[str] = "Text"

    def _body(self) -> str:
        return self.text

    @classmethod
    def _read(cls, body: Any, path: str) -> SystemPromptText:
        return cls(_str(body, path))


@dataclass(slots=True)
class SystemPromptData(SystemPromptContent):
    """``{"Data": {"data": ..., "default_template": "..."}}``; the template renders ``data``."""

    data: Any
    default_template: str
    TAG: ClassVar[str] = "Data"

    def _body(self) -> dict[str, Any]:
        return {"data": self.data, "default_template": self.default_template}

    @classmethod
    def _read(cls, body: Any, path: str) -> SystemPromptData:
        f = _Fields(body, path)
        return cls(data=f.req("data", _any), default_template=f.req("default_template", _str))


_PROMPT_CONTENTS: dict[str, type[SystemPromptContent]] = {
    c.TAG: c for c in (SystemPromptText, SystemPromptData)
}


@dataclass(slots=True)
class SystemPromptContribution(Message):
    """A piece of the system prompt of scope ``agent``; ``key`` (``actor:name``) replaces earlier ones.

    Higher ``priority`` comes earlier within its ``section`` (see ``SECTIONS``; ``None``: unsectioned).
    """

    agent: str
    key: str
    content: SystemPromptContent
    priority: int
    section: str | None = None
    MESSAGE_TYPE: ClassVar[str] = "wasmind.common.assistant.SystemPromptContribution"

    def to_json(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "key": self.key,
            "content": self.content.to_json(),
            "priority": self.priority,
            "section": self.section,
        }

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> SystemPromptContribution:
        f = _Fields(value, path or cls.__name__)
        return cls(
            agent=f.req("agent", _str),
            key=f.req("key", _str),
            content=f.req("content", SystemPromptContent.from_json),
            priority=f.req("priority", _i32),
            section=f.opt("section", _read_section),
        )


@dataclass(slots=True)
class CompactedConversation(Message):
    """The history of ``agent`` up to request ``compacted_to`` (exclusive) is replaced by ``messages``."""

    agent: str
    messages: list[ChatMessage]
    compacted_to: str
    MESSAGE_TYPE: ClassVar[str] = "wasmind.common.assistant.CompactedConversation"

    def to_json(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "messages": [message.to_json() for message in self.messages],
            "compacted_to": self.compacted_to,
        }

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> CompactedConversation:
        f = _Fields(value, path or cls.__name__)
        return cls(
            agent=f.req("agent", _str),
            messages=f.req("messages", _history),
            compacted_to=f.req("compacted_to", _str),
        )


# --- tools, LLM endpoint, UI -------------------------------------------------------------------------


@dataclass(slots=True)
class ToolsAvailable(Message):
    """A tool actor announces its tools (to the assistant of its scope)."""

    tools: list[Tool]
    MESSAGE_TYPE: ClassVar[str] = "wasmind.common.tools.ToolsAvailable"

    def to_json(self) -> dict[str, Any]:
        return {"tools": [tool.to_json() for tool in self.tools]}

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> ToolsAvailable:
        return cls(_Fields(value, path or cls.__name__).req("tools", _list_of(Tool.from_json)))


@dataclass(slots=True)
class ExecuteToolCall(Message):
    """The assistant asks the tool named ``tool_call.function.name`` to run this call."""

    tool_call: ToolCall
    originating_request_id: str
    MESSAGE_TYPE: ClassVar[str] = "wasmind.common.tools.ExecuteToolCall"

    def to_json(self) -> dict[str, Any]:
        return {"tool_call": self.tool_call.to_json(), "originating_request_id": self.originating_request_id}

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> ExecuteToolCall:
        f = _Fields(value, path or cls.__name__)
        return cls(
            tool_call=f.req("tool_call", ToolCall.from_json),
            originating_request_id=f.req("originating_request_id", _str),
        )


@dataclass(slots=True)
class ToolCallStatusUpdate(Message):
    """A tool reports on call ``id`` (the tool-call id) of request ``originating_request_id``."""

    status: ToolCallStatus
    id: str
    originating_request_id: str
    MESSAGE_TYPE: ClassVar[str] = "wasmind.common.tools.ToolCallStatusUpdate"

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.to_json(),
            "id": self.id,
            "originating_request_id": self.originating_request_id,
        }

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> ToolCallStatusUpdate:
        f = _Fields(value, path or cls.__name__)
        return cls(
            status=f.req("status", ToolCallStatus.from_json),
            id=f.req("id", _str),
            originating_request_id=f.req("originating_request_id", _str),
        )


@dataclass(slots=True)
class BaseUrlUpdate(Message):
    """Where the OpenAI-compatible LLM endpoint is, and its models (replayed to late agents)."""

    base_url: str
    models_available: list[str] = field(default_factory=list)
    MESSAGE_TYPE: ClassVar[str] = "wasmind.common.litellm.BaseUrlUpdate"

    def to_json(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "models_available": list(self.models_available)}

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> BaseUrlUpdate:
        f = _Fields(value, path or cls.__name__)
        return cls(base_url=f.req("base_url", _str), models_available=f.req("models_available", _str_list))


NotificationLevel = Literal["Info", "Warning", "Error"]
_LEVELS: tuple[str, ...] = ("Info", "Warning", "Error")


def _read_level(value: Any, path: str) -> NotificationLevel:
    if not isinstance(value, str) or value not in _LEVELS:
        raise _expected(path, 'one of "Info", "Warning", "Error"', value)
    return value  # type: ignore[return-value]


@dataclass(slots=True)
class UserNotification(Message):
    """A notice for the person at the UI; ``source`` names the sending actor, if given."""

    level: NotificationLevel
    title: str
    message: str
    source: str | None = None
    MESSAGE_TYPE: ClassVar[str] = "wasmind.common.ui.UserNotification"

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level, "title": self.title, "message": self.message, "source": self.source}

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> UserNotification:
        f = _Fields(value, path or cls.__name__)
        return cls(
            level=f.req("level", _read_level),
            title=f.req("title", _str),
            message=f.req("message", _str),
            source=f.opt("source", _str),
        )


# --- payload bytes -----------------------------------------------------------------------------------

MESSAGE_CLASSES: dict[str, type[Message]] = {
    c.MESSAGE_TYPE: c
    for c in (
        ActorReady,
        Exit,
        AllActorsReady,
        AgentSpawned,
        ActorFailed,
        AddMessage,
        StatusUpdate,
        RequestStatusUpdate,
        QueueStatusChange,
        Request,
        Response,
        ChatStateUpdated,
        SystemPromptContribution,
        CompactedConversation,
        ToolsAvailable,
        ExecuteToolCall,
        ToolCallStatusUpdate,
        BaseUrlUpdate,
        UserNotification,
    )
}
"""Message type string -> class, for every common message."""


def encode(msg: _HasToJson) -> bytes:
    """The payload of ``msg``: compact UTF-8 JSON (non-ASCII kept as is)."""
    return json.dumps(msg.to_json(), ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def decode(cls: type[T], payload: bytes | bytearray | memoryview | str) -> T:
    """Parse ``payload`` as ``cls`` (any type here with ``from_json``); ``ValueError`` if malformed."""
    try:
        text = payload if isinstance(payload, str) else bytes(payload).decode("utf-8")
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"{cls.__name__}: payload is not valid UTF-8 JSON: {exc}") from None
    return cls.from_json(value)  # type: ignore[attr-defined,no-any-return]
