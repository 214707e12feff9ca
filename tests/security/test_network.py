"""Attacks on the ``http`` capability, against real loopback servers: each one is refused with a clear
denial and the server sees nothing; the legitimate use next to it still works."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from itertools import count
from pathlib import Path

import pytest

from tests.host.loopback import LoopbackServer, Received
from wasmind_nb.host.credential import Credential
from wasmind_nb.host.denial import Denial
from wasmind_nb.host.httpclient import HttpRequestSpec, HttpResponse, NetworkError, send_request
from wasmind_nb.host.policy import HttpPolicy
from wasmind_nb.host.transport import UrllibTransport
from wasmind_nb.llm import EmbeddedLLM, RecordingTransport

KEY = "sk-live-do-not-leak-0123456789"


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    loopback = LoopbackServer()
    yield loopback
    loopback.close()


@pytest.fixture
def llm_origin() -> Iterator[LoopbackServer]:
    """Stands for the configured LLM endpoint: echoes the Authorization header it received."""
    loopback = LoopbackServer()
    loopback.respond = lambda r: (200, [], (r.header("authorization") or "none").encode())
    yield loopback
    loopback.close()


def get(url: str, policy: HttpPolicy, transport: UrllibTransport | None = None, **kwargs: object) -> object:
    spec = HttpRequestSpec("GET", url, timeout_s=5)
    return send_request(spec, policy, transport or UrllibTransport(), sleep=lambda s: None, **kwargs)  # type: ignore[arg-type]


def grant(*entries: str, actor: str = "probe") -> HttpPolicy:
    return HttpPolicy(entries, actor)


def fake_dns(answers: dict[str, str]) -> Callable[[str, int], list[str]]:
    return lambda host, port: [answers[host]]


def assert_denied(outcome: object, target: str, *words: str) -> Denial:
    assert isinstance(outcome, Denial), outcome
    assert (outcome.capability, outcome.target) == ("http_hosts", target)
    for word in words:
        assert word in outcome.reason, outcome.reason
    return outcome


# --- no grant, no loopback ------------------------------------------------------------------------------


def test_no_http_hosts_reaches_no_loopback_service(server: LoopbackServer) -> None:
    with EmbeddedLLM(["scripted reply"]) as llm:
        for url in (server.url("/api/kernels"), llm.base_url + "/v1/chat/completions"):
            port = url.split(":")[2].split("/")[0]
            denial = assert_denied(get(url, grant()), f"127.0.0.1:{port}", "no http_hosts grant")
            assert denial.actor == "probe"
        assert llm.requests == []
    assert server.requests == []


@pytest.mark.parametrize("entries", [("*",), ("*", "*.test")])
def test_wildcards_never_grant_loopback(server: LoopbackServer, entries: tuple[str, ...]) -> None:
    outcome = get(server.url(), grant(*entries))
    assert_denied(outcome, f"127.0.0.1:{server.port}", "loopback address", f"'127.0.0.1:{server.port}'")
    assert_denied(get(server.url(), grant("*.0.0.1:*")), f"127.0.0.1:{server.port}", "not in its http_hosts")
    assert server.requests == []


@pytest.mark.parametrize(
    "host", ["2130706433", "0x7f000001", "127.1", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "localhost"]
)
def test_odd_spellings_of_loopback_are_refused_under_star(server: LoopbackServer, host: str) -> None:
    outcome = get(f"http://{host}:{server.port}/", grant("*"))
    assert isinstance(outcome, Denial) and "loopback" in outcome.reason, outcome
    assert server.requests == []


# --- ports ----------------------------------------------------------------------------------------------


def test_an_ip_without_port_grants_80_and_443_only(server: LoopbackServer) -> None:
    assert_denied(get(server.url(), grant("127.0.0.1")), f"127.0.0.1:{server.port}", "on port 80, 443 only")
    assert server.requests == []


def test_an_ip_with_port_grants_that_port(server: LoopbackServer) -> None:
    outcome = get(server.url("/ok"), grant(f"127.0.0.1:{server.port}"))
    assert isinstance(outcome, HttpResponse) and outcome.status == 200
    assert [r.target for r in server.requests] == ["/ok"]
    assert_denied(
        get("http://127.0.0.1:1/", grant(f"127.0.0.1:{server.port}")),
        "127.0.0.1:1",
        f"on port {server.port} only",
    )


def test_localhost_entry_reaches_loopback_by_that_name(server: LoopbackServer) -> None:
    outcome = get(f"http://localhost:{server.port}/", grant(f"localhost:{server.port}"))
    assert isinstance(outcome, HttpResponse) and outcome.status == 200


# --- DNS rebinding --------------------------------------------------------------------------------------


def test_a_granted_name_resolving_to_loopback_is_refused(server: LoopbackServer) -> None:
    transport = UrllibTransport(resolver=fake_dns({"api.public.test": "127.0.0.1"}))
    url = f"http://api.public.test:{server.port}/"
    outcome = get(url, grant(f"api.public.test:{server.port}", "*"), transport)
    assert_denied(outcome, f"api.public.test:{server.port}", "resolves to 127.0.0.1, a loopback address")
    assert server.requests == []


@pytest.mark.parametrize(
    "address", ["10.1.2.3", "169.254.169.254", "100.64.0.9", "::1", "fd00::1", "0.0.0.0"]
)
def test_a_granted_name_resolving_to_a_private_address_is_refused(address: str) -> None:
    transport = UrllibTransport(resolver=fake_dns({"api.public.test": address}))
    outcome = get("https://api.public.test/", grant("api.public.test"), transport)
    assert_denied(outcome, "api.public.test:443", f"resolves to {address}")


def test_every_hop_is_resolved_and_checked_again(server: LoopbackServer) -> None:
    """The name first resolves to the granted address, then rebinds before the redirect's hop."""
    answers = count()
    transport = UrllibTransport(
        resolver=lambda host, port: ["127.0.0.1" if next(answers) == 0 else "127.0.0.2"]
    )
    server.respond = lambda r: (302, [("Location", "/next")], b"") if r.target == "/" else (200, [], b"x")
    policy = grant(f"svc.test:{server.port}", f"127.0.0.1:{server.port}")
    outcome = get(f"http://svc.test:{server.port}/", policy, transport)
    assert_denied(outcome, f"svc.test:{server.port}", "redirect refused", "resolves to 127.0.0.2")
    assert [r.target for r in server.requests] == ["/"]
    assert server.requests[0].header("host") == f"svc.test:{server.port}"


def test_a_name_and_its_private_address_both_granted_works(server: LoopbackServer) -> None:
    transport = UrllibTransport(resolver=fake_dns({"gpu.lan.test": "127.0.0.1"}))
    policy = grant(f"gpu.lan.test:{server.port}", f"127.0.0.1:{server.port}")
    outcome = get(f"http://gpu.lan.test:{server.port}/", policy, transport)
    assert isinstance(outcome, HttpResponse) and outcome.status == 200


# --- redirects ------------------------------------------------------------------------------------------


def test_redirect_to_a_granted_host_works_and_to_loopback_does_not(
    server: LoopbackServer, llm_origin: LoopbackServer
) -> None:
    server.respond = lambda r: (307, [("Location", llm_origin.url("/landing"))], b"")
    both = grant(f"127.0.0.1:{server.port}", f"127.0.0.1:{llm_origin.port}")
    outcome = get(server.url(), both)
    assert isinstance(outcome, HttpResponse) and outcome.body == b"none"
    assert [r.target for r in llm_origin.requests] == ["/landing"]
    outcome = get(server.url(), grant(f"127.0.0.1:{server.port}"))
    assert_denied(outcome, f"127.0.0.1:{llm_origin.port}", "redirect refused", f"on port {server.port} only")
    assert len(llm_origin.requests) == 1


# --- the API key ----------------------------------------------------------------------------------------


def _credential(origin: LoopbackServer) -> Credential:
    return Credential.bearer(origin.url("/"), KEY)


def test_the_key_reaches_the_chat_completions_path_of_its_origin(llm_origin: LoopbackServer) -> None:
    policy = grant(f"127.0.0.1:{llm_origin.port}", actor="assistant")
    url = llm_origin.url("/v1/chat/completions")
    outcome = get(url, policy, credential=_credential(llm_origin))
    assert isinstance(outcome, HttpResponse) and outcome.body == f"Bearer {KEY}".encode()


@pytest.mark.parametrize(
    "path", ["/v1/models", "/v1/chat/completions/", "/echo", "/chat/completions", "/V1/chat/completions"]
)
def test_the_key_is_added_to_no_other_path(llm_origin: LoopbackServer, path: str) -> None:
    policy = grant(f"127.0.0.1:{llm_origin.port}")
    outcome = get(llm_origin.url(path), policy, credential=_credential(llm_origin))
    assert isinstance(outcome, HttpResponse) and outcome.body == b"none"


def test_an_actor_not_given_the_credential_never_gets_the_key(llm_origin: LoopbackServer) -> None:
    outcome = get(llm_origin.url("/v1/chat/completions"), grant(f"127.0.0.1:{llm_origin.port}"))
    assert isinstance(outcome, HttpResponse) and outcome.body == b"none"


def test_a_guest_cannot_read_or_forge_the_authorization_header(llm_origin: LoopbackServer) -> None:
    spec = HttpRequestSpec(
        "POST", llm_origin.url("/v1/chat/completions"), headers=(("authorization", "Bearer forged"),)
    )
    outcome = send_request(
        spec, grant(f"127.0.0.1:{llm_origin.port}"), UrllibTransport(), credential=_credential(llm_origin)
    )
    assert isinstance(outcome, HttpResponse) and outcome.body == f"Bearer {KEY}".encode()
    assert [v for k, v in llm_origin.requests[0].headers if k.lower() == "authorization"] == [f"Bearer {KEY}"]


def test_a_redirect_from_another_host_back_to_the_origin_carries_no_key(
    server: LoopbackServer, llm_origin: LoopbackServer
) -> None:
    server.respond = lambda r: (307, [("Location", llm_origin.url("/v1/chat/completions"))], b"")
    policy = grant(f"127.0.0.1:{server.port}", f"127.0.0.1:{llm_origin.port}")
    outcome = get(server.url("/bounce"), policy, credential=_credential(llm_origin))
    assert isinstance(outcome, HttpResponse) and outcome.body == b"none"
    assert server.requests[0].header("authorization") is None


def test_a_redirect_from_the_chat_path_drops_the_key(llm_origin: LoopbackServer) -> None:
    def respond(r: Received) -> tuple[int, list[tuple[str, str]], bytes]:
        if r.target == "/v1/chat/completions":
            return 307, [("Location", "/v1/leak")], b""
        return 200, [], (r.header("authorization") or "none").encode()

    llm_origin.respond = respond
    policy = grant(f"127.0.0.1:{llm_origin.port}")
    outcome = get(llm_origin.url("/v1/chat/completions"), policy, credential=_credential(llm_origin))
    assert isinstance(outcome, HttpResponse) and outcome.body == b"none"
    assert llm_origin.requests[0].header("authorization") == f"Bearer {KEY}"


def test_the_key_and_other_secrets_never_reach_a_trace(llm_origin: LoopbackServer, tmp_path: Path) -> None:
    trace = tmp_path / "run.jsonl"
    llm_origin.respond = lambda r: (200, [("Set-Cookie", "sid=server-secret")], b"{}")
    headers = (
        ("Cookie", "sid=guest-secret"),
        ("X-Auth-Token", "xat-secret"),
        ("PRIVATE-TOKEN", "glpat-secret"),
    )
    url = llm_origin.url("/v1/chat/completions?api_key=q-secret&password=p-secret&n=1")
    spec = HttpRequestSpec("POST", url, headers=headers, body=b"{}")
    with RecordingTransport(UrllibTransport(), trace) as recorder:
        outcome = send_request(
            spec, grant(f"127.0.0.1:{llm_origin.port}"), recorder, credential=_credential(llm_origin)
        )
    assert isinstance(outcome, HttpResponse) and outcome.status == 200
    text = trace.read_text()
    for secret in (
        KEY,
        "server-secret",
        "guest-secret",
        "xat-secret",
        "glpat-secret",
        "q-secret",
        "p-secret",
    ):
        assert secret not in text, secret
    entry = json.loads(text)
    assert ["Authorization", "<redacted>"] in entry["request_headers"]
    assert "n=1" in entry["url"]


# --- truncated responses --------------------------------------------------------------------------------


def test_a_response_cut_short_is_a_network_error_not_a_200(server: LoopbackServer) -> None:
    server.respond = lambda r: (
        200,
        [("Content-Length", "1000"), ("Connection", "close")],
        b"only part of it",
    )
    outcome = get(server.url(), grant(f"127.0.0.1:{server.port}"))
    assert isinstance(outcome, NetworkError), outcome
    assert "cut short: received 15 of 1000 bytes" in outcome.message
