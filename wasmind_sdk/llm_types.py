"""OpenAI chat-format types carried inside the common messages (upstream crate ``wasmind_llm_types``).

Stdlib only: this module runs inside WebAssembly actors as well as on the host.

Wire format: a ``ChatMessage`` is a JSON object tagged by ``role``; absent optional fields are
*omitted* (never ``null``), as upstream serializes them. Unknown fields are ignored on decode
(forward compatibility), except on ``Usage``, which keeps them in ``extra``.

The private ``_Fields`` reader and friends at the top are shared with ``wasmind_sdk.messages``: they
raise ``ValueError("Path.to.field: expected ..., got ...")`` naming the offending field.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

__all__ = [
    "AssistantMessage",
    "ChatMessage",
    "FunctionCall",
    "FunctionDefinition",
    "SystemMessage",
    "ThinkingBlock",
    "Tool",
    "ToolCall",
    "ToolMessage",
    "Usage",
    "UserMessage",
]

T = TypeVar("T")
Reader = Callable[[Any, str], T]

_I32_MIN, _I32_MAX = -(2**31), 2**31 - 1


# --- JSON reading helpers (shared with messages.py) -------------------------------------------------


def _show(value: Any) -> str:
    """A short JSON rendering of ``value`` for error messages."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _expected(path: str, what: str, value: Any) -> ValueError:
    return ValueError(f"{path}: expected {what}, got {_show(value)}")


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _expected(path, "an object", value)
    return value


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _expected(path, "a string", value)
    return value


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _expected(path, "a boolean", value)
    return value


def _i32(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _expected(path, "an integer", value)
    if not _I32_MIN <= value <= _I32_MAX:
        raise _expected(path, "a 32-bit integer", value)
    return value


def _any(value: Any, path: str) -> Any:
    return value


def _null(value: Any, path: str) -> None:
    if value is not None:
        raise _expected(path, "null", value)


def _list_of(read: Reader[T]) -> Reader[list[T]]:
    def read_list(value: Any, path: str) -> list[T]:
        if not isinstance(value, list):
            raise _expected(path, "an array", value)
        return [read(item, f"{path}[{i}]") for i, item in enumerate(value)]

    return read_list


def _map_of(read: Reader[T]) -> Reader[dict[str, T]]:
    def read_map(value: Any, path: str) -> dict[str, T]:
        return {key: read(item, f"{path}[{_show(key)}]") for key, item in _object(value, path).items()}

    return read_map


_str_list = _list_of(_str)


class _Fields:
    """Reads the fields of one JSON object, naming ``path.field`` in every error."""

    __slots__ = ("obj", "path")

    def __init__(self, value: Any, path: str) -> None:
        self.obj = _object(value, path)
        self.path = path

    def req(self, key: str, read: Reader[T]) -> T:
        """A required field (``null`` is passed to ``read``, which decides)."""
        if key not in self.obj:
            raise ValueError(f"{self.path}.{key}: missing required field")
        return read(self.obj[key], f"{self.path}.{key}")

    def opt(self, key: str, read: Reader[T]) -> T | None:
        """An optional field: missing or ``null`` give ``None``."""
        value = self.obj.get(key)
        return None if value is None else read(value, f"{self.path}.{key}")


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key`` only when ``value`` is not ``None`` (LLM types omit absent fields)."""
    if value is not None:
        out[key] = value


# --- tool calls and tool definitions -----------------------------------------------------------------


@dataclass(slots=True)
class FunctionCall:
    """The function a model asks to call; ``arguments`` is a JSON *string*, as the model wrote it."""

    name: str
    arguments: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": self.arguments}

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> FunctionCall:
        f = _Fields(value, path or cls.__name__)
        return cls(name=f.req("name", _str), arguments=f.req("arguments", _str))


@dataclass(slots=True)
class ToolCall:
    """One tool call of an assistant message (upstream's serde name for ``type`` is ``tool_type``)."""

    id: str
    function: FunctionCall
    type: str = "function"
    index: int | None = None

    def parsed_arguments(self) -> Any:
        """``function.arguments`` decoded from JSON; ``ValueError`` naming the call if it is not JSON."""
        try:
            return json.loads(self.function.arguments)
        except (ValueError, RecursionError) as exc:
            raise ValueError(
                f"tool call {self.id!r} ({self.function.name}): arguments are not valid JSON: {exc}"
            ) from None

    def to_json(self) -> dict[str, Any]:
        out = {"id": self.id, "type": self.type, "function": self.function.to_json()}
        _put(out, "index", self.index)
        return out

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> ToolCall:
        f = _Fields(value, path or cls.__name__)
        return cls(
            id=f.req("id", _str),
            type=f.req("type", _str),
            function=f.req("function", FunctionCall.from_json),
            index=f.opt("index", _i32),
        )


@dataclass(slots=True)
class FunctionDefinition:
    """A tool's function: name, description and a JSON Schema of its parameters."""

    name: str
    description: str
    parameters: Any

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "parameters": self.parameters}

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> FunctionDefinition:
        f = _Fields(value, path or cls.__name__)
        return cls(
            name=f.req("name", _str),
            description=f.req("description", _str),
            parameters=f.req("parameters", _any),
        )


@dataclass(slots=True)
class Tool:
    """A tool offered to the model (``{"type": "function", "function": {...}}``)."""

    function: FunctionDefinition
    type: str = "function"

    @classmethod
    def define(cls, name: str, description: str, parameters: Any) -> Tool:
        """A function tool; ``parameters`` is a JSON Schema object."""
        return cls(FunctionDefinition(name, description, parameters))

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "function": self.function.to_json()}

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> Tool:
        f = _Fields(value, path or cls.__name__)
        return cls(type=f.req("type", _str), function=f.req("function", FunctionDefinition.from_json))


@dataclass(slots=True)
class ThinkingBlock:
    """A reasoning block some providers return beside an assistant message."""

    thinking: str
    type: str = "thinking"
    signature: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = {"type": self.type, "thinking": self.thinking}
        _put(out, "signature", self.signature)
        return out

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> ThinkingBlock:
        f = _Fields(value, path or cls.__name__)
        return cls(
            type=f.req("type", _str), thinking=f.req("thinking", _str), signature=f.opt("signature", _str)
        )


@dataclass(slots=True)
class Usage:
    """Token counts of one completion; provider-specific fields are kept in ``extra``."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    _KEYS: ClassVar[tuple[str, ...]] = ("prompt_tokens", "completion_tokens", "total_tokens")

    def to_json(self) -> dict[str, Any]:
        out = {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens}
        out["total_tokens"] = self.total_tokens
        out.update((k, v) for k, v in self.extra.items() if k not in self._KEYS)
        return out

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> Usage:
        f = _Fields(value, path or cls.__name__)
        return cls(
            prompt_tokens=f.req("prompt_tokens", _i32),
            completion_tokens=f.req("completion_tokens", _i32),
            total_tokens=f.req("total_tokens", _i32),
            extra={k: v for k, v in f.obj.items() if k not in cls._KEYS},
        )


# --- chat messages -----------------------------------------------------------------------------------


class ChatMessage:
    """A chat message, tagged by ``role``: one of SystemMessage, UserMessage, AssistantMessage, ToolMessage.

    ``ChatMessage.from_json`` dispatches on ``role``; on a subclass it also checks the role.
    """

    __slots__ = ()
    ROLE: ClassVar[str]

    @staticmethod
    def system(content: str) -> SystemMessage:
        return SystemMessage(content)

    @staticmethod
    def user(content: str) -> UserMessage:
        return UserMessage(content)

    @staticmethod
    def assistant(
        content: str | None = None,
        tool_calls: list[ToolCall] | None = None,
        originating_request_id: str | None = None,
    ) -> AssistantMessage:
        return AssistantMessage(content, tool_calls, originating_request_id=originating_request_id)

    @staticmethod
    def tool(tool_call_id: str, name: str | None, content: str) -> ToolMessage:
        return ToolMessage(tool_call_id, name, content)

    def to_json(self) -> dict[str, Any]:
        return {"role": self.ROLE, **self._body()}

    def _body(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def _read(cls, f: _Fields) -> ChatMessage:
        raise NotImplementedError

    @classmethod
    def from_json(cls, value: Any, path: str | None = None) -> ChatMessage:
        f = _Fields(value, path or cls.__name__)
        role = f.obj.get("role")
        sub = _ROLES.get(role) if isinstance(role, str) else None
        if sub is None or (cls is not ChatMessage and sub is not cls):
            allowed = _ROLES if cls is ChatMessage else {cls.ROLE: cls}
            choices = ", ".join(f'"{r}"' for r in allowed)
            raise _expected(f"{f.path}.role", f"one of {choices}", role)
        return sub._read(f)


@dataclass(slots=True)
class SystemMessage(ChatMessage):
    """``{"role": "system", "content": ...}``."""

    content: str
    ROLE: ClassVar[str] = "system"

    def _body(self) -> dict[str, Any]:
        return {"content": self.content}

    @classmethod
    def _read(cls, f: _Fields) -> SystemMessage:
        return cls(f.req("content", _str))


@dataclass(slots=True)
class UserMessage(ChatMessage):
    """``{"role": "user", "content": ...}``."""

    content: str
    ROLE: ClassVar[str] = "user"

    def _body(self) -> dict[str, Any]:
        return {"content": self.content}

    @classmethod
    def _read(cls, f: _Fields) -> UserMessage:
        return cls(f.req("content", _str))


@dataclass(slots=True)
class AssistantMessage(ChatMessage):
    """A model reply: text and/or tool calls, plus optional provider reasoning.

    ``originating_request_id`` (the ``Request`` that produced it) is set on messages inside a chat
    history and in ``Response``; it is not part of the OpenAI format.
    """

    content: str | None = None
    tool_calls: list[ToolCall] | None = None
    reasoning_content: str | None = None
    thinking_blocks: list[ThinkingBlock] | None = None
    provider_specific_fields: Any = None
    originating_request_id: str | None = None
    ROLE: ClassVar[str] = "assistant"

    def _body(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        _put(out, "content", self.content)
        if self.tool_calls is not None:
            out["tool_calls"] = [call.to_json() for call in self.tool_calls]
        _put(out, "reasoning_content", self.reasoning_content)
        if self.thinking_blocks is not None:
            out["thinking_blocks"] = [block.to_json() for block in self.thinking_blocks]
        _put(out, "provider_specific_fields", self.provider_specific_fields)
        _put(out, "originating_request_id", self.originating_request_id)
        return out

    @classmethod
    def _read(cls, f: _Fields) -> AssistantMessage:
        return cls(
            content=f.opt("content", _str),
            tool_calls=f.opt("tool_calls", _list_of(ToolCall.from_json)),
            reasoning_content=f.opt("reasoning_content", _str),
            thinking_blocks=f.opt("thinking_blocks", _list_of(ThinkingBlock.from_json)),
            provider_specific_fields=f.opt("provider_specific_fields", _any),
            originating_request_id=f.opt("originating_request_id", _str),
        )


@dataclass(slots=True)
class ToolMessage(ChatMessage):
    """The result of one tool call, sent back to the model. ``name`` may be ``None`` (omitted)."""

    tool_call_id: str
    name: str | None
    content: str
    ROLE: ClassVar[str] = "tool"

    def _body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"tool_call_id": self.tool_call_id}
        _put(out, "name", self.name)
        out["content"] = self.content
        return out

    @classmethod
    def _read(cls, f: _Fields) -> ToolMessage:
        return cls(f.req("tool_call_id", _str), f.opt("name", _str), f.req("content", _str))


_ROLES: dict[str, type[ChatMessage]] = {
    cls.ROLE: cls for cls in (SystemMessage, UserMessage, AssistantMessage, ToolMessage)
}
