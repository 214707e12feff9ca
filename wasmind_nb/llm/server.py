"""An OpenAI-compatible chat completions server on loopback that answers from a ``Script``.

Endpoints: ``POST /v1/chat/completions`` (JSON, or SSE with ``"stream": true``), ``GET /v1/models`` and
``GET /health`` (the ``/v1`` prefix is optional). Responses are deterministic: a fixed ``created`` time, ids
numbered per agent key (``chatcmpl-<agent>-<n>``, ``call_<agent>_<n>``) and no ``Date`` header, so the same
script and the same requests give byte-identical responses.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from wasmind_nb.errors import LLMScriptError
from wasmind_nb.host.credential import CREDENTIAL_HEADERS
from wasmind_nb.llm.script import (
    Fault,
    Item,
    Raw,
    Reply,
    Script,
    ScriptLike,
    Usage,
    agent_tag,
    as_script,
    describe_request,
)

CREATED = 1_700_000_000
"""The ``created`` timestamp of every response (fixed, for byte-identical runs)."""
SERVER_NAME = "wasmind-embedded-llm"
MAX_BODY_BYTES = 32 * 1024 * 1024
_CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")
_MODELS_PATHS = ("/v1/models", "/models")
_HEALTH_PATHS = ("/health", "/v1/health")
_SECRET_HEADERS = CREDENTIAL_HEADERS
_NOT_PARAMETERS = frozenset({"model", "messages", "tools", "stream", "stream_options"})
CHARS_PER_TOKEN = 4
"""The embedded model's token: about four characters, for usage estimates and ``max_tokens`` cuts."""


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """A chat completions request the server received (secret headers replaced by ``<redacted>``).

    ``json`` is the parsed body (``None`` if it did not parse), ``agent`` the script's agent key (``None``
    if no script ran), ``status`` the HTTP status of the answer, ``seq`` the arrival order (0-based).
    """

    seq: int
    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    json: Any
    agent: str | None
    status: int

    @property
    def parameters(self) -> dict[str, Any]:
        """The body's fields besides ``model``, ``messages``, ``tools`` and streaming: ``max_tokens``,
        ``temperature``, ``stop``, ``seed``, extra fields, ... (``{}`` if the body is not an object)."""
        if not isinstance(self.json, dict):
            return {}
        return {key: value for key, value in self.json.items() if key not in _NOT_PARAMETERS}


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    content_type: str
    chunks: tuple[bytes, ...]
    stream: bool = False
    delay_s: float = 0.0


class EmbeddedLLM:
    """The embedded LLM server. ``with EmbeddedLLM(script) as llm: ... llm.base_url ...``.

    ``host`` must be a loopback address (``127.0.0.1``, ``::1`` or ``localhost``); ``port=0`` picks a free
    port. ``models`` adds names to those the script advertises on ``/v1/models``. State (script position,
    id counters, ``requests``, ``errors``) lives until ``reset()``; stopping and starting again keeps it.
    """

    def __init__(
        self,
        script: ScriptLike,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        models: Sequence[str] = (),
        created: int = CREATED,
    ) -> None:
        self.script: Script = as_script(script)
        self._host = _loopback_host(host)
        self._port = port
        self._extra_models = list(models)
        self._created = created
        self._lock = threading.Lock()
        self._answer_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._requests: list[ReceivedRequest] = []
        self._errors: list[LLMScriptError] = []
        self._replies: dict[str, int] = {}
        self._tool_calls: dict[str, int] = {}
        self._arrivals = 0

    # --- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> str:
        """Start serving on a daemon thread (a no-op if already started); returns ``base_url``."""
        with self._lock:
            if self._server is None:
                server = _Server((self._host, self._port), _Handler, self)
                self._port = server.server_address[1]
                self._server = server
                self._thread = threading.Thread(
                    target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=SERVER_NAME, daemon=True
                )
                self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving and free the port (a no-op if not started). The port is kept for a restart."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join()

    def reset(self) -> None:
        """Rewind the script and forget requests, errors and id counters (a fresh run)."""
        with self._answer_lock, self._lock:
            self.script.reset()
            self._requests.clear()
            self._errors.clear()
            self._replies.clear()
            self._tool_calls.clear()
            self._arrivals = 0

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- what it saw ----------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no ``/v1``); raises ``RuntimeError`` before the first ``start()``."""
        if self._port == 0:
            raise RuntimeError("the embedded LLM has not been started")
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    @property
    def models(self) -> list[str]:
        """The model names served on ``/v1/models``."""
        return list(dict.fromkeys(self.script.models() + self._extra_models))

    @property
    def requests(self) -> list[ReceivedRequest]:
        """Every chat completions request received so far, in arrival order (a copy)."""
        with self._lock:
            return sorted(self._requests, key=lambda request: request.seq)

    @property
    def errors(self) -> list[LLMScriptError]:
        """Script errors (exhausted script, no route, failing function), in the order they happened."""
        with self._lock:
            return list(self._errors)

    def check(self) -> None:
        """Raise ``LLMScriptError`` (the first one, noting how many more) if the script failed any request."""
        errors = self.errors
        if errors:
            more = f" (and {len(errors) - 1} more script errors)" if len(errors) > 1 else ""
            raise LLMScriptError(f"{errors[0]}{more}") from errors[0]

    # --- answering (called on the server's handler threads) ---------------------------------------------

    def _chat(self, headers: tuple[tuple[str, str], ...], body: bytes, path: str) -> _Answer:
        with self._lock:
            seq = self._arrivals
            self._arrivals += 1
        request: Any = None
        agent: str | None = None
        try:
            request = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            answer = _error(400, f"the request body is not valid JSON: {exc}", "invalid_request_error")
        else:
            invalid = _invalid(request)
            if invalid is not None:
                answer = _error(400, invalid[1], "invalid_request_error", param=invalid[0])
            else:
                agent, answer = self._answer(request)
        with self._lock:
            self._requests.append(
                ReceivedRequest(seq, "POST", path, _redact(headers), request, agent, answer.status)
            )
        return answer

    def _answer(self, request: dict[str, Any]) -> tuple[str | None, _Answer]:
        """Run the script, one request at a time (scripts and id counters stay consistent)."""
        with self._answer_lock:
            try:
                turn = self.script.answer(request)
            except LLMScriptError as exc:
                with self._lock:
                    self._errors.append(exc)
                return None, _error(500, str(exc), "script_error")
            if not isinstance(turn.item, Reply):
                return turn.agent, _other_answer(turn.item)
            unmet = turn.item.unmet(request)
            if unmet is not None:
                exc = LLMScriptError(
                    f"the request for agent '{turn.agent}' does not meet the script's expect: {unmet}; "
                    f"request: {describe_request(request)}"
                )
                with self._lock:
                    self._errors.append(exc)
                return turn.agent, _error(400, str(exc), "script_error")
            reply = shaped(turn.item, request)
            completion_id, call_ids = self._number(turn.agent, reply)
        completion = _Completion(
            id=completion_id,
            model=str(request["model"]),
            created=self._created,
            reply=reply,
            tool_call_ids=call_ids,
            usage=reply.usage.to_json() if reply.usage else _estimate_usage(request, reply),
        )
        return turn.agent, completion.answer(request)

    def _number(self, agent: str, reply: Reply) -> tuple[str, list[str]]:
        """The completion id and tool call ids of ``agent``'s next reply (counted per agent key)."""
        tag = agent_tag(agent)
        self._replies[agent] = self._replies.get(agent, 0) + 1
        first = self._tool_calls.get(agent, 0) + 1
        self._tool_calls[agent] = first - 1 + len(reply.tool_calls)
        call_ids = [call.id or f"call_{tag}_{first + index}" for index, call in enumerate(reply.tool_calls)]
        return f"chatcmpl-{tag}-{self._replies[agent]}", call_ids

    def _models_body(self) -> bytes:
        data = [
            {"id": name, "object": "model", "created": self._created, "owned_by": SERVER_NAME}
            for name in self.models
        ]
        return dumps({"object": "list", "data": data})


@dataclass(frozen=True, slots=True)
class _Completion:
    id: str
    model: str
    created: int
    reply: Reply
    tool_call_ids: list[str]
    usage: dict[str, int]

    @property
    def finish_reason(self) -> str:
        return self.reply.finish_reason or ("tool_calls" if self.reply.tool_calls else "stop")

    def answer(self, request: Mapping[str, Any]) -> _Answer:
        if request.get("stream") is True:
            options = request.get("stream_options")
            include_usage = isinstance(options, dict) and options.get("include_usage") is True
            events = tuple(b"data: " + dumps(chunk) + b"\n\n" for chunk in self.chunks(include_usage))
            return _Answer(200, "text/event-stream", (*events, b"data: [DONE]\n\n"), True, self.reply.delay_s)
        return _Answer(200, "application/json", (dumps(self.body()),), delay_s=self.reply.delay_s)

    def body(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self.reply.content}
        if self.reply.tool_calls:
            message["tool_calls"] = [
                {"id": call_id, "type": "function", "function": {"name": call.name, "arguments": arguments}}
                for call_id, call, arguments in self._calls()
            ]
        return {
            **self._head("chat.completion"),
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": self.finish_reason}
            ],
            "usage": self.usage,
        }

    def chunks(self, include_usage: bool) -> Iterator[dict[str, Any]]:
        """The SSE chunks: role, content pieces, each tool call (name, then arguments), finish, usage.

        Without ``stream_options.include_usage`` the finishing chunk carries ``usage``; with it, a last
        chunk with no choices does (as OpenAI sends it).
        """
        head = self._head("chat.completion.chunk")
        first_content = "" if self.reply.content is not None and not self.reply.tool_calls else None
        yield {**head, "choices": [_delta({"role": "assistant", "content": first_content})]}
        for piece in _pieces(self.reply.content or ""):
            yield {**head, "choices": [_delta({"content": piece})]}
        for index, (call_id, call, arguments) in enumerate(self._calls()):
            start = {"index": index, "id": call_id, "type": "function", "function": {"name": call.name}}
            start["function"]["arguments"] = ""
            yield {**head, "choices": [_delta({"tool_calls": [start]})]}
            rest = {"index": index, "function": {"arguments": arguments}}
            yield {**head, "choices": [_delta({"tool_calls": [rest]})]}
        finish: dict[str, Any] = {**head, "choices": [_delta({}, self.finish_reason)]}
        if not include_usage:
            finish["usage"] = self.usage
        yield finish
        if include_usage:
            yield {**head, "choices": [], "usage": self.usage}

    def _head(self, kind: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": kind,
            "created": self.created,
            "model": self.model,
            "system_fingerprint": SERVER_NAME,
        }

    def _calls(self) -> Iterator[tuple[str, Any, str]]:
        for call_id, call in zip(self.tool_call_ids, self.reply.tool_calls, strict=True):
            yield call_id, call, call.arguments_json()


def _delta(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}


def _pieces(text: str) -> list[str]:
    """Split content into word-sized pieces (whitespace stays with the word before it)."""
    pieces: list[str] = []
    for word in text.split(" "):
        pieces.append(word if not pieces else " " + word)
    return [piece for piece in pieces if piece]


def _other_answer(item: Item) -> _Answer:
    if isinstance(item, Fault):
        return _error(item.status, item.message, item.type, delay_s=item.delay_s)
    assert isinstance(item, Raw)
    body = item.body
    data = body if isinstance(body, bytes) else body.encode() if isinstance(body, str) else dumps(body)
    return _Answer(item.status, item.content_type, (data,), delay_s=item.delay_s)


def _error(
    status: int, message: str, kind: str, *, param: str | None = None, delay_s: float = 0.0
) -> _Answer:
    body = {"error": {"message": message, "type": kind, "param": param, "code": None}}
    return _Answer(status, "application/json", (dumps(body),), delay_s=delay_s)


def _invalid(request: object) -> tuple[str | None, str] | None:
    """``(param, message)`` if the request is not a usable chat completions request."""
    if not isinstance(request, dict):
        return None, "the request body must be a JSON object"
    if not isinstance(request.get("model"), str) or not request["model"]:
        return "model", "'model' is required and must be a non-empty string"
    messages = request.get("messages")
    if not isinstance(messages, list) or not all(isinstance(message, dict) for message in messages):
        return "messages", "'messages' is required and must be a list of objects"
    return _invalid_parameter(request)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _invalid_parameter(request: dict[str, Any]) -> tuple[str, str] | None:
    """The sampling fields are checked as OpenAI checks them, so an actor's mistake shows up offline."""
    for key in ("max_tokens", "max_completion_tokens"):
        if key in request and not (_is_int(request[key]) and request[key] >= 1):
            return key, f"'{key}' must be an integer >= 1, got {json.dumps(request[key])}"
    for key, high in (("temperature", 2), ("top_p", 1)):
        if key in request and not (_is_number(request[key]) and 0 <= request[key] <= high):
            return key, f"'{key}' must be a number from 0 to {high}, got {json.dumps(request[key])}"
    if "seed" in request and not _is_int(request["seed"]):
        return "seed", f"'seed' must be an integer, got {json.dumps(request['seed'])}"
    stop = request.get("stop")
    if stop is not None and not (
        isinstance(stop, str) or (isinstance(stop, list) and all(isinstance(s, str) for s in stop))
    ):
        return "stop", f"'stop' must be a string or a list of strings, got {json.dumps(stop)}"
    return None


def completion_limit(request: Mapping[str, Any]) -> int | None:
    """The tokens a reply may use: the smaller of ``max_tokens`` and ``max_completion_tokens``."""
    limits = [request[key] for key in ("max_tokens", "max_completion_tokens") if _is_int(request.get(key))]
    return min(limits) if limits else None


def shaped(reply: Reply, request: Mapping[str, Any]) -> Reply:
    """``reply`` as a model would give it under the request's ``stop`` and ``max_tokens``.

    The content ends before the first stop sequence in it. A reply longer than the limit (its scripted
    ``usage.completion_tokens``, else about four characters per token) is cut to the limit's worth of
    characters, loses its tool calls (a cut-off call is unusable) and finishes with ``"length"``.
    """
    content = reply.content
    stop = request.get("stop")
    sequences = [stop] if isinstance(stop, str) else stop if isinstance(stop, list) else []
    if content is not None:
        cuts = [content.find(seq) for seq in sequences if isinstance(seq, str) and seq and seq in content]
        if cuts:
            content = content[: min(cuts)]
    limit = completion_limit(request)
    used = reply.usage.completion_tokens if reply.usage else _completion_tokens(content, reply)
    if limit is None or used <= limit:
        return dataclasses.replace(reply, content=content)
    usage = Usage(reply.usage.prompt_tokens, limit) if reply.usage else None
    cut = (content or "")[: limit * CHARS_PER_TOKEN]
    return dataclasses.replace(reply, content=cut, tool_calls=(), usage=usage, finish_reason="length")


def _completion_tokens(content: str | None, reply: Reply) -> int:
    text = (content or "") + "".join(call.name + call.arguments_json() for call in reply.tool_calls)
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def _estimate_usage(request: Mapping[str, Any], reply: Reply) -> dict[str, int]:
    """About four characters per token: deterministic, and close enough to exercise token thresholds."""
    prompt = dumps([request.get("messages"), request.get("tools")])
    prompt_tokens = (len(prompt.decode()) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN
    completion_tokens = _completion_tokens(reply.content, reply)
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def dumps(value: object) -> bytes:
    """Compact UTF-8 JSON, the encoding of every body the server sends."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _redact(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (name, "<redacted>" if name.lower() in _SECRET_HEADERS else value) for name, value in headers
    )


def _loopback_host(host: str) -> str:
    address = "127.0.0.1" if host == "localhost" else host
    try:
        loopback = ipaddress.ip_address(address).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the embedded LLM only listens on loopback, not on {host!r}")
    return address


# --- HTTP plumbing ----------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[_Handler], llm: EmbeddedLLM) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.llm = llm
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up early (its timeout ran out) is normal; anything else is reported."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path in _HEALTH_PATHS:
            self._send(_Answer(200, "application/json", (dumps({"status": "ok"}),)))
        elif path in _MODELS_PATHS:
            self._send(_Answer(200, "application/json", (self.server.llm._models_body(),)))
        elif path in _CHAT_PATHS:
            self._send(_error(405, f"use POST for {path}", "invalid_request_error"))
        else:
            self._send(_error(404, f"unknown path {path}", "invalid_request_error"))

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        try:
            body = self._read_body()
        except ValueError as exc:
            self.close_connection = True
            self._send(_error(400, str(exc), "invalid_request_error"))
            return
        if path in _CHAT_PATHS:
            self._send(self.server.llm._chat(tuple(self.headers.items()), body, path))
        else:
            self._send(_error(404, f"unknown path {path}", "invalid_request_error"))

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            raise ValueError(f"bad Content-Length {length!r}")
        return self.rfile.read(int(length))

    def _read_chunked(self) -> bytes:
        data = bytearray()
        while True:
            line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                raise ValueError("bad chunked request body") from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return bytes(data)
            if len(data) + size > MAX_BODY_BYTES:
                raise ValueError("request body too large")
            data += self.rfile.read(size)
            self.rfile.readline(1024)

    def _send(self, answer: _Answer) -> None:
        if answer.delay_s > 0:
            time.sleep(answer.delay_s)
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        if answer.stream:
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(len(answer.chunks[0])))
        self.end_headers()
        for chunk in answer.chunks:
            self.wfile.write(chunk)
            self.wfile.flush()

    def send_response(self, code: int, message: str | None = None) -> None:
        """Like the base class, minus the ``Date`` header (responses stay byte-identical between runs)."""
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Server", self.version_string())

    def version_string(self) -> str:
        return SERVER_NAME

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: a notebook is no place for an access log."""
