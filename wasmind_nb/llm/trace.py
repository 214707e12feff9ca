"""Record the HTTP exchanges of a run to a JSONL trace, and replay a run from one with no network.

Both wrap the host's ``Transport`` (one call of ``send`` per HTTP exchange). A trace has one JSON object per
line: ``seq``, ``method``, ``url``, ``request_headers``, ``request_body``, ``status``, ``response_headers``,
``response_body``, ``elapsed_ms`` and ``error``. A body is ``null`` (none), ``{"json": value}``,
``{"text": str}`` or ``{"base64": str}``; a response body is stored as ``json`` only when its bytes are the
compact JSON encoding of the value (as the embedded server sends), so replay gives back the exact bytes.

Secrets never reach the file. These become ``"<redacted>"``: the values of the headers in
``SECRET_HEADERS`` (``Authorization``, ``Cookie``, ``Set-Cookie``, ``X-Api-Key``, ...) and of those named in
``redact_headers``; the values of credential-looking URL query parameters (``api_key``, ``token``,
``access_token``, ``key``, ``password``, ``secret``, ``sig``, ... see ``is_secret_param``), in the URL and
in error text; and any header value, URL query value, JSON string or error text equal to the value of an
environment variable named in ``secret_env``. Secret values of 8 characters or more are also replaced where
they occur inside a longer string (``"Bearer <redacted>"``). A replay redacts each request the same way
before comparing, and never compares a header that was recorded redacted, so requests whose secrets
differ still match.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn, Self
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from wasmind_nb.errors import ConfigError, ReplayMismatch
from wasmind_nb.host.credential import CREDENTIAL_HEADERS
from wasmind_nb.host.transport import (
    AddressCheck,
    HttpResponse,
    Transport,
    TransportCancelled,
    TransportNetworkError,
    TransportRefused,
    TransportTimeout,
)

REDACTED = "<redacted>"
SECRET_HEADERS = CREDENTIAL_HEADERS
"""Headers whose values are always redacted (and never compared on replay)."""
_SECRET_PARAM = re.compile(
    r"(?:^|.*[_.\-])(?:api[_\-]?key|apikey|key|token|secret|password|passwd|pwd|pass|sig|signature"
    r"|auth|authorization|credential|credentials|session|sessionid|sid|jwt)$"
)
VOLATILE_HEADERS = frozenset(
    {"host", "content-length", "user-agent", "date", "connection", "accept-encoding", "transfer-encoding"}
)
"""Headers a replay does not compare: they change between runs without changing the request's meaning."""
_SUBSTRING_MIN = 8
_DIFF_LINES = 8
_QUOTE_LIMIT = 80

Headers = tuple[tuple[str, str], ...]


# --- redaction and encoding ---------------------------------------------------------------------------


def is_secret_param(name: str) -> bool:
    """Whether a URL query parameter of this name carries a credential (``api_key``, ``X-Amz-Signature``)."""
    return bool(_SECRET_PARAM.fullmatch(name.strip().lower()))


class _Redaction:
    """Secret-replacing for one exchange (environment variables are read when it is made)."""

    def __init__(self, secret_env: Sequence[str], secret_headers: frozenset[str] = SECRET_HEADERS) -> None:
        values = {os.environ.get(name, "") for name in secret_env}
        self._exact = {value for value in values if value}
        self._inner = sorted((value for value in self._exact if len(value) >= _SUBSTRING_MIN), key=len)[::-1]
        self._headers = secret_headers

    def text(self, value: str) -> str:
        if value in self._exact:
            return REDACTED
        for secret in self._inner:
            value = value.replace(secret, REDACTED)
        return value

    def headers(self, headers: Iterable[tuple[str, str]]) -> list[list[str]]:
        return [
            [name, REDACTED if name.lower() in self._headers else self.text(value)] for name, value in headers
        ]

    def url(self, url: str) -> str:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        if any(self._secret_pair(key, value) for key, value in query):
            query = [(key, REDACTED if self._secret_pair(key, value) else value) for key, value in query]
            parts = parts._replace(query=urlencode(query, safe="<>"))
        return self.text(urlunsplit(parts))

    def error(self, message: str, url: str) -> str:
        """An error message that may quote ``url``: the URL redacted, then the text."""
        return self.text(message.replace(url, self.url(url)) if url else message)

    def _secret_pair(self, key: str, value: str) -> bool:
        return bool(value) and (value in self._exact or is_secret_param(key))

    def json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(item) for item in value]
        if isinstance(value, dict):
            return {key: self.json(item) for key, item in value.items()}
        return value


def _compact(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _encode_body(body: bytes | None, redaction: _Redaction, *, exact: bool) -> dict[str, Any] | None:
    """Store a body: as JSON when it parses (and, if ``exact``, when that gives back the same bytes)."""
    if body is None:
        return None
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        pass
    else:
        if not exact or _compact(value) == body:
            return {"json": redaction.json(value)}
    try:
        return {"text": redaction.text(body.decode("utf-8"))}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(body).decode("ascii")}


def _decode_body(stored: dict[str, Any] | None) -> bytes | None:
    if stored is None:
        return None
    if "json" in stored:
        return _compact(stored["json"])
    if "text" in stored:
        return str(stored["text"]).encode("utf-8")
    return base64.b64decode(stored["base64"])


# --- recording ----------------------------------------------------------------------------------------


class RecordingTransport:
    """A ``Transport`` that sends through ``inner`` and appends every exchange to the trace at ``path``.

    The file is created (or emptied; ``append=True`` continues it) when the recorder is made, and each line is
    flushed as soon as its exchange ends, so a crashed run still leaves a readable trace. Safe to use from
    several threads: lines (and their ``seq``) follow the order in which the sends *complete*. A failed send
    is recorded with its ``error`` and re-raised unchanged.
    """

    def __init__(
        self,
        inner: Transport,
        path: str | PathLike[str],
        *,
        secret_env: Iterable[str] = (),
        redact_headers: Iterable[str] = (),
        append: bool = False,
    ) -> None:
        self._inner = inner
        self._secret_env = tuple(secret_env)
        self._secret_headers = SECRET_HEADERS | {name.lower() for name in redact_headers}
        self.path = Path(path)
        self._lock = threading.Lock()
        self._seq = _count_lines(self.path) if append else 0
        self._file = self.path.open("a" if append else "w", encoding="utf-8")

    @property
    def count(self) -> int:
        """How many exchanges the trace holds."""
        with self._lock:
            return self._seq

    def send(
        self,
        method: str,
        url: str,
        headers: Headers,
        body: bytes | None,
        timeout_s: float | None,
        *,
        check_address: AddressCheck | None = None,
    ) -> HttpResponse:
        """Send through the inner transport and record the exchange (see ``Transport.send``)."""
        started = time.perf_counter()
        try:
            response = self._inner.send(method, url, headers, body, timeout_s, check_address=check_address)
        except Exception as exc:
            self._write(method, url, headers, body, started, None, exc)
            raise
        self._write(method, url, headers, body, started, response, None)
        return response

    def close(self) -> None:
        with self._lock:
            self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _write(
        self,
        method: str,
        url: str,
        headers: Headers,
        body: bytes | None,
        started: float,
        response: HttpResponse | None,
        error: Exception | None,
    ) -> None:
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        redaction = _Redaction(self._secret_env, self._secret_headers)
        entry: dict[str, Any] = {
            "seq": 0,
            "method": method,
            "url": redaction.url(url),
            "request_headers": redaction.headers(headers),
            "request_body": _encode_body(body, redaction, exact=False),
            "status": response.status if response else None,
            "response_headers": redaction.headers(response.headers) if response else None,
            "response_body": _encode_body(response.body, redaction, exact=True) if response else None,
            "elapsed_ms": elapsed_ms,
            "error": _encode_error(error, url, redaction) if error else None,
        }
        with self._lock:
            entry["seq"] = self._seq
            self._file.write(json.dumps(entry, ensure_ascii=False) + "\n")
            self._file.flush()
            self._seq += 1


def _encode_error(error: Exception, url: str, redaction: _Redaction) -> dict[str, Any]:
    encoded: dict[str, Any] = {"type": type(error).__name__, "message": redaction.error(str(error), url)}
    if isinstance(error, TransportRefused):
        encoded["target"] = error.target
    return encoded


def _count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open(encoding="utf-8") as file:
        return sum(1 for line in file if line.strip())


# --- replay -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Request:
    """A request as replay compares it: method, path+query, headers and body, all redacted."""

    method: str
    target: str
    query: tuple[tuple[str, str], ...]
    headers: dict[str, list[str]]
    body: dict[str, Any] | None

    @classmethod
    def make(
        cls,
        method: str,
        url: str,
        headers: Iterable[Sequence[str]],
        body: dict[str, Any] | None,
        ignored: frozenset[str],
    ) -> _Request:
        parts = urlsplit(url)
        compared: dict[str, list[str]] = {}
        for name, value in headers:
            key = name.lower()
            if key not in ignored and value != REDACTED:
                compared.setdefault(key, []).append(value)
        query = tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))
        target = parts.path or "/"
        return cls(method.upper(), target + (f"?{parts.query}" if parts.query else ""), query, compared, body)


class ReplayTransport:
    """A ``Transport`` that answers from a trace, with no network.

    Each request is first compared with the next unused recorded one: method, URL path and query (scheme,
    host and port are ignored: the embedded server's port changes between runs), headers (minus secret and
    ``VOLATILE_HEADERS`` and ``ignore_headers``) and body (JSON compared as values, so key order and spacing
    do not matter). The first difference raises ``ReplayMismatch`` naming the recorded ``seq`` with a short
    diff; so does a request once the trace is used up. A recorded failure is raised again
    (``TransportTimeout``, else ``TransportNetworkError``).

    Requests are matched in the order they *arrive*, while a recording lists them in the order they
    *completed*. With several threads sending at once the two can differ; ``strict_order=False`` then lets a
    request take the earliest unused recorded exchange that it matches exactly (the mismatch diff, if none
    does, is still against the next unused one). Safe to use from several threads.
    """

    def __init__(
        self,
        path: str | PathLike[str],
        *,
        secret_env: Iterable[str] = (),
        redact_headers: Iterable[str] = (),
        strict_order: bool = True,
        ignore_headers: Iterable[str] = (),
    ) -> None:
        self.path = Path(path)
        self._secret_env = tuple(secret_env)
        self._secret_headers = SECRET_HEADERS | {name.lower() for name in redact_headers}
        self._strict = strict_order
        self._exchanges = _read_trace(self.path)
        redacted = {
            str(name).lower()
            for exchange in self._exchanges
            for name, value in exchange["request_headers"] or []
            if value == REDACTED
        }
        self._ignored = (
            VOLATILE_HEADERS | self._secret_headers | redacted | {name.lower() for name in ignore_headers}
        )
        self._recorded = [
            _Request.make(e["method"], e["url"], e["request_headers"] or [], e["request_body"], self._ignored)
            for e in self._exchanges
        ]
        self._used = [False] * len(self._exchanges)
        self._sent = 0
        self._mismatches: list[ReplayMismatch] = []
        self._lock = threading.Lock()

    def recorded_origin(self) -> str | None:
        """``scheme://host:port`` of the first recorded request (the base URL the recorded run used)."""
        if not self._exchanges:
            return None
        parts = urlsplit(self._exchanges[0]["url"])
        return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None

    @property
    def remaining(self) -> int:
        """How many recorded exchanges have not been replayed."""
        with self._lock:
            return self._used.count(False)

    @property
    def mismatches(self) -> list[ReplayMismatch]:
        """Every ``ReplayMismatch`` raised so far."""
        with self._lock:
            return list(self._mismatches)

    def check(self, *, complete: bool = False) -> None:
        """Raise the first mismatch, if any; with ``complete=True`` also if recorded exchanges are left."""
        with self._lock:
            if self._mismatches:
                raise self._mismatches[0]
            unused = [index for index, used in enumerate(self._used) if not used]
        if complete and unused:
            first = self._exchanges[unused[0]]
            raise ReplayMismatch(
                f"replay of {self.path.name} ended with {len(unused)} recorded exchanges unused, "
                f"from seq {first['seq']} ({first['method']} {self._recorded[unused[0]].target})"
            )

    def send(
        self,
        method: str,
        url: str,
        headers: Headers,
        body: bytes | None,
        timeout_s: float | None,
        *,
        check_address: AddressCheck | None = None,
    ) -> HttpResponse:
        """Answer from the trace (see ``Transport.send``); raises ``ReplayMismatch`` on a difference.

        Nothing is resolved or connected, so ``check_address`` is not called; a recorded refusal is
        raised again as ``TransportRefused``.
        """
        redaction = _Redaction(self._secret_env, self._secret_headers)
        incoming = _Request.make(
            method,
            redaction.url(url),
            redaction.headers(headers),
            _encode_body(body, redaction, exact=False),
            self._ignored,
        )
        with self._lock:
            number = self._sent
            self._sent += 1
            index = self._match(incoming, number)
            self._used[index] = True
        exchange = self._exchanges[index]
        error = exchange.get("error")
        if error:
            message = str(error.get("message", "recorded failure"))
            if error.get("type") == "TransportRefused":
                raise TransportRefused(str(error.get("target", "")), message)
            kinds = {"TransportTimeout": TransportTimeout, "TransportCancelled": TransportCancelled}
            raise kinds.get(str(error.get("type")), TransportNetworkError)(message)
        return HttpResponse(
            int(exchange["status"]),
            tuple((str(name), str(value)) for name, value in exchange["response_headers"] or []),
            _decode_body(exchange["response_body"]) or b"",
        )

    def _match(self, incoming: _Request, number: int) -> int:
        """The index of the recorded exchange that answers ``incoming`` (called with the lock held)."""
        unused = [index for index, used in enumerate(self._used) if not used]
        if not unused:
            self._fail(
                f"replay of {self.path.name} is exhausted: request #{number} ({incoming.method} "
                f"{incoming.target}) came after all {len(self._exchanges)} recorded exchanges were used"
            )
        differences = _differences(self._recorded[unused[0]], incoming)
        if not differences:
            return unused[0]
        if not self._strict:
            for index in unused[1:]:
                if not _differences(self._recorded[index], incoming):
                    return index
        shown = differences[:_DIFF_LINES]
        if len(differences) > _DIFF_LINES:
            shown.append(f"... and {len(differences) - _DIFF_LINES} more differences")
        seq = self._exchanges[unused[0]]["seq"]
        self._fail(
            f"replay mismatch at seq {seq} of {self.path.name} (request #{number}, {incoming.method} "
            f"{incoming.target}); recorded vs sent:\n  " + "\n  ".join(shown)
        )

    def _fail(self, message: str) -> NoReturn:
        error = ReplayMismatch(message)
        self._mismatches.append(error)
        raise error


def _read_trace(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read trace: {exc.strerror or exc}", file=str(path)) from exc
    exchanges: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"trace line {number} is not valid JSON: {exc}", file=str(path)) from exc
        if not isinstance(entry, dict) or not {"seq", "method", "url"} <= entry.keys():
            raise ConfigError(
                f"trace line {number} is not an exchange (needs seq, method, url)", file=str(path)
            )
        exchanges.append(entry)
    return sorted(exchanges, key=lambda entry: entry["seq"])


# --- differences --------------------------------------------------------------------------------------


def _differences(recorded: _Request, sent: _Request) -> list[str]:
    found: list[str] = []
    if recorded.method != sent.method:
        found.append(f"method: {recorded.method} vs {sent.method}")
    if recorded.target.split("?")[0] != sent.target.split("?")[0] or recorded.query != sent.query:
        found.append(f"url: {recorded.target} vs {sent.target}")
    for name in sorted(recorded.headers.keys() | sent.headers.keys()):
        before, after = recorded.headers.get(name, _ABSENT), sent.headers.get(name, _ABSENT)
        if before != after:
            found.append(f"header {name}: {_quote(before)} vs {_quote(after)}")
    if (recorded.body is None) != (sent.body is None):
        found.append(f"body: {_body_kind(recorded.body)} vs {_body_kind(sent.body)}")
    elif recorded.body is not None and sent.body is not None:
        if "json" in recorded.body and "json" in sent.body:
            _json_differences(recorded.body["json"], sent.body["json"], "body", found)
        elif recorded.body != sent.body:
            found.append(f"body: {_body_kind(recorded.body)} vs {_body_kind(sent.body)}")
    return found


_ABSENT = object()


def _json_differences(recorded: Any, sent: Any, where: str, found: list[str]) -> None:
    if isinstance(recorded, dict) and isinstance(sent, dict):
        for key in list(recorded) + [key for key in sent if key not in recorded]:
            _json_differences(recorded.get(key, _ABSENT), sent.get(key, _ABSENT), f"{where}.{key}", found)
    elif isinstance(recorded, list) and isinstance(sent, list):
        if len(recorded) != len(sent):
            found.append(f"{where}: {len(recorded)} items vs {len(sent)} items")
        for index, (before, after) in enumerate(zip(recorded, sent, strict=False)):
            _json_differences(before, after, f"{where}[{index}]", found)
    elif not _same_scalar(recorded, sent):
        if isinstance(recorded, str) and isinstance(sent, str):
            found.append(f"{where}: {_string_pair(recorded, sent)}")
        else:
            found.append(f"{where}: {_quote(recorded)} vs {_quote(sent)}")


def _same_scalar(recorded: Any, sent: Any) -> bool:
    if isinstance(recorded, bool) or isinstance(sent, bool):
        return type(recorded) is type(sent) and recorded == sent
    if isinstance(recorded, dict | list) or isinstance(sent, dict | list):
        return False
    return recorded is sent or (recorded is not _ABSENT and sent is not _ABSENT and recorded == sent)


def _string_pair(recorded: str, sent: str) -> str:
    """Both strings, cut around the first character where they differ."""
    start = 0
    while start < min(len(recorded), len(sent)) and recorded[start] == sent[start]:
        start += 1
    cut = max(0, start - 20)
    prefix = "..." if cut else ""
    return f"{_quote(recorded[cut:], prefix)} vs {_quote(sent[cut:], prefix)}"


def _quote(value: Any, prefix: str = "") -> str:
    if value is _ABSENT:
        return "(absent)"
    text = json.dumps(value, ensure_ascii=False)
    if len(text) > _QUOTE_LIMIT:
        text = text[: _QUOTE_LIMIT - 3] + "..."
    if prefix and text.startswith('"'):
        text = '"' + prefix + text[1:]
    return text


def _body_kind(body: dict[str, Any] | None) -> str:
    if body is None:
        return "(no body)"
    if "json" in body:
        return "JSON " + _quote(body["json"])
    data = _decode_body(body) or b""
    return f"{len(data)} bytes"
