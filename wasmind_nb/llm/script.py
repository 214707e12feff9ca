"""Scripts: what the embedded LLM answers, one request at a time.

A ``Script`` turns a chat completions request (the parsed JSON body) into a ``Turn``: the agent key that
answered and the item to send back, a ``Reply`` (an assistant message), a ``Fault`` (an OpenAI-style HTTP
error) or a ``Raw`` response. Scripts hold no HTTP or id logic; ``EmbeddedLLM`` formats the wire response.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
import threading
import tomllib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, TypeAlias

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic import Field as PydanticField

from wasmind_nb.errors import ConfigError, LLMScriptError

DEFAULT_AGENT = "default"
_QUOTE_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts reported in a response's ``usage``; ``total_tokens`` is their sum."""

    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_json(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass(frozen=True, slots=True)
class ToolCallSpec:
    """A tool call the scripted assistant makes. ``id=None``: the server assigns ``call_<agent>_<n>``."""

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    def arguments_json(self) -> str:
        """The arguments as the JSON string OpenAI puts in ``function.arguments``."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(dict(self.arguments), ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Reply:
    """One assistant message. ``usage=None``: estimated from the request and reply sizes.

    ``finish_reason=None`` gives ``"tool_calls"`` when there are tool calls, else ``"stop"``.
    ``delay_s`` makes the server wait before answering (to exercise client timeouts).
    ``expect`` asserts request fields: each key must be in the request body with an equal value (JSON
    equality: ``1`` equals ``1.0``, ``true`` is not ``1``), else the server answers 400 and records a
    script error. The request's ``max_tokens`` and ``stop`` shape the reply as a model would (docs/llm.md).
    """

    content: str | None = None
    tool_calls: Sequence[ToolCallSpec] = ()
    usage: Usage | None = None
    finish_reason: str | None = None
    delay_s: float = 0.0
    expect: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "tool_calls", tuple(self.tool_calls))
        if self.expect is not None:
            object.__setattr__(self, "expect", dict(self.expect))

    def unmet(self, request: Mapping[str, Any]) -> str | None:
        """Why ``request`` does not meet ``expect`` (``None``: it does, or nothing is expected)."""
        problems = []
        for key, wanted in (self.expect or {}).items():
            if key not in request:
                problems.append(f"{key} = {_json(wanted)}, but the request has no {key}")
            elif not same_json(request[key], wanted):
                problems.append(f"{key} = {_json(wanted)}, got {_json(request[key])}")
        return "; ".join(problems) or None


def same_json(a: Any, b: Any) -> bool:
    """JSON equality: numbers by value (``1 == 1.0``), booleans only equal booleans, lists in order."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


@dataclass(frozen=True, slots=True)
class Fault:
    """An OpenAI-style error response with HTTP ``status`` (e.g. 429 or 503 to exercise retries)."""

    status: int = 500
    message: str = "scripted fault"
    type: str = "server_error"
    delay_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Raw:
    """A response sent exactly as given (a ``Mapping`` is sent as JSON), for malformed-response tests."""

    body: bytes | str | Mapping[str, Any]
    status: int = 200
    content_type: str = "application/json"
    delay_s: float = 0.0


Item: TypeAlias = Reply | Fault | Raw
ItemLike: TypeAlias = Item | str
"""A script item; a bare ``str`` is shorthand for ``Reply(content=...)``."""


@dataclass(frozen=True, slots=True)
class Turn:
    """A script's answer to one request: the agent key that answered and what to send."""

    agent: str
    item: Item


class Script(ABC):
    """Answers chat completions requests. Implementations must be safe to call from several threads."""

    @abstractmethod
    def answer(self, request: Mapping[str, Any], agent: str = DEFAULT_AGENT) -> Turn:
        """Answer ``request`` on behalf of ``agent``; raise ``LLMScriptError`` when there is no answer."""

    def models(self) -> list[str]:
        """Model names to advertise on ``GET /v1/models``."""
        return []

    def reset(self) -> None:  # noqa: B027 - stateless scripts have nothing to reset
        """Rewind to the first reply (a no-op for stateless scripts)."""


ScriptLike: TypeAlias = (
    Script | Callable[[dict[str, Any]], ItemLike] | Iterable[ItemLike] | str | PathLike[str]
)
"""Anything ``as_script`` accepts."""


class ScriptedReplies(Script):
    """An ordered list of items, consumed one per request, whatever the request says."""

    def __init__(self, replies: Iterable[ItemLike], *, models: Sequence[str] = ()) -> None:
        self._items = tuple(coerce_item(reply) for reply in replies)
        self._models = list(models)
        self._next = 0
        self._lock = threading.Lock()

    @property
    def remaining(self) -> int:
        """How many items are left."""
        with self._lock:
            return len(self._items) - self._next

    def answer(self, request: Mapping[str, Any], agent: str = DEFAULT_AGENT) -> Turn:
        with self._lock:
            if self._next >= len(self._items):
                count = len(self._items)
                replies = "reply" if count == 1 else "replies"
                raise LLMScriptError(
                    f"script exhausted for agent '{agent}' after {count} {replies}; "
                    f"request: {describe_request(request)}"
                )
            item = self._items[self._next]
            self._next += 1
        return Turn(agent, item)

    def models(self) -> list[str]:
        return list(self._models)

    def reset(self) -> None:
        with self._lock:
            self._next = 0


class FunctionScript(Script):
    """Calls ``function(request_json)`` for every request; it returns a ``Reply``, ``Fault``, ``Raw`` or str.

    ``EmbeddedLLM`` calls it one request at a time. An exception it raises becomes an ``LLMScriptError``
    naming the agent and the request.
    """

    def __init__(self, function: Callable[[dict[str, Any]], ItemLike], *, models: Sequence[str] = ()) -> None:
        self._function = function
        self._models = list(models)

    def answer(self, request: Mapping[str, Any], agent: str = DEFAULT_AGENT) -> Turn:
        try:
            result = self._function(dict(request))
            return Turn(agent, coerce_item(result))
        except LLMScriptError:
            raise
        except Exception as exc:
            name = getattr(self._function, "__qualname__", repr(self._function))
            raise LLMScriptError(
                f"script function {name} failed for agent '{agent}' ({type(exc).__name__}: {exc}); "
                f"request: {describe_request(request)}"
            ) from exc

    def models(self) -> list[str]:
        return list(self._models)


@dataclass(frozen=True, slots=True)
class _Route:
    key: str
    kind: str
    value: str
    pattern: re.Pattern[str] | None
    script: Script


class Router(Script):
    """Picks a sub-script per request, so one server can script every agent of a run.

    Keys, tried in the order given (``"default"`` always last):

    - ``"model:NAME"``: the request's ``model`` equals ``NAME``;
    - ``"marker:TEXT"``: ``TEXT`` occurs in the system prompt (every ``system``/``developer`` message);
    - ``"regex:PATTERN"``: ``re.search(PATTERN, system prompt)`` matches;
    - ``"default"``: any request no other key took.

    ``models`` adds names to advertise besides the ``model:`` keys.

    The key that matched is the agent key: it appears in errors and names the response and tool call ids
    (``"model:gpt-manager"`` gives ``call_gpt_manager_1``, ...), so two keys may not give the same id prefix.
    """

    _KINDS = ("model", "marker", "regex")

    def __init__(self, routes: Mapping[str, ScriptLike], *, models: Sequence[str] = ()) -> None:
        self._models = list(models)
        self._routes: list[_Route] = []
        self._default: Script | None = None
        tags: dict[str, str] = {}
        for key, target in routes.items():
            script = as_script(target)
            tag = agent_tag(key)
            if tag in tags:
                raise ValueError(f"router keys '{tags[tag]}' and '{key}' give the same id prefix '{tag}'")
            tags[tag] = key
            if key == DEFAULT_AGENT:
                self._default = script
                continue
            kind, sep, value = key.partition(":")
            if not sep or kind not in self._KINDS or not value:
                raise ValueError(
                    f"router key '{key}' must be 'model:NAME', 'marker:TEXT', 'regex:PATTERN' or 'default'"
                )
            try:
                pattern = re.compile(value) if kind == "regex" else None
            except re.error as exc:
                raise ValueError(f"router key '{key}' is not a valid regular expression: {exc}") from exc
            self._routes.append(_Route(key, kind, value, pattern, script))

    @property
    def keys(self) -> list[str]:
        """The agent keys in matching order."""
        return [route.key for route in self._routes] + ([DEFAULT_AGENT] if self._default else [])

    def route(self, request: Mapping[str, Any]) -> str | None:
        """The agent key that would answer ``request`` (``None`` if none matches)."""
        found = self._match(request)
        return found[0] if found else None

    def answer(self, request: Mapping[str, Any], agent: str = DEFAULT_AGENT) -> Turn:
        found = self._match(request)
        if found is None:
            raise LLMScriptError(
                f"no script route matches the request (routes: {', '.join(self.keys) or 'none'}); "
                f"request: {describe_request(request)}"
            )
        key, script = found
        return script.answer(request, key)

    def models(self) -> list[str]:
        names = [route.value for route in self._routes if route.kind == "model"] + self._models
        for script in self._scripts():
            names.extend(script.models())
        return list(dict.fromkeys(names))

    def reset(self) -> None:
        for script in self._scripts():
            script.reset()

    def _scripts(self) -> list[Script]:
        return [route.script for route in self._routes] + ([self._default] if self._default else [])

    def _match(self, request: Mapping[str, Any]) -> tuple[str, Script] | None:
        model = request.get("model")
        prompt: str | None = None
        for route in self._routes:
            if route.kind == "model":
                if model == route.value:
                    return route.key, route.script
                continue
            if prompt is None:
                prompt = system_prompt(request)
            if route.pattern is not None:
                if route.pattern.search(prompt):
                    return route.key, route.script
            elif route.value in prompt:
                return route.key, route.script
        if self._default is not None:
            return DEFAULT_AGENT, self._default
        return None


def coerce_item(value: object) -> Item:
    """A script item from ``value`` (a ``str`` becomes ``Reply(content=value)``)."""
    if isinstance(value, Reply | Fault | Raw):
        return value
    if isinstance(value, str):
        return Reply(content=value)
    raise TypeError(f"a script item must be a Reply, Fault, Raw or str, not {type(value).__name__}")


def as_script(value: ScriptLike) -> Script:
    """A ``Script`` from a script, a callable, a list of items, or the path of a script file."""
    if isinstance(value, Script):
        return value
    if isinstance(value, str | PathLike):
        return load_script(value)
    if callable(value):
        return FunctionScript(value)
    if isinstance(value, Iterable):
        return ScriptedReplies(value)
    raise TypeError(f"cannot make a script from {type(value).__name__}")


def agent_tag(agent: str) -> str:
    """The id-safe form of an agent key: ``"model:gpt-manager"`` -> ``"gpt_manager"``."""
    _, sep, value = agent.partition(":")
    slug = re.sub(r"[^A-Za-z0-9]+", "_", value if sep else agent).strip("_")
    return slug or "agent"


def system_prompt(request: Mapping[str, Any]) -> str:
    """The text of every ``system`` and ``developer`` message of ``request``, joined by newlines."""
    return "\n".join(
        message_text(message)
        for message in _messages(request)
        if message.get("role") in ("system", "developer")
    )


def message_text(message: Mapping[str, Any]) -> str:
    """A message's text content (string content, or the ``text`` parts of a list)."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "") for part in content if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def describe_request(request: Mapping[str, Any]) -> str:
    """A one-line summary for error messages: the model and the last user message, quoted."""
    users = [message for message in _messages(request) if message.get("role") == "user"]
    text = message_text(users[-1]) if users else ""
    if len(text) > _QUOTE_LIMIT:
        text = text[: _QUOTE_LIMIT - 3] + "..."
    quoted = json.dumps(text, ensure_ascii=False) if users else "(none)"
    return f"model {json.dumps(request.get('model'), ensure_ascii=False)}, last user message {quoted}"


def _messages(request: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    messages = request.get("messages")
    if not isinstance(messages, list):
        return []
    return [message for message in messages if isinstance(message, Mapping)]


# --- script files -------------------------------------------------------------------------------------


class _FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _UsageModel(_FileModel):
    prompt_tokens: int
    completion_tokens: int


class _ToolCallModel(_FileModel):
    name: str
    arguments: dict[str, Any] | str = PydanticField(default_factory=dict)
    id: str | None = None


class _ReplyModel(_FileModel):
    content: str | None = None
    tool_calls: list[_ToolCallModel] = PydanticField(default_factory=list)
    usage: _UsageModel | None = None
    finish_reason: str | None = None
    delay_s: float = PydanticField(default=0.0, ge=0, strict=False)
    expect: dict[str, Any] | None = None

    def item(self) -> Reply:
        return Reply(
            content=self.content,
            tool_calls=[ToolCallSpec(call.name, call.arguments, call.id) for call in self.tool_calls],
            usage=Usage(self.usage.prompt_tokens, self.usage.completion_tokens) if self.usage else None,
            finish_reason=self.finish_reason,
            delay_s=self.delay_s,
            expect=self.expect,
        )


class _FaultModel(_FileModel):
    fault: int = PydanticField(ge=400, le=599)
    message: str = "scripted fault"
    type: str = "server_error"
    delay_s: float = PydanticField(default=0.0, ge=0, strict=False)

    def item(self) -> Fault:
        return Fault(self.fault, self.message, self.type, self.delay_s)


class _RawModel(_FileModel):
    raw: str | dict[str, Any]
    status: int = 200
    content_type: str = "application/json"
    delay_s: float = PydanticField(default=0.0, ge=0, strict=False)

    def item(self) -> Raw:
        return Raw(self.raw, self.status, self.content_type, self.delay_s)


def load_script(path: str | PathLike[str]) -> Script:
    """Load a script file: ``.json`` or ``.toml`` (data, see docs/llm.md) or ``.py`` (exposes ``script``).

    Raises ``ConfigError`` naming the file and the key of the first problem.
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix == ".py":
        return _load_python(file)
    if suffix not in (".json", ".toml"):
        raise ConfigError("a script file must end in .json, .toml or .py", file=str(path))
    try:
        text = file.read_text(encoding="utf-8")
        data = json.loads(text) if suffix == ".json" else tomllib.loads(text)
    except OSError as exc:
        raise ConfigError(f"cannot read script file: {exc.strerror or exc}", file=str(path)) from exc
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"script file is not valid {suffix[1:].upper()}: {exc}", file=str(path)) from exc
    return script_from_data(data, file=str(path))


def script_from_data(data: object, *, file: str | None = None) -> Script:
    """A script from parsed JSON/TOML: a list of items, ``{"replies": [...]}`` or ``{"agents": {...}}``."""
    if isinstance(data, list):
        return ScriptedReplies(_items(data, "replies", file))
    if not isinstance(data, dict):
        raise ConfigError("a script must be a list of replies or a table", file=file)
    unknown = sorted(set(data) - {"replies", "agents", "models"})
    if unknown:
        raise ConfigError("unknown script key (expected replies, agents, models)", file=file, key=unknown[0])
    if ("replies" in data) == ("agents" in data):
        raise ConfigError("a script needs exactly one of 'replies' and 'agents'", file=file)
    models = data.get("models", [])
    if not isinstance(models, list) or not all(isinstance(name, str) for name in models):
        raise ConfigError("must be a list of model names", file=file, key="models")
    if "replies" in data:
        return ScriptedReplies(_items(data["replies"], "replies", file), models=models)
    agents = data["agents"]
    if not isinstance(agents, dict) or not agents:
        raise ConfigError("must be a non-empty table of agent key -> replies", file=file, key="agents")
    routes = {
        key: ScriptedReplies(_items(replies, f'agents."{key}"', file)) for key, replies in agents.items()
    }
    try:
        return Router(routes, models=models)
    except ValueError as exc:
        raise ConfigError(str(exc), file=file, key="agents") from exc


def _items(value: object, key: str, file: str | None) -> list[Item]:
    if not isinstance(value, list):
        raise ConfigError("must be a list of replies", file=file, key=key)
    return [_item(entry, f"{key}[{index}]", file) for index, entry in enumerate(value)]


def _item(entry: object, key: str, file: str | None) -> Item:
    if isinstance(entry, str):
        return Reply(content=entry)
    if not isinstance(entry, dict):
        raise ConfigError("a reply must be a string or a table", file=file, key=key)
    model: type[_ReplyModel | _FaultModel | _RawModel]
    model = _FaultModel if "fault" in entry else _RawModel if "raw" in entry else _ReplyModel
    try:
        return model.model_validate(entry).item()
    except ValidationError as exc:
        error = exc.errors()[0]
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"])
        raise ConfigError(f"invalid reply: {error['msg']}", file=file, key=key + where) from exc


def _load_python(file: Path) -> Script:
    if not file.is_file():
        raise ConfigError("script file not found", file=str(file))
    digest = hashlib.sha256(str(file.resolve()).encode()).hexdigest()[:12]
    name = f"_wasmind_llm_script_{digest}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise ConfigError("cannot import script file", file=str(file))
    module = importlib.util.module_from_spec(spec)
    # Registered so that dataclasses and pickling inside the script file can find their module.
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise ConfigError(
            f"script file failed to import ({type(exc).__name__}: {exc})", file=str(file)
        ) from exc
    if not hasattr(module, "script"):
        raise ConfigError("a Python script file must define 'script'", file=str(file), key="script")
    value = module.script
    if isinstance(value, str | PathLike):
        raise ConfigError("'script' must be a Script, a callable or a list of replies", file=str(file))
    try:
        return as_script(value)
    except TypeError as exc:
        raise ConfigError(str(exc), file=str(file), key="script") from exc
