"""One chat completion: ``POST {base_url}/v1/chat/completions`` through the host's ``http`` capability.

Each attempt is one host request (``request_timeout_s``); this module retries network errors, timeouts and
the configured statuses (429 and 5xx by default) itself, so that the assistant can say at once that an
attempt failed (``on_retry``) before it waits ``backoff_ms`` and tries again. Every failure left after that
is an :class:`LLMError` with a title and a message for a ``UserNotification``; a request the host cancelled
(the agent was interrupted) is an :class:`Interrupted`, never retried. Replies are read leniently
(``tool_calls: []`` is no tool calls, argument objects are re-encoded as JSON text, missing tool-call ids
are made up) but anything that is not a chat completion is an error, never an exception that would trap
the actor.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from settings import Settings

from wasmind_sdk import HostError, http_request
from wasmind_sdk.messages import AssistantMessage, ChatMessage, Tool, Usage

_SNIPPET = 300
_USAGE_KEYS = ("prompt_tokens", "completion_tokens", "total_tokens")


CANCELLED = "request cancelled"
"""How the host's ``NetworkError`` for a cancelled request starts (``wasmind_nb.host.httpclient``)."""


class LLMError(Exception):
    """The model could not be asked, or its answer is unusable."""

    def __init__(self, title: str, message: str) -> None:
        super().__init__(f"{title}: {message}")
        self.title = title
        self.message = message


class Interrupted(LLMError):
    """The host cancelled the request: the agent was interrupted (or the run is stopping)."""


OnRetry = Callable[[LLMError, int, float], None]
"""``on_retry(failure, attempt, delay_s)``: attempt ``attempt`` failed; the next starts in ``delay_s``."""


@dataclass(frozen=True)
class Completion:
    """The model's reply (without ``originating_request_id``), the tokens it cost, and why it ended."""

    message: AssistantMessage
    usage: Usage
    finish_reason: str | None = None


def request_body(
    settings: Settings, system: str, history: Sequence[ChatMessage], tools: Sequence[Tool]
) -> dict[str, Any]:
    """The JSON body: ``model``, ``messages`` (the system prompt first, unless it is empty), ``tools``
    (left out when there are none: some providers refuse an empty list), then the sampling fields."""
    messages = [{"role": "system", "content": system}] if system else []
    for message in history:
        data = message.to_json()
        data.pop("originating_request_id", None)
        messages.append(data)
    body: dict[str, Any] = {"model": settings.model_name, "messages": messages}
    if tools:
        body["tools"] = [tool.to_json() for tool in tools]
    body.update(settings.sampling.body_fields())
    return body


def complete(
    settings: Settings,
    base_url: str,
    body: dict[str, Any],
    request_id: str,
    on_retry: OnRetry = lambda failure, attempt, delay_s: None,
) -> Completion:
    """Send ``body`` (at most ``max_attempts`` times) and read the reply. Raises :class:`LLMError`."""
    url = f"{base_url.rstrip('/')}/v1/chat/completions"
    attempts = settings.max_attempts
    for attempt in range(1, attempts + 1):
        failure, retryable = _attempt(settings, url, body, request_id)
        if isinstance(failure, Completion):
            return failure
        if not retryable or attempt == attempts:
            raise _final(failure, url, attempt, settings)
        delay_ms = settings.backoff_ms(attempt)
        on_retry(failure, attempt, delay_ms / 1000)
        time.sleep(delay_ms / 1000)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _attempt(
    settings: Settings, url: str, body: dict[str, Any], request_id: str
) -> tuple[Completion | LLMError, bool]:
    """One request: the completion, or the failure and whether another attempt may fix it."""
    try:
        response = http_request("POST", url, json_body=body, timeout_s=settings.request_timeout_s)
    except HostError as err:
        kind, _, detail = str(err).partition(": ")
        if detail.startswith(CANCELLED):
            raise Interrupted("LLM request interrupted", f"POST {url}: {detail}") from None
        if kind == "Timeout":
            return LLMError("LLM request timed out", f"no reply within {settings.request_timeout_s} s"), True
        retryable = kind == "NetworkError" and not detail.startswith("host error")  # e.g. a replay mismatch
        return LLMError("LLM request failed", str(err)), retryable
    if not 200 <= response.status < 300:
        failure = LLMError(f"LLM returned HTTP {response.status}", _error_text(response.body))
        return failure, response.status in settings.retry_on_status
    return parse_completion(response.body, request_id), False


def _final(failure: LLMError, url: str, attempts: int, settings: Settings) -> LLMError:
    """The failure as the user sees it once the assistant stops trying."""
    if failure.title == "LLM request failed":
        return LLMError(failure.title, f"POST {url} failed after {attempts} attempt(s): {failure.message}")
    if failure.title == "LLM request timed out":
        return LLMError(failure.title, f"POST {url}: {failure.message}, {attempts} attempt(s)")
    return LLMError(failure.title, f"POST {url}: {failure.message}")


def describe_retry(failure: LLMError, attempt: int, attempts: int, delay_s: float) -> str:
    """The message of the notification sent when attempt ``attempt`` failed and another follows."""
    return f"{failure.message} (attempt {attempt} of {attempts}); trying again in {delay_s:g} s"


def parse_completion(body: bytes, request_id: str) -> Completion:
    """Read a ``chat.completion`` object. Raises :class:`LLMError` if ``body`` is not one."""
    try:
        data = json.loads(body)
    except ValueError as err:
        raise LLMError("LLM reply is not JSON", f"{err}; the reply starts with {_snippet(body)!r}") from None
    if not isinstance(data, dict):
        raise _malformed(f"expected a JSON object, got {_snippet(body)!r}")
    if "choices" not in data and isinstance(data.get("error"), dict | str):
        raise LLMError("LLM returned an error", _error_text(body))
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise _malformed("'choices' is missing or empty")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise _malformed("'choices[0].message' is missing")
    if message.get("role", "assistant") != "assistant":
        raise _malformed(f"expected an assistant message, got role {message.get('role')!r}")
    try:
        reply = AssistantMessage.from_json(_normalised(message, request_id), "choices[0].message")
    except ValueError as err:
        raise _malformed(str(err)) from None
    usage = _usage(data.get("usage"))  # type: ignore[arg-type]
    finish = choices[0].get("finish_reason")
    return Completion(reply, usage, finish if isinstance(finish, str) else None)


def _normalised(message: dict[str, Any], request_id: str) -> dict[str, Any]:
    out = {key: value for key, value in message.items() if key != "originating_request_id"}
    out["role"] = "assistant"
    content = out.get("content")
    if isinstance(content, list):  # content parts: keep the text
        out["content"] = "".join(p.get("text", "") for p in content if isinstance(p, dict)) or None
    calls = out.get("tool_calls")
    if not calls:
        out.pop("tool_calls", None)
    elif isinstance(calls, list):
        out["tool_calls"] = [_normalised_call(call, request_id, i) for i, call in enumerate(calls)]
    return out


def _normalised_call(call: Any, request_id: str, index: int) -> Any:
    if not isinstance(call, dict):
        return call
    call = dict(call)
    if not call.get("id"):
        call["id"] = f"call_{request_id}_{index}"
    call.setdefault("type", "function")
    function = call.get("function")
    if isinstance(function, dict):
        function = dict(function)
        arguments = function.get("arguments")
        if arguments is None:
            function["arguments"] = "{}"
        elif not isinstance(arguments, str):
            function["arguments"] = json.dumps(arguments, ensure_ascii=False)
        call["function"] = function
    return call


def _usage(value: Any) -> Usage:
    if not isinstance(value, dict):
        return Usage()

    def count(key: str) -> int:
        number = value.get(key)
        return number if isinstance(number, int) and not isinstance(number, bool) else 0

    prompt, completion = count("prompt_tokens"), count("completion_tokens")
    total = count("total_tokens") or prompt + completion
    extra = {k: v for k, v in value.items() if k not in _USAGE_KEYS}
    return Usage(prompt, completion, total, extra)


def _malformed(detail: str) -> LLMError:
    return LLMError("LLM reply is malformed", detail)


def _snippet(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace")
    return text if len(text) <= _SNIPPET else text[:_SNIPPET] + "..."


def _error_text(body: bytes) -> str:
    """The ``error.message`` of an OpenAI-style error body, else the start of the body."""
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        return _snippet(body)
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return error["message"]
    return error if isinstance(error, str) else _snippet(body)
