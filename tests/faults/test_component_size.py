"""A component file larger than the limit is refused before any of it is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from wasmind_nb.errors import ComponentLoadError
from wasmind_nb.host import engine as engine_module
from wasmind_nb.host.engine import MAX_COMPONENT_BYTES, EngineHost


def test_a_sparse_gigabyte_component_is_rejected_without_reading_it(tmp_path: Path, monkeypatch) -> None:
    huge = tmp_path / "huge.wasm"
    with huge.open("wb") as handle:
        handle.truncate(1 << 30)  # sparse: 1 GiB that costs no disk
    assert huge.stat().st_size > MAX_COMPONENT_BYTES

    def no_reading(self: Path) -> bytes:
        raise AssertionError(f"{self} was read")

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    with pytest.raises(ComponentLoadError) as caught:
        EngineHost().load_component(huge, tmp_path / "cache")
    message = str(caught.value)
    assert str(huge) in message and f"{MAX_COMPONENT_BYTES:,}" in message and "MAX_COMPONENT_BYTES" in message


def test_a_missing_component_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(ComponentLoadError, match="cannot read"):
        engine_module.check_component_size(tmp_path / "absent.wasm")
