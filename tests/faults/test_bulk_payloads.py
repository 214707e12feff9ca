"""Payloads of many megabytes cross between host and guest intact, as files and parts, never as one
engine value (which stops at about 3 MB guest-to-host and costs ~80 bytes a byte host-to-guest)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers import payloads
from tests.host.loopback import LoopbackServer
from wasmind_nb import Wasmind
from wasmind_nb.host import bulk, bytelists, lowering
from wasmind_sdk.bulk import BULK_BYTES, MARKER

pytestmark = pytest.mark.anyio
TEN_MB = 10_000_000


class Crossings:
    """Counts what crossed how: files staged for guests, parts received, large lowered values."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.staged: list[int] = []
        self.parts = 0
        self.large_values = 0
        stage, add_part, byte_list = bulk.BulkChannel.stage, bulk.BulkChannel.add_part, lowering._byte_list

        def counting_stage(channel: bulk.BulkChannel, data: bytes) -> bytes:
            self.staged.append(len(data))
            return stage(channel, data)

        def counting_add_part(channel: bulk.BulkChannel, data: bytes) -> None:
            self.parts += 1
            add_part(channel, data)

        def counting_byte_list(payload: bytes):
            self.large_values += len(payload) > BULK_BYTES
            return byte_list(payload)

        monkeypatch.setattr(bulk.BulkChannel, "stage", counting_stage)
        monkeypatch.setattr(bulk.BulkChannel, "add_part", counting_add_part)
        monkeypatch.setattr(lowering, "_byte_list", counting_byte_list)


@pytest.fixture
def crossings(monkeypatch: pytest.MonkeyPatch) -> Crossings:
    return Crossings(monkeypatch)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    loopback = LoopbackServer()
    yield loopback
    loopback.close()


ECHO = 'starting_actors = ["echo"]\n[actors.echo]\nsource = { path = "echo" }\n'


@pytest.mark.parametrize("instance", ["isolated", "pooled"])
async def test_a_10_mb_payload_goes_to_the_guest_as_a_file_and_comes_back_in_parts(
    make_config, crossings, instance
) -> None:
    text = "".join(chr(0x20 + i % 0x5E) for i in range(TEN_MB)) + "déjà 日本 🎉"
    config = make_config(ECHO + f'[runtime]\ninstances = "{instance}"\n')
    async with Wasmind(config, progress=False) as mind:
        await mind.broadcast("demo.Echo", {"text": text})  # echo broadcasts json.dumps(payload) back
        await mind.wait_idle()
        assert mind.faults == []
        (echoed,) = payloads(mind, "demo.Echoed")
        assert [m for m in mind.messages if m.message_type.startswith("wasmind.bulk")] == []
    assert echoed == {"text": text}
    assert crossings.staged and min(crossings.staged) > TEN_MB  # in: a file (echo's payload, then Echoed's)
    assert crossings.parts >= TEN_MB // (256 * 1024)  # out: in parts
    assert crossings.large_values == 0  # no large payload became an engine value


async def test_every_actor_of_a_pool_gets_the_whole_large_payload(make_config, crossings) -> None:
    config = make_config(ECHO + '[runtime]\ninstances = "pooled"\n')
    data = "x" * 3_000_000
    async with Wasmind(config, progress=False) as mind:
        scopes = ["000000", *[await mind.spawn_agent(["echo"], name=f"e{i}") for i in range(3)]]
        await mind.broadcast("demo.Echo", {"d": data})
        await mind.wait_idle()
        assert mind.faults == []
        echoed = [m for m in mind.messages if m.message_type == "demo.Echoed"]
    assert sorted(m.from_scope for m in echoed) == sorted(scopes)
    assert [m.json() for m in echoed] == [{"d": data}] * 4


async def test_a_payload_that_looks_like_a_marker_reaches_every_guest_verbatim(
    make_config, raw_echo_wasm
) -> None:
    config = make_config(
        'starting_actors = ["echo", "raw"]\n[actors.echo]\nsource = { path = "echo" }\n'
        f'[actors.raw]\nsource = {{ path = "{raw_echo_wasm}" }}\n'
    )
    tricky = MARKER + b"0"  # names the first file a guest would be handed
    async with Wasmind(config, progress=False) as mind:
        await mind.broadcast("raw.Ping", tricky)  # raw_echo (no SDK) echoes the bytes as raw.Pong
        await mind.broadcast("demo.RawEcho", tricky)  # echo (SDK) as demo.RawEchoed
        await mind.wait_idle()
        assert mind.faults == []
        echoed = {
            m.message_type: m.payload for m in mind.messages if m.message_type.endswith(("Pong", "Echoed"))
        }
    assert echoed == {"raw.Pong": tricky, "demo.RawEchoed": tricky}


async def test_a_response_that_looks_like_a_marker_is_not_taken_for_a_file(
    make_config, tmp_path, server
) -> None:
    tricky = MARKER + b"0"  # the name of the file the large request below is handed in
    server.respond = lambda request: (200, [], tricky)
    config = make_config(
        'starting_actors = ["probe"]\n[actors.probe]\nsource = { path = "probe" }\n'
        f'[actors.probe.capabilities]\nhttp_hosts = ["127.0.0.1:{server.port}"]\n'
    )
    async with Wasmind(config, working_dir=tmp_path, progress=False) as mind:
        await mind.broadcast("probe.Http", {"method": "POST", "url": server.url(), "body": "p" * 100_000})
        await mind.wait_idle()
        (result,) = payloads(mind, "probe.HttpResult")
    assert result["ok"] and result["body"].encode() == tricky


async def test_a_10_mb_http_response_and_a_5_mb_request_body_cross_intact(
    make_config, tmp_path, crossings, server
) -> None:
    reply = bytes(range(32, 127)) * (TEN_MB // 95)
    server.respond = lambda request: (200, [("Content-Type", "text/plain")], reply)
    config = make_config(
        'starting_actors = ["probe"]\n[actors.probe]\nsource = { path = "probe" }\n'
        f'[actors.probe.capabilities]\nhttp_hosts = ["127.0.0.1:{server.port}"]\n'
    )
    body = "b" * 5_000_000
    async with Wasmind(config, working_dir=tmp_path, progress=False) as mind:
        await mind.broadcast("probe.Http", {"method": "POST", "url": server.url("/big"), "body": body})
        await mind.wait_idle()
        assert mind.faults == []
        (result,) = payloads(mind, "probe.HttpResult")
    assert result["ok"] and result["status"] == 200 and result["body"] == reply.decode()
    (request,) = server.requests
    assert request.body == body.encode()
    assert request.header(bulk.ACCEPT_HEADER) is None  # the SDK's header is for the host only
    assert len(reply) in crossings.staged
    assert crossings.large_values == 0


async def test_parts_a_guest_never_uses_are_dropped_and_never_reach_the_bus(
    make_config, tmp_path, caplog
) -> None:
    config = make_config('starting_actors = ["probe"]\n[actors.probe]\nsource = { path = "probe" }\n')
    async with Wasmind(config, working_dir=tmp_path, progress=False) as mind:
        await mind.broadcast("probe.Broadcast", {"type": bulk.PART_TYPE, "payload": "stray"})
        await mind.wait_idle()
        await mind.broadcast("probe.Broadcast", {"type": "demo.After", "payload": {"ok": True}})
        await mind.wait_idle()
        assert mind.faults == [] and mind.denials == []
        assert [m for m in mind.messages if m.message_type.startswith("wasmind.bulk")] == []
        assert payloads(mind, "demo.After") == [{"ok": True}]
    assert "sent 7 bytes in parts and never used them" in caplog.text


async def test_parts_over_the_payload_limit_fail_the_sender_with_the_limit_named(
    make_config, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(bytelists, "MAX_PAYLOAD_BYTES", 100_000)
    config = make_config(ECHO)
    async with Wasmind(config, progress=False) as mind:
        await mind.broadcast("demo.Echo", {"t": "é" * 40_000})  # 80 KB in; echo's json.dumps makes it 240 KB
        await mind.broadcast("demo.Echo", {"t": "z"})
        await mind.wait_idle()
        (fault,) = mind.faults
        assert (
            fault.actor == "echo" and "PayloadTooLarge" in fault.error and "MAX_PAYLOAD_BYTES" in fault.error
        )
        assert payloads(mind, "demo.Echoed") == []
