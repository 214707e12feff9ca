"""``UrllibTransport``: one exchange, as the ``Transport`` protocol promises."""

from __future__ import annotations

import pytest

from wasmind_nb.host.transport import TransportNetworkError, TransportTimeout, UrllibTransport

from .loopback import LoopbackServer, Received


def test_does_not_follow_redirects(server: LoopbackServer) -> None:
    server.respond = lambda r: (302, [("Location", "/elsewhere")], b"")
    response = UrllibTransport().send("GET", server.url(), (), None, None)
    assert response.status == 302
    assert ("location", "/elsewhere") in response.headers
    assert len(server.requests) == 1


def test_header_names_are_lower_case_and_values_utf8(server: LoopbackServer) -> None:
    as_wire = "Zoë".encode().decode("latin-1")  # what a Latin-1 reader sees of UTF-8 bytes
    server.respond = lambda r: (200, [("X-Echo", r.header("x-name") or "")], b"")
    response = UrllibTransport().send("GET", server.url(), (("X-Name", "Zoë"),), None, None)
    assert server.requests[0].header("x-name") == as_wire
    assert ("x-echo", "Zoë") in response.headers


def test_post_without_body_sends_zero_length(server: LoopbackServer) -> None:
    UrllibTransport().send("POST", server.url(), (), None, None)
    assert server.requests[0].header("content-length") == "0"


def test_body_over_cap_is_a_network_error(server: LoopbackServer) -> None:
    server.respond = lambda r: (200, [], b"x" * 1000)
    with pytest.raises(TransportNetworkError, match="exceeds 100 bytes"):
        UrllibTransport(max_body_bytes=100).send("GET", server.url(), (), None, None)


def test_slow_response_raises_timeout(server: LoopbackServer) -> None:
    def stall(request: Received):
        server.release.wait(30)
        return 200, [], b""

    server.respond = stall
    with pytest.raises(TransportTimeout):
        UrllibTransport().send("GET", server.url(), (), None, 0.2)


def test_refused_connection_raises_network_error(closed_port: int) -> None:
    with pytest.raises(TransportNetworkError, match="refused"):
        UrllibTransport().send("GET", f"http://127.0.0.1:{closed_port}/", (), None, 5)
