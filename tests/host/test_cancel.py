"""Cancelling a request: a blocked read wakes at once, backoff waits end, late replies are dropped."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import pytest

from tests.stalling_server import STALL, WAIT_S, StallingServer
from wasmind_nb.host.cancel import Cancellation
from wasmind_nb.host.httpclient import (
    CANCELLED,
    HttpRequestSpec,
    HttpResponse,
    NetworkError,
    send_request,
)
from wasmind_nb.host.policy import HttpPolicy
from wasmind_nb.host.transport import TransportCancelled, TransportTimeout, UrllibTransport

ANY = HttpPolicy(("*",), "tester")


def grant(url: str) -> HttpPolicy:
    return HttpPolicy((f"127.0.0.1:{urlsplit(url).port}",), "tester")


def in_thread(function, *args, **kwargs) -> tuple[threading.Thread, list]:
    """Run ``function`` on a thread; the list gets its result."""
    result: list = []
    thread = threading.Thread(target=lambda: result.append(function(*args, **kwargs)), daemon=True)
    thread.start()
    return thread, result


def finished(thread: threading.Thread, result: list):
    thread.join(WAIT_S)
    assert not thread.is_alive(), "send_request did not return after the cancellation"
    return result[0]


def test_a_cancelled_request_stops_blocking_at_once_and_closes_the_connection() -> None:
    with StallingServer([STALL]) as server:
        url = server.base_url + "/v1/chat/completions"
        spec = HttpRequestSpec("POST", url, body=b"{}", timeout_s=600, max_attempts=4, base_delay_ms=60_000)
        cancellation = Cancellation()
        thread, result = in_thread(
            send_request, spec, grant(url), UrllibTransport(), cancellation=cancellation
        )
        server.wait_for(lambda s: len(s.bodies) == 1)
        cancellation.cancel("agent 000000 was interrupted")
        outcome = finished(thread, result)
        assert outcome == NetworkError(f"{CANCELLED}: agent 000000 was interrupted")
        server.wait_for(lambda s: s.closed == 1)  # the socket was shut down, not left to time out
        assert len(server.bodies) == 1  # no retry


class Scripted:
    """A transport that answers from a list and signals each call."""

    def __init__(self, *outcomes) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0
        self.called = threading.Event()

    def send(self, method, url, headers, body, timeout_s, *, check_address=None) -> HttpResponse:
        self.calls += 1
        self.called.set()
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def test_a_cancellation_ends_the_backoff_wait() -> None:
    transport = Scripted(TransportTimeout("slow"), HttpResponse(200, (), b"never"))
    spec = HttpRequestSpec("POST", "http://model.test/v1", max_attempts=2, base_delay_ms=3_600_000)
    cancellation = Cancellation()
    thread, result = in_thread(send_request, spec, ANY, transport, cancellation=cancellation)
    assert transport.called.wait(WAIT_S)
    cancellation.cancel("stop")
    assert finished(thread, result) == NetworkError(f"{CANCELLED}: stop")
    assert transport.calls == 1


def test_a_cancelled_call_sends_nothing_more() -> None:
    cancellation = Cancellation()
    cancellation.cancel("the runtime is shutting down")
    transport = Scripted(HttpResponse(200, (), b"{}"))
    outcome = send_request(
        HttpRequestSpec("GET", "http://model.test/"), ANY, transport, cancellation=cancellation
    )
    assert outcome == NetworkError(f"{CANCELLED}: the runtime is shutting down")
    assert transport.calls == 0


def test_a_reply_that_arrives_after_the_cancellation_is_dropped() -> None:
    cancellation = Cancellation()

    class Late(Scripted):
        def send(self, *args, **kwargs) -> HttpResponse:
            cancellation.cancel("interrupted")  # a transport that cannot be woken answers anyway
            return super().send(*args, **kwargs)

    outcome = send_request(
        HttpRequestSpec("GET", "http://model.test/"),
        ANY,
        Late(HttpResponse(200, (), b"late")),
        cancellation=cancellation,
    )
    assert outcome == NetworkError(f"{CANCELLED}: interrupted")


def test_a_replayed_cancellation_is_a_cancellation() -> None:
    transport = Scripted(TransportCancelled("POST http://model.test/ cancelled: agent 1 was interrupted"))
    outcome = send_request(HttpRequestSpec("POST", "http://model.test/", max_attempts=3), ANY, transport)
    assert outcome == NetworkError(f"{CANCELLED}: agent 1 was interrupted")
    assert transport.calls == 1


def test_on_cancel_runs_at_once_when_already_cancelled() -> None:
    cancellation = Cancellation()
    cancellation.cancel("first")
    cancellation.cancel("second")
    ran = []
    with cancellation.on_cancel(lambda: ran.append(True)):
        pass
    assert ran == [True] and cancellation.reason == "first" and cancellation.wait(0)


@pytest.mark.parametrize("cancelled", [False, True])
def test_wait_returns_whether_it_was_cancelled(cancelled: bool) -> None:
    cancellation = Cancellation()
    if cancelled:
        cancellation.cancel("x")
    assert cancellation.wait(0) is cancelled
