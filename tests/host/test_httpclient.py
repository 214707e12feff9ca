"""The ``http`` capability against a real server on loopback."""

from __future__ import annotations

import base64
import ssl
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from wasmind_nb.host.denial import Denial
from wasmind_nb.host.httpclient import (
    MAX_RETRY_DELAY_MS,
    BuilderError,
    HttpRequestSpec,
    HttpResponse,
    InvalidUrl,
    NetworkError,
    Timeout,
    retry_delay_ms,
    send_request,
)
from wasmind_nb.host.policy import HttpPolicy
from wasmind_nb.host.transport import TransportNetworkError, UrllibTransport

from .loopback import LoopbackServer, Received

ANY = HttpPolicy(("*",), "tester")


def grant(*urls: str) -> HttpPolicy:
    """A policy granting exactly the loopback ``host:port`` of each URL."""
    return HttpPolicy(tuple(f"127.0.0.1:{urlsplit(url).port}" for url in urls), "tester")


class Sleeps:
    """A fake ``sleep`` that records the delays asked for."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


class SpyTransport:
    """Records the URLs it is asked for; answers 200 (or fails like a dead network)."""

    def __init__(self, fail: bool = True) -> None:
        self.calls: list[str] = []
        self.fail = fail

    def send(self, method, url, headers, body, timeout_s, *, check_address=None) -> HttpResponse:
        self.calls.append(url)
        if self.fail:
            raise TransportNetworkError("unreachable")
        return HttpResponse(200, (), b"")


def send(spec: HttpRequestSpec, policy: HttpPolicy | None = None, sleep: Sleeps | None = None):
    """Send through a real transport; by default the URL's loopback port (only) is granted."""
    return send_request(spec, policy or grant(spec.url), UrllibTransport(), sleep=sleep or Sleeps())


def test_get_returns_status_headers_and_body(server: LoopbackServer) -> None:
    server.respond = lambda request: (201, [("X-Tag", "a"), ("X-Tag", "b")], b"hello")
    response = send(HttpRequestSpec("GET", server.url("/path?q=1")))
    assert isinstance(response, HttpResponse)
    assert response.status == 201
    assert response.body == b"hello"
    assert [v for k, v in response.headers if k == "x-tag"] == ["a", "b"]
    assert server.requests[0].target == "/path?q=1"


def test_request_headers_and_body_reach_the_server(server: LoopbackServer) -> None:
    spec = HttpRequestSpec(
        "POST",
        server.url("/submit"),
        headers=(("Content-Type", "application/json"), ("X-Dup", "1"), ("X-Dup", "2")),
        body=b'{"a": 1}',
    )
    assert isinstance(send(spec), HttpResponse)
    received = server.requests[0]
    assert (received.method, received.body) == ("POST", b'{"a": 1}')
    assert received.header("content-type") == "application/json"
    assert received.header("content-length") == "8"
    assert [v for k, v in received.headers if k == "X-Dup"] == ["1", "2"]


def test_retries_listed_status_with_exponential_backoff(server: LoopbackServer) -> None:
    replies = iter([503, 503, 200])
    server.respond = lambda request: (next(replies), [], b"")
    sleeps = Sleeps()
    spec = HttpRequestSpec("GET", server.url(), max_attempts=5, base_delay_ms=100, retry_on_status=(503,))
    response = send(spec, sleep=sleeps)
    assert isinstance(response, HttpResponse) and response.status == 200
    assert len(server.requests) == 3
    assert sleeps.calls == [0.1, 0.2]


def test_returns_last_response_when_retryable_status_persists(server: LoopbackServer) -> None:
    server.respond = lambda request: (503, [], b"busy")
    sleeps = Sleeps()
    spec = HttpRequestSpec("GET", server.url(), max_attempts=3, base_delay_ms=10, retry_on_status=(503,))
    response = send(spec, sleep=sleeps)
    assert response == HttpResponse(503, response.headers, b"busy")
    assert len(server.requests) == 3
    assert sleeps.calls == [0.01, 0.02]


def test_unlisted_status_is_not_retried(server: LoopbackServer) -> None:
    server.respond = lambda request: (500, [], b"")
    spec = HttpRequestSpec("GET", server.url(), max_attempts=3, retry_on_status=(503,))
    response = send(spec)
    assert isinstance(response, HttpResponse) and response.status == 500
    assert len(server.requests) == 1


def test_zero_attempts_means_one_attempt(server: LoopbackServer) -> None:
    server.respond = lambda request: (503, [], b"")
    sleeps = Sleeps()
    spec = HttpRequestSpec("GET", server.url(), max_attempts=0, base_delay_ms=5, retry_on_status=(503,))
    response = send(spec, sleep=sleeps)
    assert isinstance(response, HttpResponse) and response.status == 503
    assert len(server.requests) == 1
    assert sleeps.calls == []


def test_network_error_is_retried_then_returned(closed_port: int) -> None:
    sleeps = Sleeps()
    spec = HttpRequestSpec("GET", f"http://127.0.0.1:{closed_port}/", max_attempts=3, base_delay_ms=50)
    error = send(spec, sleep=sleeps)
    assert isinstance(error, NetworkError)
    assert "refused" in error.message.lower()
    assert sleeps.calls == [0.05, 0.1]


def test_slow_server_times_out_per_attempt(server: LoopbackServer) -> None:
    def stall(request: Received):
        server.release.wait(30)
        return 200, [], b"late"

    server.respond = stall
    sleeps = Sleeps()
    spec = HttpRequestSpec("GET", server.url(), timeout_s=0.2, max_attempts=2, base_delay_ms=1)
    assert send(spec, sleep=sleeps) == Timeout()
    assert len(server.requests) == 2
    assert sleeps.calls == [0.001]


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1/x", "127.0.0.1/x", "not a url", "http://", "http:///path", "http://127.0.0.1:port/",
     "http://exa mple.com/", "http://[::1/", "http://127.0.0.1/\r\nX-Evil: 1", "http://a..b/",
     "http://[fe80::1%25eth0]/"],
)  # fmt: skip
def test_invalid_url_is_rejected_before_sending(url: str) -> None:
    spy = SpyTransport()
    assert isinstance(send_request(HttpRequestSpec("GET", url), ANY, spy, sleep=Sleeps()), InvalidUrl)
    assert spy.calls == []


@pytest.mark.parametrize(
    ("method", "headers"),
    [("GE T", ()), ("", ()), ("GET", (("Bad Name", "v"),)), ("GET", (("X-Ok", "a\r\nX-Evil: 1"),))],
)
def test_invalid_method_or_header_is_a_builder_error(method: str, headers: tuple[tuple[str, str], ...]):
    spy = SpyTransport()
    spec = HttpRequestSpec(method, "http://127.0.0.1/", headers=headers)
    assert isinstance(send_request(spec, ANY, spy, sleep=Sleeps()), BuilderError)
    assert spy.calls == []


def test_denied_host_sends_nothing(server: LoopbackServer) -> None:
    policy = HttpPolicy(("api.example.com", "*.openai.com"), "assistant")
    spec = HttpRequestSpec("GET", server.url(), max_attempts=3)
    sleeps = Sleeps()
    denial = send(spec, policy, sleeps)
    target = f"127.0.0.1:{server.port}"
    assert denial == Denial(
        "assistant",
        "http_hosts",
        target,
        f"actor 'assistant' is not allowed to reach {target}: not in its http_hosts",
    )
    assert server.requests == []
    assert sleeps.calls == []


def test_allowed_host_and_port_is_contacted(server: LoopbackServer) -> None:
    policy = HttpPolicy((f"127.0.0.1:{server.port}",), "a")
    assert isinstance(send(HttpRequestSpec("GET", server.url()), policy), HttpResponse)
    assert len(server.requests) == 1


def test_an_entry_without_port_grants_only_80_and_443(server: LoopbackServer) -> None:
    denial = send(HttpRequestSpec("GET", server.url()), HttpPolicy(("127.0.0.1",), "a"))
    assert isinstance(denial, Denial) and "on port 80, 443 only" in denial.reason
    assert server.requests == []


def test_see_other_redirect_becomes_get_without_body(server: LoopbackServer) -> None:
    server.respond = lambda r: (303, [("Location", "/done")], b"") if r.target == "/a" else (200, [], b"end")
    spec = HttpRequestSpec("POST", server.url("/a"), headers=(("Content-Type", "text/plain"),), body=b"x")
    response = send(spec)
    assert isinstance(response, HttpResponse) and response.body == b"end"
    final = server.requests[1]
    assert (final.method, final.target, final.body) == ("GET", "/done", b"")
    assert final.header("content-type") is None


def test_temporary_redirect_keeps_method_and_body(server: LoopbackServer) -> None:
    server.respond = lambda r: (307, [("Location", "/b")], b"") if r.target == "/a" else (200, [], r.body)
    response = send(HttpRequestSpec("PUT", server.url("/a"), body=b"payload"))
    assert isinstance(response, HttpResponse) and response.body == b"payload"
    assert [(r.method, r.target) for r in server.requests] == [("PUT", "/a"), ("PUT", "/b")]


def test_redirect_loop_stops(server: LoopbackServer) -> None:
    server.respond = lambda r: (302, [("Location", "/again")], b"")
    error = send(HttpRequestSpec("GET", server.url(), max_attempts=3))
    assert isinstance(error, NetworkError) and "too many redirects" in error.message
    assert len(server.requests) == 11


def test_redirect_to_denied_host_is_refused(server: LoopbackServer) -> None:
    server.respond = lambda r: (302, [("Location", "http://forbidden.test/")], b"")
    error = send(HttpRequestSpec("GET", server.url()), HttpPolicy((f"127.0.0.1:{server.port}",), "coder"))
    assert isinstance(error, Denial) and error.target == "forbidden.test:80"
    assert (
        error.reason
        == "redirect refused: actor 'coder' is not allowed to reach forbidden.test:80: not in its http_hosts"
    )
    assert len(server.requests) == 1


def test_redirect_to_other_origin_drops_credentials(
    server: LoopbackServer, second_server: LoopbackServer
) -> None:
    server.respond = lambda r: (302, [("Location", second_server.url("/x"))], b"")
    headers = (("Authorization", "Bearer k"), ("X-Api-Key", "k2"), ("X-Keep", "1"))
    spec = HttpRequestSpec("GET", server.url(), headers=headers)
    assert isinstance(send(spec, grant(server.url(), second_server.url())), HttpResponse)
    assert server.requests[0].header("authorization") == "Bearer k"
    moved = second_server.requests[0]
    assert moved.header("authorization") is None and moved.header("x-api-key") is None
    assert moved.header("x-keep") == "1"


def test_credentials_in_url_become_basic_auth(server: LoopbackServer) -> None:
    url = server.url().replace("http://", "http://user:p%40ss@")
    assert isinstance(send(HttpRequestSpec("GET", url)), HttpResponse)
    expected = "Basic " + base64.b64encode(b"user:p@ss").decode()
    assert server.requests[0].header("authorization") == expected


def test_unsafe_characters_in_path_are_percent_encoded(server: LoopbackServer) -> None:
    assert isinstance(send(HttpRequestSpec("GET", server.url("/a b/é?q=x y#frag"))), HttpResponse)
    assert server.requests[0].target == "/a%20b/%C3%A9?q=x%20y"


def test_url_is_normalised_for_the_transport() -> None:
    spy = SpyTransport(fail=False)
    policy = HttpPolicy(("[::1]:8080",), "tester")
    send_request(HttpRequestSpec("GET", "HTTP://u:p@[::1]:8080/a b?x=é#top"), policy, spy, sleep=Sleeps())
    assert spy.calls == ["http://[::1]:8080/a%20b?x=%C3%A9"]


def test_chunked_response_is_read_whole(server: LoopbackServer) -> None:
    chunked = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    server.respond = lambda r: (200, [("Transfer-Encoding", "chunked")], chunked)
    response = send(HttpRequestSpec("GET", server.url()))
    assert isinstance(response, HttpResponse) and response.body == b"hello world"


def test_concurrent_requests_share_one_transport(server: LoopbackServer) -> None:
    server.respond = lambda r: (200, [], r.body)
    transport = UrllibTransport()
    results: dict[int, object] = {}

    def worker(n: int) -> None:
        spec = HttpRequestSpec("POST", server.url(), body=str(n).encode())
        results[n] = send_request(spec, grant(server.url()), transport, sleep=Sleeps())

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {n: r.body for n, r in results.items() if isinstance(r, HttpResponse)} == {
        n: str(n).encode() for n in range(8)
    }


def test_https_with_trusted_certificate(tls_server: LoopbackServer, self_signed: tuple[Path, Path]) -> None:
    tls_server.respond = lambda r: (200, [], b"secure")
    transport = UrllibTransport(ssl_context=ssl.create_default_context(cafile=str(self_signed[0])))
    url = tls_server.url(scheme="https")
    response = send_request(HttpRequestSpec("GET", url), grant(url), transport)
    assert isinstance(response, HttpResponse) and response.body == b"secure"


def test_https_with_untrusted_certificate_fails(tls_server: LoopbackServer) -> None:
    error = send(HttpRequestSpec("GET", tls_server.url(scheme="https")))
    assert isinstance(error, NetworkError) and "certificate" in error.message.lower()
    assert tls_server.requests == []


def test_retry_delay_doubles_and_is_capped() -> None:
    assert [retry_delay_ms(250, n) for n in (1, 2, 3, 4)] == [250, 500, 1000, 2000]
    assert retry_delay_ms(0, 5) == 0
    assert retry_delay_ms(1, 4_000_000_000) == MAX_RETRY_DELAY_MS
    assert retry_delay_ms(2**63, 2) == MAX_RETRY_DELAY_MS


def test_the_default_tls_context_is_loaded_at_the_first_https_request(
    server: LoopbackServer, tls_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[ssl.SSLContext] = []
    real = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context", lambda *a, **k: made.append(real(*a, **k)) or made[-1])
    transport = UrllibTransport()
    server.respond = lambda r: (200, [], b"plain")
    assert send_request(HttpRequestSpec("GET", server.url()), grant(server.url()), transport).body == b"plain"
    assert made == []  # an offline (loopback, plain HTTP) run never loads the trust store
    for _ in range(2):
        url = tls_server.url(scheme="https")
        error = send_request(HttpRequestSpec("GET", url), grant(url), transport)
        assert isinstance(error, NetworkError) and "certificate" in error.message.lower()
    assert len(made) == 1 and made[0].verify_mode == ssl.CERT_REQUIRED
