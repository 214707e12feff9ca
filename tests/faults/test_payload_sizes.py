"""``list<u8>`` values cross the host boundary in one strided copy, intact, and within a size limit."""

from __future__ import annotations

import ctypes

import pytest
from wasmtime import _ffi as ffi

from tests.helpers import payloads
from wasmind_nb import Wasmind
from wasmind_nb.host import bytelists, lowering
from wasmind_nb.host.bytelists import MAX_PAYLOAD_BYTES, PayloadTooLarge

pytestmark = pytest.mark.anyio
DATA = bytes(range(256)) * 40 + b"\x00\xff"


def _vallist(size: int):
    values = ffi.wasmtime_component_vallist_t()
    ffi.wasmtime_component_vallist_new_uninit(values, size)
    return values


def test_a_filled_list_holds_one_u8_value_per_byte() -> None:
    values = _vallist(len(DATA))
    try:
        bytelists.fill_vallist(values, DATA)
        kinds = {values.data[i].kind for i in range(len(DATA))}
        assert kinds == {ffi.WASMTIME_COMPONENT_U8.value}
        assert bytes(values.data[i].of.u8 for i in range(len(DATA))) == DATA
    finally:
        ffi.wasmtime_component_vallist_delete(ctypes.byref(values))


def test_a_list_written_value_by_value_reads_back_as_its_bytes() -> None:
    values = _vallist(len(DATA))
    try:
        for i, byte in enumerate(DATA):  # what wasmtime hands a host function
            values.data[i].kind = ffi.WASMTIME_COMPONENT_U8
            values.data[i].of.u8 = byte
        assert bytelists.bytes_from_vallist(values) == DATA
    finally:
        ffi.wasmtime_component_vallist_delete(ctypes.byref(values))
    assert bytelists.bytes_from_vallist(_vallist(0)) == b""


def test_over_the_limit_is_an_error_naming_it() -> None:
    with pytest.raises(PayloadTooLarge, match="MAX_PAYLOAD_BYTES") as caught:
        lowering._byte_list(bytes(MAX_PAYLOAD_BYTES + 1))
    assert f"{MAX_PAYLOAD_BYTES:,}" in str(caught.value) and "message payload" in str(caught.value)


async def test_a_large_payload_goes_to_the_guest_and_back_intact(make_config) -> None:
    text = "".join(chr(0x20 + i % 0x5E) for i in range(1_500_000)) + "déjà 日本 🎉"
    config = make_config('starting_actors = ["echo"]\n[actors.echo]\nsource = { path = "echo" }\n')
    async with Wasmind(config, progress=False) as mind:
        await mind.broadcast("demo.Echo", {"text": text})  # echo broadcasts json.dumps(payload) back
        await mind.wait_idle()
        assert mind.faults == []
        (echoed,) = payloads(mind, "demo.Echoed")
    assert echoed["text"] == text


async def test_a_guest_broadcast_over_the_limit_fails_the_sender_with_the_limit_named(
    make_config, monkeypatch
) -> None:
    monkeypatch.setattr(bytelists, "MAX_PAYLOAD_BYTES", 200)
    config = make_config('starting_actors = ["echo"]\n[actors.echo]\nsource = { path = "echo" }\n')
    async with Wasmind(config, progress=False) as mind:
        # 130 bytes in, but echo's json.dumps escapes each "é" as 6 bytes: its broadcast is over 200
        await mind.broadcast("demo.Echo", {"t": "é" * 60})
        await mind.broadcast("demo.Ping", None)  # the failed sender handles nothing more
        await mind.wait_idle()
        (fault,) = mind.faults
        assert (fault.scope, fault.actor) == ("000000", "echo")
        assert "a host function failed: PayloadTooLarge" in fault.error and "MAX_PAYLOAD_BYTES" in fault.error
        assert payloads(mind, "demo.Echoed") == [] and payloads(mind, "demo.Pong") == []
