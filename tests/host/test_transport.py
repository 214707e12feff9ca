"""``UrllibTransport``: one exchange, as the ``Transport`` protocol promises."""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path

import pytest

from wasmind_nb.host.denial import Denial
from wasmind_nb.host.transport import (
    TransportNetworkError,
    TransportRefused,
    TransportTimeout,
    UrllibTransport,
)

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


def _raw_server(reply: bytes) -> tuple[socket.socket, threading.Thread]:
    """A one-shot server that reads a request, writes ``reply`` and closes the connection."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65_536)
            conn.sendall(reply)
        listener.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


def test_body_shorter_than_content_length_is_a_network_error() -> None:
    listener, thread = _raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 40)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    with pytest.raises(
        TransportNetworkError, match=r"cut short: received 40 of 100 bytes \(Content-Length\)"
    ):
        UrllibTransport().send("GET", url, (), None, 5)
    thread.join(5)


def test_chunked_body_cut_off_is_a_network_error() -> None:
    listener, thread = _raw_server(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n10\r\nabc"
    )
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    with pytest.raises(TransportNetworkError, match="cut short: the chunked body ended after 8 bytes"):
        UrllibTransport().send("GET", url, (), None, 5)
    thread.join(5)


def test_connects_to_the_checked_address_and_keeps_the_name(server: LoopbackServer) -> None:
    resolved: list[tuple[str, int]] = []
    checked: list[tuple[str, int, str]] = []

    def resolver(host: str, port: int) -> list[str]:
        resolved.append((host, port))
        return ["127.0.0.1"]

    def check(host: str, port: int, address: str) -> None:
        checked.append((host, port, address))

    transport = UrllibTransport(resolver=resolver)
    response = transport.send("GET", f"http://llm.test:{server.port}/x", (), None, 5, check_address=check)
    assert response.status == 200
    assert resolved == [("llm.test", server.port)]
    assert checked == [("llm.test", server.port, "127.0.0.1")]
    assert server.requests[0].header("host") == f"llm.test:{server.port}"


def test_refused_addresses_are_never_connected_to(server: LoopbackServer) -> None:
    transport = UrllibTransport(resolver=lambda host, port: ["127.0.0.1"])

    def refuse(host: str, port: int, address: str) -> Denial:
        return Denial("a", "http_hosts", f"{host}:{port}", f"{address} is loopback")

    url = f"http://llm.test:{server.port}/"
    with pytest.raises(TransportRefused, match=r"127\.0\.0\.1 is loopback") as raised:
        transport.send("GET", url, (), None, 5, check_address=refuse)
    assert raised.value.target == f"llm.test:{server.port}"
    assert server.requests == []


def test_tls_verifies_the_name_not_the_pinned_address(
    tls_server: LoopbackServer, self_signed: tuple[Path, Path]
) -> None:
    """The certificate is for 127.0.0.1; reached as ``llm.test`` (pinned to 127.0.0.1) it must not verify."""
    context = ssl.create_default_context(cafile=str(self_signed[0]))
    transport = UrllibTransport(ssl_context=context, resolver=lambda host, port: ["127.0.0.1"])
    with pytest.raises(TransportNetworkError, match=r"certificate|hostname"):
        transport.send("GET", f"https://llm.test:{tls_server.port}/", (), None, 5)
    assert tls_server.requests == []
    ok = UrllibTransport(ssl_context=context).send("GET", tls_server.url(scheme="https"), (), None, 5)
    assert ok.status == 200
