"""wasi:http under the http grants: a default ComponentizeJS build's fetch() against real loopback servers.

The component imports wasi:http, so it is linked with the host's Python WASI set; every request goes
through the ``http`` capability: its host and address policy, denials, redirects, size cap and errors.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import componentize
from tests.host.loopback import LoopbackServer
from tests.security.js_components import build_js
from wasmind_nb import ComponentLoadError, Config, Wasmind
from wasmind_nb.host.linker import wasi_objects
from wasmind_nb.host.transport import DEFAULT_MAX_BODY_BYTES
from wasmind_nb.paths import wit_dir

pytestmark = pytest.mark.anyio
ACTORS = Path(__file__).parents[1] / "actors"


@pytest.fixture(scope="module")
def fetch_wasm() -> Path:
    return build_js("js_fetch", ACTORS / "js_fetch" / "actor.js", wit_dir(), "actor-world")


@pytest.fixture
def server():
    srv = LoopbackServer()
    yield srv
    srv.close()


def config(wasm: Path, hosts: list[str], extra: str = "") -> Config:
    return Config.from_toml(
        f'starting_actors = ["js"]\n{extra}\n[actors.js]\nsource = {{ path = "{wasm}" }}\n'
        f"capabilities = {{ http_hosts = {json.dumps(hosts)} }}\n"
    )


async def fetch(mind: Wasmind, **request: object) -> dict:
    await mind.broadcast("test.Fetch", json.dumps(request).encode())
    await mind.wait_idle(timeout=60)
    results = [json.loads(m.payload) for m in mind.messages if m.message_type == "test.Fetched"]
    assert len(results) == 1, results
    return results[0]


@pytest.mark.parametrize("instances", ["isolated", "pooled"])
async def test_granted_fetch_gets_status_headers_and_body(fetch_wasm, server, instances) -> None:
    server.respond = lambda r: (201, [("X-Test", "yes")], b"hello " + r.body)
    held = len(wasi_objects)
    cfg = config(fetch_wasm, [f"127.0.0.1:{server.port}"], f'[runtime]\ninstances = "{instances}"')
    async with Wasmind(cfg, progress=False) as mind:
        got = await fetch(mind, url=server.url("/p?q=1"), method="POST", body="from js")
        assert got == {"status": 201, "header": "yes", "body": "hello from js"}
        assert [(r.method, r.target, r.body) for r in server.requests] == [("POST", "/p?q=1", b"from js")]
        assert mind.denials == []
    del mind
    gc.collect()
    assert len(wasi_objects) == held  # what the guest still held went with its store


async def test_ungranted_port_is_denied_and_visible(fetch_wasm, server) -> None:
    async with Wasmind(config(fetch_wasm, ["127.0.0.1:1"]), progress=False) as mind:
        got = await fetch(mind, url=server.url("/secret"))
        assert "error" in got and "TypeError" in got["error"]
        assert server.requests == []
        [denial] = mind.denials
        assert (denial.actor, denial.capability, denial.target) == (
            "js",
            "http_hosts",
            f"127.0.0.1:{server.port}",
        )


async def test_a_private_address_is_not_covered_by_star(fetch_wasm, server) -> None:
    async with Wasmind(config(fetch_wasm, ["*"]), progress=False) as mind:
        got = await fetch(mind, url=server.url("/"))
        assert "error" in got and server.requests == []
        assert [d.capability for d in mind.denials] == ["http_hosts"]
        assert "private" in mind.denials[0].reason or "loopback" in mind.denials[0].reason


async def test_redirects_follow_the_policy(fetch_wasm, server) -> None:
    other = LoopbackServer()
    try:

        def respond(request):
            if request.target == "/inside":
                return 302, [("Location", "/final")], b""
            if request.target == "/outside":
                return 302, [("Location", other.url("/stolen"))], b""
            return 200, [], b"final"

        server.respond = respond
        async with Wasmind(config(fetch_wasm, [f"127.0.0.1:{server.port}"]), progress=False) as mind:
            assert (await fetch(mind, url=server.url("/inside")))["body"] == "final"
        async with Wasmind(config(fetch_wasm, [f"127.0.0.1:{server.port}"]), progress=False) as mind:
            got = await fetch(mind, url=server.url("/outside"))
            assert "error" in got and other.requests == []
            [denial] = mind.denials
            assert denial.target == f"127.0.0.1:{other.port}" and "redirect refused" in denial.reason
    finally:
        other.close()


async def test_size_cap_truncation_and_a_dead_endpoint_are_errors(fetch_wasm, server) -> None:
    big = b"x" * (DEFAULT_MAX_BODY_BYTES + 1)
    server.respond = lambda r: (
        (200, [], big)
        if r.target == "/big"
        else (200, [("Content-Length", "1000"), ("Connection", "close")], b"only fifteen b.")
    )
    dead = LoopbackServer()
    dead_port = dead.port
    dead.close()
    hosts = [f"127.0.0.1:{server.port}", f"127.0.0.1:{dead_port}"]
    for target in (server.url("/big"), server.url("/short"), f"http://127.0.0.1:{dead_port}/"):
        async with Wasmind(config(fetch_wasm, hosts), progress=False) as mind:
            got = await fetch(mind, url=target)
            assert "error" in got and "status" not in got, (target, got)
            assert mind.denials == []
            assert not [m for m in mind.messages if m.message_type.endswith("ActorFailed")]


async def test_waiting_for_a_response_does_not_count_against_the_deadline(fetch_wasm, server) -> None:
    released = threading.Event()

    def slow(request):
        released.wait(10)
        return 200, [], b"slow but fine"

    server.respond = slow
    extra = "[runtime]\nhandler_timeout_s = 1"
    async with Wasmind(config(fetch_wasm, [f"127.0.0.1:{server.port}"], extra), progress=False) as mind:
        timer = threading.Timer(2.5, released.set)  # the response comes after the 1 s budget
        timer.start()
        try:
            assert (await fetch(mind, url=server.url("/slow")))["body"] == "slow but fine"
        finally:
            timer.cancel()
            released.set()


async def test_a_wasi_http_component_gets_no_files(fetch_wasm, tmp_path) -> None:
    cfg = config(fetch_wasm, [])
    text = f'starting_actors = ["js"]\n[actors.js]\nsource = {{ path = "{fetch_wasm}" }}\n'
    text += f'[actors.js.capabilities]\nfs = [{{ host = "{tmp_path}", guest = "/work" }}]\n'
    cfg = Config.from_toml(text)
    mind = Wasmind(cfg, progress=False)
    with pytest.raises(Exception, match=r"imports wasi:http.*sees no files.*capabilities\.fs"):
        await mind.start()
    await mind.shutdown()
    assert not mind.running


async def test_an_import_nobody_provides_fails_at_load_naming_it() -> None:
    folder = ACTORS / "js_gadget"
    wasm = build_js("js_gadget", folder / "actor.js", folder / "wit", "gadget-actor")
    cfg = Config.from_toml(f'starting_actors = ["g"]\n[actors.g]\nsource = {{ path = "{wasm}" }}\n')
    mind = Wasmind(cfg, progress=False)
    with pytest.raises(ComponentLoadError, match=r"actor\(s\) g: .*imports `tests:gadget/gadget@0\.1\.0`"):
        await mind.start()
    assert not mind.running


def test_wasmind_nb_build_names_the_missing_interface(tmp_path) -> None:
    folder = ACTORS / "js_gadget"
    wasm = build_js("js_gadget", folder / "actor.js", folder / "wit", "gadget-actor")
    toml = tmp_path / "wasmind.toml"
    toml.write_text(f'starting_actors = ["g"]\n[actors.g]\nsource = {{ path = "{wasm}" }}\n')
    done = subprocess.run(
        [sys.executable, "-m", "wasmind_nb.cli", "build", str(toml)], capture_output=True, text=True
    )
    assert done.returncode == 2 and "actor(s) g" in done.stderr
    assert "imports `tests:gadget/gadget@0.1.0`, which this host does not provide" in done.stderr


@pytest.fixture(scope="module")
def py_fetch_wasm() -> Path:
    folder = ACTORS / "py_wasi_http"
    world = "tests:py-fetch/py-fetch"
    return componentize("py_wasi_http", folder / "app", [wit_dir(), folder / "wit"], world)


async def test_a_python_wasi_http_client_is_confined_the_same_way(py_fetch_wasm, server) -> None:
    server.respond = lambda r: (200, [("X-Test", r.header("x-from") or "")], b"hello python")
    async with Wasmind(config(py_fetch_wasm, [f"127.0.0.1:{server.port}"]), progress=False) as mind:
        got = await fetch(mind, url=server.url("/py"))
        assert got == {"status": 200, "header": "python", "body": "hello python"}
    async with Wasmind(config(py_fetch_wasm, []), progress=False) as mind:
        got = await fetch(mind, url=server.url("/py"))
        assert "HttpRequestDenied" in got["error"]
        target = f"127.0.0.1:{server.port}"
        assert [(d.capability, d.target) for d in mind.denials] == [("http_hosts", target)]
    assert len(server.requests) == 1


async def test_the_llm_key_goes_only_to_llm_actors_chat_requests_never_to_the_guest(
    fetch_wasm, server, monkeypatch
) -> None:
    monkeypatch.setenv("WASMIND_H5_TEST_KEY", "sk-test-secret-42")
    server.respond = lambda r: (200, [("X-Test", "key" if r.header("authorization") else "none")], b"{}")
    llm = f'[llm]\nbase_url = "{server.url("")}"\napi_key_env = "WASMIND_H5_TEST_KEY"\n'
    chat = server.url("/v1/chat/completions")
    for grant, expected in (("llm = true", "key"), (f'http_hosts = ["127.0.0.1:{server.port}"]', "none")):
        text = f'starting_actors = ["js"]\n{llm}[actors.js]\nsource = {{ path = "{fetch_wasm}" }}\n'
        text += f"capabilities = {{ {grant} }}\n"
        async with Wasmind(Config.from_toml(text), progress=False) as mind:
            got = await fetch(mind, url=chat, method="POST", body="{}")
            assert got["header"] == expected, grant
            assert all(b"sk-test-secret-42" not in m.payload for m in mind.messages)
    assert [r.header("authorization") for r in server.requests] == ["Bearer sk-test-secret-42", None]


async def test_timers_are_the_guests_time_and_end_at_its_deadline(fetch_wasm) -> None:
    extra = "[runtime]\nhandler_timeout_s = 1"
    async with Wasmind(config(fetch_wasm, [], extra), progress=False) as mind:
        await mind.broadcast("test.Sleep", b'{"ms": 20}')
        await mind.wait_idle(timeout=30)
        assert [json.loads(m.payload) for m in mind.messages if m.message_type == "test.Fetched"] == [
            {"slept": 20}
        ]
        await mind.broadcast("test.Sleep", b'{"ms": 600000}')  # ten minutes, in a 1 s budget
        await mind.wait_idle(timeout=30)  # returns at the deadline, not after the timer
        [fault] = mind.faults
        assert fault.actor == "js" and "deadline" in fault.error
