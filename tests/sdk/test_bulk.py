"""The SDK's half of bulk data, on the host: how it splits, marks and reads back (no component needed)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from wasmind_sdk import bulk, host
from wasmind_sdk.bulk import BULK_BYTES, MARKER, PART_BYTES, PayloadTooLarge


@pytest.fixture
def on_wasmind_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """As inside a component on a wasmind-nb host: the bulk folder exists (here a temporary one)."""
    monkeypatch.setattr(bulk, "GUEST_DIR", str(tmp_path))
    monkeypatch.setattr(bulk, "_available", None)
    return tmp_path


def _send(data: bytes) -> tuple[list[bytes], list[bytes]]:
    calls: list[bytes] = []
    parts: list[bytes] = []
    bulk.send(data, calls.append, parts.append)
    return calls, parts


def test_small_data_is_sent_as_it_is(on_wasmind_host: Path) -> None:
    assert _send(b"x" * BULK_BYTES) == ([b"x" * BULK_BYTES], [])


def test_large_data_goes_in_parts_then_the_marker(on_wasmind_host: Path) -> None:
    data = bytes(range(256)) * (PART_BYTES // 256 * 2 + 3)
    calls, parts = _send(data)
    assert calls == [MARKER]
    assert b"".join(parts) == data and max(map(len, parts)) == PART_BYTES and len(parts) == 3


def test_on_any_other_host_large_data_is_sent_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "GUEST_DIR", str(tmp_path / "absent"))
    monkeypatch.setattr(bulk, "_available", None)
    data = b"y" * (PART_BYTES * 2)
    assert _send(data) == ([data], [])
    assert bulk.resolve(MARKER + b"0") == MARKER + b"0"


def test_a_marker_reads_its_file_and_anything_else_stays_as_it_is(on_wasmind_host: Path) -> None:
    (on_wasmind_host / "7").write_bytes(b"the data")
    assert bulk.resolve(MARKER + b"7") == b"the data"
    for other in (b"plain", MARKER + b"8", MARKER + b"../7", MARKER + b"7/", MARKER + b""):
        assert bulk.resolve(other) == other


def test_an_envelope_is_resolved_once(on_wasmind_host: Path) -> None:
    (on_wasmind_host / "0").write_bytes(MARKER + b"0")  # data that itself looks like a marker
    envelope = SimpleNamespace(payload=MARKER + b"0")
    bulk.resolve_envelope(envelope)
    bulk.resolve_envelope(envelope)
    assert envelope.payload == MARKER + b"0"


def test_a_broadcast_over_the_limit_raises_in_the_sender_and_sends_nothing(
    on_wasmind_host: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[tuple[str, int]] = []
    monkeypatch.setattr(host, "messaging", SimpleNamespace(broadcast=lambda t, p: sent.append((t, len(p)))))
    with pytest.raises(PayloadTooLarge, match=r"demo\.Big is 67,108,865 bytes.*MAX_PAYLOAD_BYTES"):
        host.broadcast("demo.Big", b"z" * (bulk.MAX_PAYLOAD_BYTES + 1))
    assert sent == []
    host.broadcast("demo.Big", b"z" * (PART_BYTES + 1))
    assert sent == [(bulk.PART_TYPE, PART_BYTES), (bulk.PART_TYPE, 1), ("demo.Big", len(MARKER))]
