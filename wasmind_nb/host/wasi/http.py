"""``wasi:http`` (types, outgoing-handler) in Python, sent through the ``http`` capability.

A request leaves when the guest waits for its response (``future-incoming-response``'s pollable, or
``get``), on the guest's own thread: ``ctx.services.send_http``, the same policy, transport, denials,
redirects, retries and size caps as ``wasmind:actor/http``, inside ``ctx.blocked()`` so the wait is not
the guest's time. The host's credential (the LLM key) is never added: ``send_http`` adds it only to
actors granted ``llm``, and only to the model's chat path, exactly as for the ``http`` capability.
The response body is held by the host (bounded by the transport's cap) and read by the guest as a stream.
A component here only sends requests: the incoming-request and outgoing-response side traps.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from wasmtime.component import Variant

from wasmind_nb.host import context
from wasmind_nb.host.httpclient import (
    BuilderError,
    HttpRequestSpec,
    HttpResponse,
    InvalidUrl,
    NetworkError,
    Refused,
    RequestError,
    Timeout,
)
from wasmind_nb.host.wasi.io import InputStream, IoError, OutputStream, Pollable, WorkPollable

#: The time limit of a request whose options set none (wasmtime's default first-byte timeout).
DEFAULT_TIMEOUT_S = 600.0
#: Headers a guest may not set: the transport owns the connection (as in wasmtime's wasi:http).
FORBIDDEN_HEADERS = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host", "http2-settings"}
)
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_OK = Variant("ok")
_ERR = Variant("err")


class Fields:
    """``fields`` (headers, trailers): names lower-cased, values bytes, order and duplicates kept."""

    def __init__(self, entries: list[tuple[str, bytes]] | None = None, *, mutable: bool = True) -> None:
        self.entries = list(entries or [])
        self.mutable = mutable

    @staticmethod
    def from_list(entries: list[tuple[str, bytes]]) -> Variant:
        fields = Fields()
        for name, value in entries:
            problem = fields.append(name, value)
            if problem.tag == "err":
                return problem
        return Variant("ok", fields)

    def get(self, name: str) -> list[bytes]:
        return [v for n, v in self.entries if n == name.lower()]

    def has(self, name: str) -> bool:
        return any(n == name.lower() for n, _ in self.entries)

    def set(self, name: str, values: list[bytes]) -> Variant:
        problem = self._check(name, *values)
        if problem is not None:
            return problem
        self.entries = [(n, v) for n, v in self.entries if n != name.lower()]
        self.entries += [(name.lower(), bytes(v)) for v in values]
        return _OK

    def delete(self, name: str) -> Variant:
        problem = self._check(name)
        if problem is not None:
            return problem
        self.entries = [(n, v) for n, v in self.entries if n != name.lower()]
        return _OK

    def append(self, name: str, value: bytes) -> Variant:
        problem = self._check(name, value)
        if problem is not None:
            return problem
        self.entries.append((name.lower(), bytes(value)))
        return _OK

    def entry_list(self) -> list[tuple[str, bytes]]:
        return list(self.entries)

    def clone(self) -> Fields:
        return Fields(self.entries)

    def _check(self, name: str, *values: bytes) -> Variant | None:
        if not self.mutable:
            return Variant("err", Variant("immutable"))
        if not _TOKEN.fullmatch(name) or any(_BAD_VALUE.search(bytes(v)) for v in values):
            return Variant("err", Variant("invalid-syntax"))
        if name.lower() in FORBIDDEN_HEADERS:
            return Variant("err", Variant("forbidden"))
        return None


class OutgoingBody:
    """A request body the guest writes through one output stream, then finishes."""

    def __init__(self, request: OutgoingRequest) -> None:
        self.data = bytearray()
        self.finished = False
        self._stream_taken = False
        self._request = request

    def write(self) -> Variant:
        if self._stream_taken:
            return _ERR
        self._stream_taken = True
        return Variant("ok", OutputStream(self._append))

    def _append(self, data: bytes) -> None:
        if len(self.data) + len(data) > _max_body():
            raise ValueError(f"the request body is larger than the {_max_body():,}-byte limit")
        self.data += data

    @staticmethod
    def finish(body: OutgoingBody, trailers: Any) -> Variant:
        body.finished = True
        return _OK

    def close(self) -> None:  # dropped by the guest without finish: the request is not sent
        if not self.finished:
            self._request.abandoned = True


def _max_body() -> int:
    from wasmind_nb.host.bytelists import MAX_PAYLOAD_BYTES

    return MAX_PAYLOAD_BYTES


class OutgoingRequest:
    def __init__(self, headers: Fields) -> None:
        self.headers = headers
        self.method: Variant = Variant("get")
        self.scheme: Variant | None = None
        self.authority: str | None = None
        self.path_with_query: str | None = None
        self.body: OutgoingBody | None = None
        self.abandoned = False

    def take_body(self) -> Variant:
        if self.body is not None:
            return _ERR
        self.body = OutgoingBody(self)
        return Variant("ok", self.body)

    def set_method(self, method: Variant) -> Variant:
        if method.tag == "other" and not _TOKEN.fullmatch(method.payload):
            return _ERR
        self.method = method
        return _OK

    def set_scheme(self, scheme: Variant | None) -> Variant:
        self.scheme = scheme
        return _OK

    def set_authority(self, authority: str | None) -> Variant:
        if authority is not None and re.search(r"[\s/?#@\\]", authority):
            return _ERR
        self.authority = authority
        return _OK

    def set_path(self, path: str | None) -> Variant:
        if path is not None and (not path.startswith("/") or re.search(r"[\x00-\x20\x7f#]", path)):
            return _ERR
        self.path_with_query = path
        return _OK


class RequestOptions:
    def __init__(self) -> None:
        self.timeouts: dict[str, int | None] = {"connect": None, "first-byte": None, "between-bytes": None}

    def setter(self, key: str) -> Callable[[int | None], Variant]:
        def set_(ns: int | None) -> Variant:
            self.timeouts[key] = ns
            return _OK

        return set_

    def timeout_s(self) -> float:
        connect, first = self.timeouts["connect"], self.timeouts["first-byte"]
        if connect is None and first is None:
            return DEFAULT_TIMEOUT_S
        return ((connect or 0) + (first or 0)) / 1e9


class IncomingBody:
    def __init__(self, data: bytes) -> None:
        self._data: bytes | None = data

    def stream(self) -> Variant:
        if self._data is None:
            return _ERR
        data, self._data = self._data, None
        return Variant("ok", InputStream(data))


class IncomingResponse:
    def __init__(self, response: HttpResponse) -> None:
        self.status = response.status
        self.headers = [(k, v.encode()) for k, v in response.headers]
        self._body: IncomingBody | None = IncomingBody(response.body)

    def consume(self) -> Variant:
        if self._body is None:
            return _ERR
        body, self._body = self._body, None
        return Variant("ok", body)


class FutureIncomingResponse:
    """A request that is sent when the guest first waits for it (its body finished by then)."""

    def __init__(self, request: OutgoingRequest, options: RequestOptions | None) -> None:
        self._request = request
        self._options = options or RequestOptions()
        self._outcome: Variant | None = None
        self._taken = False

    def done(self) -> bool:
        return self._outcome is not None

    def send(self) -> None:
        if self._outcome is not None:
            return
        spec = _spec_of(self._request, self._options)
        if isinstance(spec, Variant):
            self._outcome = Variant("err", spec)
            return
        ctx = context.current()
        with ctx.blocked():  # the wait for the response is not the guest's time
            outcome = ctx.services.send_http(ctx, spec)
        self._outcome = _response_or_error(outcome)

    def subscribe(self) -> Pollable:
        return WorkPollable(self.done, self.send)

    def get(self) -> Variant:
        if self._outcome is None:
            return Variant("none")
        if self._taken:
            return Variant("some", _ERR)
        self._taken = True
        return Variant("some", Variant("ok", self._outcome))


def _response_or_error(outcome: HttpResponse | RequestError) -> Variant:
    if isinstance(outcome, HttpResponse):
        return Variant("ok", IncomingResponse(outcome))
    return Variant("err", error_code(outcome))


def error_code(error: RequestError) -> Variant:
    """The ``wasi:http`` ``error-code`` for an ``http`` capability error."""
    if isinstance(error, Refused):
        return Variant("HTTP-request-denied")
    if isinstance(error, Timeout):
        return Variant("HTTP-response-timeout")
    if isinstance(error, InvalidUrl):
        return Variant("HTTP-request-URI-invalid")
    if isinstance(error, BuilderError):
        return Variant("internal-error", Variant("some", error.message))
    message = error.message if isinstance(error, NetworkError) else str(error)
    if "response body exceeds" in message:
        return Variant("HTTP-response-body-size", Variant("none"))
    if "cut short" in message:
        return Variant("HTTP-response-incomplete")
    if "Connection refused" in message:
        return Variant("connection-refused")
    if "cannot resolve host" in message:
        return Variant("DNS-error", _dns_error(message))
    return Variant("internal-error", Variant("some", message))


def _dns_error(message: str) -> Any:
    class _Payload:
        rcode = Variant("some", message)
        info_code = Variant("none")

    return _Payload()


def handle(request: OutgoingRequest, options: RequestOptions | None) -> Variant:
    """``wasi:http/outgoing-handler.handle``: a future response (sent when the guest waits for it)."""
    if request.authority is None:
        return Variant("err", Variant("HTTP-request-URI-invalid"))
    if request.scheme is not None and request.scheme.tag == "other":
        return Variant("err", Variant("HTTP-protocol-error"))
    return Variant("ok", FutureIncomingResponse(request, options))


def _spec_of(request: OutgoingRequest, options: RequestOptions) -> HttpRequestSpec | Variant:
    """What the ``http`` capability sends for ``request``, or the error code why nothing can be sent."""
    body = request.body
    if request.abandoned or (body is not None and not body.finished):
        return Variant("internal-error", Variant("some", "the request body was not finished"))
    scheme = (request.scheme or Variant("HTTPS")).tag.lower()
    method = request.method.payload if request.method.tag == "other" else request.method.tag.upper()
    url = f"{scheme}://{request.authority}{request.path_with_query or '/'}"
    data = bytes(body.data) if body is not None else None
    headers = tuple((name, value.decode("utf-8", "replace")) for name, value in request.headers.entries)
    return HttpRequestSpec(method=method, url=url, headers=headers, body=data, timeout_s=options.timeout_s())


def _http_error_code(err: IoError) -> Variant:
    return Variant("none") if err.http_code is None else Variant("some", err.http_code)


def _serving(*args: Any) -> Any:
    raise RuntimeError("wasi:http: a component here can send requests, not serve them")


def _future_trailers_get(trailers: Any) -> Variant:
    return Variant("some", Variant("ok", Variant("ok", Variant("none"))))


def functions() -> dict[str, dict[str, Callable[..., Any]]]:
    """The ``wasi:http`` functions, by interface (without version) and function name."""
    req, opts = OutgoingRequest, RequestOptions
    types: dict[str, Callable[..., Any]] = {
        "[constructor]fields": lambda: Fields(),
        "[static]fields.from-list": Fields.from_list,
        "[method]fields.get": Fields.get,
        "[method]fields.has": Fields.has,
        "[method]fields.set": Fields.set,
        "[method]fields.delete": Fields.delete,
        "[method]fields.append": Fields.append,
        "[method]fields.entries": Fields.entry_list,
        "[method]fields.clone": Fields.clone,
        "[constructor]outgoing-request": lambda headers: OutgoingRequest(_owned_headers(headers)),
        "[method]outgoing-request.body": req.take_body,
        "[method]outgoing-request.method": lambda r: r.method,
        "[method]outgoing-request.set-method": req.set_method,
        "[method]outgoing-request.path-with-query": lambda r: _option(r.path_with_query),
        "[method]outgoing-request.set-path-with-query": req.set_path,
        "[method]outgoing-request.scheme": lambda r: _option(r.scheme),
        "[method]outgoing-request.set-scheme": req.set_scheme,
        "[method]outgoing-request.authority": lambda r: _option(r.authority),
        "[method]outgoing-request.set-authority": req.set_authority,
        "[method]outgoing-request.headers": lambda r: Fields(r.headers.entries, mutable=False),
        "[constructor]request-options": lambda: RequestOptions(),
        "[method]request-options.connect-timeout": lambda o: _option(o.timeouts["connect"]),
        "[method]request-options.set-connect-timeout": lambda o, ns: opts.setter(o, "connect")(ns),
        "[method]request-options.first-byte-timeout": lambda o: _option(o.timeouts["first-byte"]),
        "[method]request-options.set-first-byte-timeout": lambda o, ns: opts.setter(o, "first-byte")(ns),
        "[method]request-options.between-bytes-timeout": lambda o: _option(o.timeouts["between-bytes"]),
        "[method]request-options.set-between-bytes-timeout": lambda o, ns: opts.setter(o, "between-bytes")(
            ns
        ),
        "[method]incoming-response.status": lambda r: r.status,
        "[method]incoming-response.headers": lambda r: Fields(r.headers, mutable=False),
        "[method]incoming-response.consume": IncomingResponse.consume,
        "[method]incoming-body.stream": IncomingBody.stream,
        "[static]incoming-body.finish": lambda body: Pollable(),
        "[method]future-trailers.subscribe": lambda t: Pollable(),
        "[method]future-trailers.get": _future_trailers_get,
        "[method]outgoing-body.write": OutgoingBody.write,
        "[static]outgoing-body.finish": OutgoingBody.finish,
        "[method]future-incoming-response.subscribe": FutureIncomingResponse.subscribe,
        "[method]future-incoming-response.get": FutureIncomingResponse.get,
        "http-error-code": _http_error_code,
    }
    for name in (
        "[method]incoming-request.method", "[method]incoming-request.path-with-query",
        "[method]incoming-request.scheme", "[method]incoming-request.authority",
        "[method]incoming-request.headers", "[method]incoming-request.consume",
        "[static]response-outparam.set", "[constructor]outgoing-response",
        "[method]outgoing-response.status-code", "[method]outgoing-response.set-status-code",
        "[method]outgoing-response.headers", "[method]outgoing-response.body",
    ):  # fmt: skip
        types[name] = _serving
    return {"wasi:http/types": types, "wasi:http/outgoing-handler": {"handle": handle}}


def _owned_headers(headers: Fields) -> Fields:
    headers.mutable = False  # the request's headers are immutable from now on (as the WIT says)
    return headers


def _option(value: Any) -> Variant:
    return Variant("none") if value is None else Variant("some", value)
