"""One HTTP exchange: the seam between the ``http`` capability and the network.

``httpclient.send_request`` does everything a guest can observe apart from the exchange itself (URL checks,
host policy, redirects, retries, deadlines) and calls a ``Transport`` once per hop. A transport therefore
sends exactly one request and returns the response as it came, redirects included. That keeps wrappers
(record, replay, fault injection) simple: wrap ``send``, see every hop, pass ``check_address`` on.

A transport that connects resolves the URL's host itself, calls ``check_address(host, port, address)`` for
each address and connects only to one that passed, so the address checked is the address reached (no DNS
rebinding between check and connect); TLS and the ``Host`` header still use the name.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from wasmind_nb.errors import WasmindError
from wasmind_nb.host import cancel

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


AddressCheck = Callable[[str, int, str], "Refusal | None"]
"""``check_address(host, port, address)``: ``None`` if ``host`` may be reached at ``address``."""
Resolver = Callable[[str, int], Sequence[str]]
"""``resolve(host, port)``: the IP addresses to try for ``host``, in order."""


class Refusal(Protocol):
    """What an address check refuses with (``host.denial.Denial``): a target and a reason."""

    @property
    def target(self) -> str: ...

    @property
    def reason(self) -> str: ...


class TransportError(WasmindError):
    """Base of the failures a ``Transport`` may raise."""


class TransportRefused(TransportError):
    """``check_address`` refused every address the host resolved to; nothing was sent."""

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(reason)
        self.target = target
        self.reason = reason


class TransportTimeout(TransportError):
    """The exchange did not finish within ``timeout_s``."""


class TransportNetworkError(TransportError):
    """The exchange failed: no connection, TLS failure, malformed or cut-off response, ..."""


class TransportCancelled(TransportNetworkError):
    """The exchange was abandoned because its request was cancelled (``host.cancel``)."""


class Transport(Protocol):
    """Sends one HTTP request; must be safe to call from several threads at once."""

    def send(
        self,
        method: str,
        url: str,
        headers: tuple[tuple[str, str], ...],
        body: bytes | None,
        timeout_s: float | None,
        *,
        check_address: AddressCheck | None = None,
    ) -> HttpResponse:
        """Send one request and return its response without following redirects.

        ``url`` is an absolute, validated ``http``/``https`` URL; ``method`` and ``headers`` are valid and
        are sent as given (order and duplicates kept). ``timeout_s`` bounds the whole exchange (``None``: no
        bound). ``check_address`` (always given by ``send_request``; ``None`` only for the host's own calls)
        vets each resolved address before connecting. Raises ``TransportTimeout``, ``TransportRefused`` or
        ``TransportNetworkError`` and nothing else on purpose; any other exception propagates to the caller
        of ``send_request``.
        """
        ...


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for ``host`` (TCP), duplicates removed, order kept."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class UrllibTransport:
    """The standard library's HTTP/1.1 client (``http.client``): one connection per request, no proxy.

    ``ssl_context`` defaults to the system's trust store with verification on, loaded at the first
    ``https`` request (loading it costs tens of milliseconds, and an offline run never needs it);
    ``max_body_bytes`` caps a response body (``None``: no cap), beyond which the exchange fails as a
    network error; ``resolver`` turns a host name into addresses (tests inject one to play DNS). A body
    shorter than its ``Content-Length``, or a chunked body cut off, is a network error, never a response.
    """

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_body_bytes: int | None = DEFAULT_MAX_BODY_BYTES,
        resolver: Resolver = system_resolver,
    ) -> None:
        self._ssl_context = ssl_context
        self._ssl_lock = threading.Lock()
        self._max_body_bytes = max_body_bytes
        self._resolver = resolver

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
        *,
        check_address: AddressCheck | None = None,
    ) -> HttpResponse:
        """See ``Transport.send``."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        cancellation = cancel.current()
        try:
            addresses = self._addresses(url, check_address)
            conn = self._connection(url, addresses, _time_left(deadline))
            try:
                with _abort_on_cancel(cancellation, conn):
                    _send_head_and_body(conn, method, url, headers, body)
                    _check_cancelled(cancellation, method, url)
                    _arm(conn, deadline)
                    response = conn.getresponse()
                    data = self._read_body(conn, response, deadline)
            finally:
                conn.close()
        except TimeoutError as exc:
            _check_cancelled(cancellation, method, url)
            raise TransportTimeout(f"{method} {url} timed out") from exc
        except (OSError, http.client.HTTPException, UnicodeError) as exc:
            _check_cancelled(cancellation, method, url)
            raise TransportNetworkError(f"{method} {url} failed: {_describe(exc)}") from exc
        _check_cancelled(cancellation, method, url)
        received = tuple((name.lower(), _decode_value(value)) for name, value in response.getheaders())
        return HttpResponse(response.status, received, data)

    def _addresses(self, url: str, check_address: AddressCheck | None) -> list[str]:
        """The addresses to try for ``url``'s host: resolved once, each one vetted by ``check_address``."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            try:
                addresses = list(self._resolver(host, port))
            except (OSError, UnicodeError) as exc:
                raise TransportNetworkError(f"cannot resolve host '{host}': {_describe(exc)}") from exc
        if not addresses:
            raise TransportNetworkError(f"cannot resolve host '{host}': no address")
        if check_address is None:
            return addresses
        refusals = [check_address(host, port, address) for address in addresses]
        allowed = [address for address, refusal in zip(addresses, refusals, strict=True) if refusal is None]
        first = next((refusal for refusal in refusals if refusal is not None), None)
        if not allowed and first is not None:
            raise TransportRefused(first.target, first.reason)
        return allowed

    def _connection(
        self, url: str, addresses: list[str], timeout: float | None
    ) -> http.client.HTTPConnection:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
        if parts.scheme.lower() == "https":
            return _PinnedHTTPSConnection(host, port, addresses, timeout, self._tls())
        return _PinnedHTTPConnection(host, port, addresses, timeout)

    def _read_body(
        self, conn: http.client.HTTPConnection, response: http.client.HTTPResponse, deadline: float | None
    ) -> bytes:
        expected = response.length
        data = bytearray()
        while True:
            _arm(conn, deadline)
            try:
                chunk = response.read1(_READ_CHUNK)
            except http.client.IncompleteRead as exc:
                raise TransportNetworkError(
                    f"response body cut short: the chunked body ended after {len(data) + len(exc.partial)} "
                    "bytes, before its last chunk"
                ) from exc
            if not chunk:
                break
            data += chunk
            if self._max_body_bytes is not None and len(data) > self._max_body_bytes:
                raise TransportNetworkError(f"response body exceeds {self._max_body_bytes} bytes")
        if expected is not None and len(data) < expected:
            raise TransportNetworkError(
                f"response body cut short: received {len(data)} of {expected} bytes (Content-Length)"
            )
        return bytes(data)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to ``host`` made to one of ``addresses`` (already checked), never re-resolved."""

    def __init__(self, host: str, port: int | None, addresses: list[str], timeout: float | None) -> None:
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses

    def connect(self) -> None:
        last: OSError | None = None
        for address in self._addresses:
            try:
                self.sock = socket.create_connection((address, self.port), self.timeout)
            except TimeoutError:
                raise
            except OSError as exc:
                last = exc
                continue
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return
        raise last if last is not None else OSError("no address to connect to")


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """As :class:`_PinnedHTTPConnection`, then TLS with the host name for SNI and verification."""

    default_port = http.client.HTTPS_PORT

    def __init__(
        self,
        host: str,
        port: int | None,
        addresses: list[str],
        timeout: float | None,
        context: ssl.SSLContext,
    ) -> None:
        super().__init__(host, port, addresses, timeout)
        self._tls_context = context

    def connect(self) -> None:
        super().connect()
        self.sock = self._tls_context.wrap_socket(self.sock, server_hostname=self.host)


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


@contextmanager
def _abort_on_cancel(
    cancellation: cancel.Cancellation | None, conn: http.client.HTTPConnection
) -> Iterator[None]:
    """Shut the connection's socket down if the request is cancelled: a blocked read returns at once."""
    if cancellation is None:
        yield
        return

    def abort() -> None:
        sock = conn.sock
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)

    with cancellation.on_cancel(abort):
        yield


def _check_cancelled(cancellation: cancel.Cancellation | None, method: str, url: str) -> None:
    if cancellation is not None and cancellation.cancelled:
        raise TransportCancelled(f"{method} {url} cancelled: {cancellation.reason}")


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
