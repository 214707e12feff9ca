"""One HTTP exchange: the seam between the ``http`` capability and the network.

``httpclient.send_request`` does everything a guest can observe apart from the exchange itself (URL checks,
host policy, redirects, retries, deadlines) and calls a ``Transport`` once per hop. A transport therefore
sends exactly one request and returns the response as it came, redirects included. That keeps wrappers
(record, replay, fault injection) simple: wrap ``send``, see every hop.
"""

from __future__ import annotations

import http.client
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from wasmind_nb.errors import WasmindError

DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
_READ_CHUNK = 65_536
# http.client sends ``Content-Length: 0`` for these when there is no body; some servers require it.
_METHODS_EXPECTING_BODY = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A response as the guest sees it. Header names are lower-case (as upstream's client gives them)."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class TransportError(WasmindError):
    """Base of the two failures a ``Transport`` may raise."""


class TransportTimeout(TransportError):
    """The exchange did not finish within ``timeout_s``."""


class TransportNetworkError(TransportError):
    """The exchange failed: no connection, TLS failure, malformed or cut-off response, ..."""


class Transport(Protocol):
    """Sends one HTTP request; must be safe to call from several threads at once."""

    def send(
        self,
        method: str,
        url: str,
        headers: tuple[tuple[str, str], ...],
        body: bytes | None,
        timeout_s: float | None,
    ) -> HttpResponse:
        """Send one request and return its response without following redirects.

        ``url`` is an absolute, validated ``http``/``https`` URL; ``method`` and ``headers`` are valid and
        are sent as given (order and duplicates kept). ``timeout_s`` bounds the whole exchange (``None``: no
        bound). Raises ``TransportTimeout`` or ``TransportNetworkError`` and nothing else on purpose; any
        other exception propagates to the caller of ``send_request``.
        """
        ...


class UrllibTransport:
    """The standard library's HTTP/1.1 client (``http.client``): one connection per request, no proxy.

    ``ssl_context`` defaults to the system's trust store with verification on, loaded at the first
    ``https`` request (loading it costs tens of milliseconds, and an offline run never needs it);
    ``max_body_bytes`` caps a response body (``None``: no cap), beyond which the exchange fails as a
    network error.
    """

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_body_bytes: int | None = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self._ssl_context = ssl_context
        self._ssl_lock = threading.Lock()
        self._max_body_bytes = max_body_bytes

    def _tls(self) -> ssl.SSLContext:
        with self._ssl_lock:
            if self._ssl_context is None:
                self._ssl_context = ssl.create_default_context()
            return self._ssl_context

    def send(
        self,
        method: str,
        url: str,
        headers: tuple[tuple[str, str], ...],
        body: bytes | None,
        timeout_s: float | None,
    ) -> HttpResponse:
        """See ``Transport.send``."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        try:
            conn = self._connection(url, _time_left(deadline))
            try:
                _send_head_and_body(conn, method, url, headers, body)
                _arm(conn, deadline)
                response = conn.getresponse()
                data = self._read_body(conn, response, deadline)
            finally:
                conn.close()
        except TimeoutError as exc:
            raise TransportTimeout(f"{method} {url} timed out") from exc
        except (OSError, http.client.HTTPException, UnicodeError) as exc:
            raise TransportNetworkError(f"{method} {url} failed: {_describe(exc)}") from exc
        received = tuple((name.lower(), _decode_value(value)) for name, value in response.getheaders())
        return HttpResponse(response.status, received, data)

    def _connection(self, url: str, timeout: float | None) -> http.client.HTTPConnection:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
        if parts.scheme.lower() == "https":
            return http.client.HTTPSConnection(host, port, timeout=timeout, context=self._tls())
        return http.client.HTTPConnection(host, port, timeout=timeout)

    def _read_body(
        self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse, deadline: float | None
    ) -> bytes:
        data = bytearray()
        while True:
            _arm(conn, deadline)
            chunk = response.read1(_READ_CHUNK)
            if not chunk:
                return bytes(data)
            data += chunk
            if self._max_body_bytes is not None and len(data) > self._max_body_bytes:
                raise TransportNetworkError(f"response body exceeds {self._max_body_bytes} bytes")


def _send_head_and_body(
    conn: http.client.HTTPConnection,
    method: str,
    url: str,
    headers: tuple[tuple[str, str], ...],
    body: bytes | None,
) -> None:
    names = {name.lower() for name, _ in headers}
    conn.putrequest(method, _request_target(url), skip_host="host" in names, skip_accept_encoding=True)
    for name, value in headers:
        conn.putheader(name, value.encode("utf-8"))
    if "content-length" not in names and "transfer-encoding" not in names:
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        elif method.upper() in _METHODS_EXPECTING_BODY:
            conn.putheader("Content-Length", "0")
    conn.endheaders(body)


def _request_target(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def _arm(conn: http.client.HTTPConnection, deadline: float | None) -> None:
    """Give the connection's socket what is left of the deadline before its next blocking call."""
    if conn.sock is not None:
        conn.sock.settimeout(_time_left(deadline))


def _time_left(deadline: float | None) -> float | None:
    """Seconds until ``deadline`` (``None``: no deadline); raises ``TimeoutError`` once it has passed."""
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


def _decode_value(value: str) -> str:
    """``http.client`` decodes header values as Latin-1; servers that send UTF-8 get it back as UTF-8."""
    return value.encode("latin-1").decode("utf-8", "replace")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, http.client.RemoteDisconnected):
        return "connection closed by the server without a response"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
