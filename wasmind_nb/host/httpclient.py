"""The ``http`` capability: validate a guest's request, apply its host policy, send it with retries.

``send_request`` never raises for a failure the guest can cause or observe; it returns one of the
``RequestError`` variants, or the policy's ``Denial``. Redirects (301, 302, 303, 307, 308) are followed here,
up to ``MAX_REDIRECTS``, the way upstream's client follows them, and every hop is checked against the policy
twice: its host and port by name, then (by the transport, before connecting) every address the host
resolves to, so neither a redirect nor a DNS answer can reach a host or address the actor may not contact.
A timeout bounds one attempt, redirects included.

A ``Credential`` (the LLM API key) is added only to the first hop, only when its origin and path match it
exactly, replacing any header of that name the guest set; a redirected hop never carries it.

Blocking and thread-safe: call it from a worker thread, never from the event loop.
"""

from __future__ import annotations

import base64
import ipaddress
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, quote, unquote, urljoin, urlsplit, urlunsplit

from wasmind_nb.host import cancel
from wasmind_nb.host.credential import CREDENTIAL_HEADERS, Credential, origin_of
from wasmind_nb.host.denial import Denial
from wasmind_nb.host.netpolicy import HttpPolicy
from wasmind_nb.host.transport import (
    HttpResponse,
    Transport,
    TransportCancelled,
    TransportNetworkError,
    TransportRefused,
    TransportTimeout,
)

__all__ = [
    "CANCELLED",
    "MAX_REDIRECTS",
    "MAX_RETRY_DELAY_MS",
    "BuilderError",
    "HttpRequestSpec",
    "HttpResponse",
    "InvalidUrl",
    "NetworkError",
    "Refused",
    "RequestError",
    "Timeout",
    "retry_delay_ms",
    "send_request",
]

MAX_REDIRECTS = 10
MAX_RETRY_DELAY_MS = 300_000
"""One backoff delay never exceeds five minutes, however large ``max_attempts`` grows."""
CANCELLED = "request cancelled"
"""How the ``NetworkError`` of a cancelled request starts (the WIT has no variant for it)."""

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_HEADER_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FORBIDDEN_IN_HOST = re.compile(r"[\s#/:<>?@\[\\\]^|%]")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_SENSITIVE_HEADERS = CREDENTIAL_HEADERS | {"www-authenticate", "host"}
_BODY_HEADERS = frozenset({"content-type", "content-length", "content-encoding", "transfer-encoding"})


@dataclass(frozen=True, slots=True)
class HttpRequestSpec:
    """What the guest's ``request`` builder describes. ``timeout_s`` may be fractional (WIT: seconds)."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    timeout_s: float | None = None
    max_attempts: int = 1
    base_delay_ms: int = 0
    retry_on_status: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class NetworkError:
    """The request failed on the way (connection, TLS, redirects) or its host is not allowed."""

    message: str


@dataclass(frozen=True, slots=True)
class Refused(NetworkError):
    """The host's policy refused the request (a ``Denial`` was recorded); ``message`` is its reason."""


@dataclass(frozen=True, slots=True)
class Timeout:
    """An attempt ran past the request's timeout."""


@dataclass(frozen=True, slots=True)
class InvalidUrl:
    """The URL cannot be requested: not absolute ``http``/``https``, no host, bad port or characters."""

    message: str


@dataclass(frozen=True, slots=True)
class BuilderError:
    """The request itself is malformed: a method or header that is not valid HTTP."""

    message: str


RequestError = NetworkError | Timeout | InvalidUrl | BuilderError


@dataclass(frozen=True, slots=True)
class _Hop:
    """One request on the wire: what a redirect may change. ``credential``: the header the host added."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    credential: str | None = None


class _GiveUp(Exception):
    """A failure that another attempt cannot fix (policy, redirect loop): stop retrying."""

    def __init__(self, error: RequestError | Denial) -> None:
        super().__init__(error)
        self.error = error


def send_request(
    spec: HttpRequestSpec,
    policy: HttpPolicy,
    transport: Transport,
    *,
    credential: Credential | None = None,
    sleep: Callable[[float], object] = time.sleep,
    cancellation: cancel.Cancellation | None = None,
) -> HttpResponse | RequestError | Denial:
    """Send ``spec`` through ``transport`` if ``policy`` allows its host, port and addresses.

    ``credential`` is added as described in the module's docstring (pass it only for actors granted it).
    Makes ``max(1, max_attempts)`` attempts at most, retrying network errors, timeouts and statuses in
    ``retry_on_status``; before retry n (1, 2, ...) it calls ``sleep(retry_delay_ms(base_delay_ms, n) /
    1000)``. Returns the first non-retryable outcome, or the last one when attempts run out. A policy
    refusal (first hop, a redirect, a resolved address) is returned as the ``Denial`` at once.

    Once ``cancellation`` is cancelled (before or during the call), the result is a ``NetworkError``
    starting with :data:`CANCELLED`, at once: the transport is woken, backoff waits end, a reply that
    still arrives is dropped. A transport raising ``TransportCancelled`` (a replayed cancellation) gives
    the same result.
    """
    problem = _url_problem(spec.url) or _request_problem(spec)
    if problem is not None:
        return problem
    hop = _with_credential(_first_hop(spec), credential)
    denial = _check_hop(policy, hop.url)
    if denial is not None:
        return denial
    if cancellation is not None:
        sleep = _cancellable_sleep(cancellation)
    try:
        with cancel.active(cancellation):
            outcome = _with_retries(hop, spec, policy, transport, sleep)
    except _GiveUp as stop:
        return stop.error
    if cancellation is not None and cancellation.cancelled:  # a transport that could not be woken
        return _cancelled(cancellation.reason)
    return outcome


def _cancellable_sleep(cancellation: cancel.Cancellation) -> Callable[[float], object]:
    def sleep(seconds: float) -> None:
        if cancellation.wait(seconds):
            raise _GiveUp(_cancelled(cancellation.reason))

    return sleep


def _cancelled(reason: str) -> NetworkError:
    return NetworkError(f"{CANCELLED}: {reason}" if reason else CANCELLED)


def retry_delay_ms(base_delay_ms: int, retry: int) -> int:
    """Milliseconds to wait before retry number ``retry`` (1-based): ``base * 2**(retry - 1)``, capped."""
    shift = retry - 1
    if base_delay_ms <= 0 or shift < 0:
        return 0
    if shift >= MAX_RETRY_DELAY_MS.bit_length():
        return MAX_RETRY_DELAY_MS
    return min(base_delay_ms << shift, MAX_RETRY_DELAY_MS)


def _with_retries(
    hop: _Hop,
    spec: HttpRequestSpec,
    policy: HttpPolicy,
    transport: Transport,
    sleep: Callable[[float], object],
) -> HttpResponse | RequestError:
    outcome = _attempt(hop, spec.timeout_s, policy, transport)
    for retry in range(1, max(1, spec.max_attempts)):
        if not _retryable(outcome, spec.retry_on_status):
            break
        sleep(retry_delay_ms(spec.base_delay_ms, retry) / 1000)
        outcome = _attempt(hop, spec.timeout_s, policy, transport)
    return outcome


def _retryable(outcome: HttpResponse | RequestError, statuses: tuple[int, ...]) -> bool:
    if isinstance(outcome, HttpResponse):
        return outcome.status in statuses
    return isinstance(outcome, NetworkError | Timeout)


def _attempt(
    hop: _Hop, timeout_s: float | None, policy: HttpPolicy, transport: Transport
) -> HttpResponse | RequestError:
    """One attempt: the request and the redirects it leads to, within one timeout."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    cancellation = cancel.current()
    for redirects in range(MAX_REDIRECTS + 1):
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            return Timeout()
        if cancellation is not None and cancellation.cancelled:
            raise _GiveUp(_cancelled(cancellation.reason))
        try:
            response = transport.send(
                hop.method, hop.url, hop.headers, hop.body, left, check_address=policy.check_address
            )
        except TransportCancelled as stopped:
            reason = cancellation.reason if cancellation is not None and cancellation.cancelled else ""
            raise _GiveUp(_cancelled(reason or str(stopped).partition("cancelled: ")[2])) from None
        except TransportTimeout:
            return Timeout()
        except TransportRefused as refused:
            reason = f"redirect refused: {refused.reason}" if redirects else refused.reason
            raise _GiveUp(Denial(policy.actor, "http_hosts", refused.target, reason)) from None
        except TransportNetworkError as exc:
            return NetworkError(str(exc))
        next_hop = _redirect(hop, response)
        if next_hop is None:
            return response
        denial = _check_hop(policy, next_hop.url)
        if denial is not None:
            raise _GiveUp(
                Denial(denial.actor, denial.capability, denial.target, f"redirect refused: {denial}")
            )
        hop = next_hop
    raise _GiveUp(NetworkError(f"too many redirects (more than {MAX_REDIRECTS}), last to {hop.url}"))


def _redirect(hop: _Hop, response: HttpResponse) -> _Hop | None:
    """The request a redirect response asks for, or ``None`` if ``response`` is final."""
    location = next((value for name, value in response.headers if name.lower() == "location"), None)
    if response.status not in _REDIRECTS or location is None:
        return None
    try:
        target = urljoin(hop.url, location.strip())
    except ValueError:
        target = location
    problem = _url_problem(target)
    if problem is not None:
        raise _GiveUp(NetworkError(f"redirect to an invalid URL '{location}': {problem.message}"))
    target = _normalised(urlsplit(target))
    headers = hop.headers
    if hop.credential is not None:
        headers = tuple((k, v) for k, v in headers if k.lower() != hop.credential)
    if origin_of(target) != origin_of(hop.url):
        headers = tuple((k, v) for k, v in headers if k.lower() not in _SENSITIVE_HEADERS)
    if response.status in (307, 308):
        return _Hop(hop.method, target, headers, hop.body)
    method = hop.method if hop.method in ("GET", "HEAD") else "GET"
    headers = tuple((k, v) for k, v in headers if k.lower() not in _BODY_HEADERS)
    return _Hop(method, target, headers, None)


def _url_problem(url: str) -> InvalidUrl | None:
    if _CONTROL.search(url.strip()):
        return InvalidUrl(f"URL contains a control character: {url!r}")
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:
        return InvalidUrl(f"URL '{url}' cannot be parsed: {exc}")
    if parts.scheme.lower() not in ("http", "https"):
        scheme = f"scheme '{parts.scheme}'" if parts.scheme else "no scheme"
        return InvalidUrl(f"URL '{url}' has {scheme}; only http and https are supported")
    if not parts.hostname:
        return InvalidUrl(f"URL '{url}' has no host")
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        return InvalidUrl(f"URL '{url}' has an invalid port")
    if not _valid_host(parts):
        return InvalidUrl(f"URL '{url}' has an invalid host '{parts.hostname}'")
    return None


def _valid_host(parts: SplitResult) -> bool:
    """An IPv6 literal without zone id, or a name with no forbidden character that IDNA can encode."""
    host = parts.hostname or ""
    try:
        if "[" in parts.netloc:
            ipaddress.IPv6Address(host)
            return "%" not in host
        host.encode("idna")
    except ValueError:  # UnicodeError (empty or over-long label) is a ValueError too
        return False
    return not _FORBIDDEN_IN_HOST.search(host)


def _request_problem(spec: HttpRequestSpec) -> BuilderError | None:
    if not _TOKEN.fullmatch(spec.method):
        return BuilderError(f"invalid HTTP method '{spec.method}'")
    for name, value in spec.headers:
        if not _TOKEN.fullmatch(name):
            return BuilderError(f"invalid header name '{name}'")
        if _BAD_HEADER_VALUE.search(value):
            return BuilderError(f"invalid value for header '{name}': {value!r}")
    return None


def _first_hop(spec: HttpRequestSpec) -> _Hop:
    """The request as sent: URL normalised, credentials in the URL moved to an ``Authorization`` header."""
    parts = urlsplit(spec.url.strip())
    headers = spec.headers
    has_auth = any(name.lower() == "authorization" for name, _ in headers)
    if parts.username is not None and not has_auth:
        secret = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        headers = (*headers, ("Authorization", "Basic " + base64.b64encode(secret).decode("ascii")))
    return _Hop(spec.method, _normalised(parts), headers, spec.body)


def _with_credential(hop: _Hop, credential: Credential | None) -> _Hop:
    """``hop`` with the credential's header (replacing the guest's) if the credential is for its URL."""
    if credential is None or not credential.applies_to(hop.url):
        return hop
    name = credential.header.lower()
    headers = tuple((k, v) for k, v in hop.headers if k.lower() != name)
    return _Hop(hop.method, hop.url, (*headers, (credential.header, credential.value)), hop.body, name)


def _check_hop(policy: HttpPolicy, url: str) -> Denial | None:
    _scheme, host, port = origin_of(url)
    return policy.check(host, port)


def _normalised(parts: SplitResult) -> str:
    """Percent-encode what may not appear raw in a request target; drop userinfo and fragment."""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    query = quote(parts.query, safe="/?%:@!$&'()*+,;=-._~")
    return urlunsplit((parts.scheme.lower(), netloc, path, query, ""))
