"""The wasmtime engine, its epoch ticker, and the compiled-component cache.

One engine serves every runtime in the process, so a component compiled once (or deserialized from the
on-disk cache) is shared by every spawn and every restart of a runtime in the same kernel.
"""

from __future__ import annotations

import os
import threading
from importlib.metadata import version
from pathlib import Path

import wasmtime
from wasmtime.component import Component

from wasmind_nb.build.hashing import file_key
from wasmind_nb.errors import ComponentLoadError
from wasmind_nb.host.epoch import EPOCH_TICK_S

#: The largest component file loaded (a Python actor is ~18 MB): checked before a byte of it is read.
MAX_COMPONENT_BYTES = 256 * 1024 * 1024
_ENGINE_FLAVOUR = "epoch-interruption;v1"


class EngineHost:
    """Owns the engine, ticks its epoch while any runtime needs deadlines, caches compiled components."""

    def __init__(self) -> None:
        config = wasmtime.Config()
        config.epoch_interruption = True
        self.engine = wasmtime.Engine(config)
        self._components: dict[str, Component] = {}
        self._lock = threading.Lock()
        self._ticker: threading.Thread | None = None
        self._ticker_users = 0
        self._ticker_stop = threading.Event()

    def load_component(self, wasm: Path, cache: Path) -> Component:
        """Compile ``wasm`` (or reuse the in-memory or on-disk compiled copy) and return it.

        Raises :class:`ComponentLoadError` if it imports an interface the host does not provide."""
        check_component_size(wasm)
        key = file_key(wasm, [f"wasmtime={version('wasmtime')}", _ENGINE_FLAVOUR])
        with self._lock:
            cached = self._components.get(key)
        if cached is not None:
            return cached
        compiled = cache / "compiled" / f"{key}.cwasm"
        component = self._deserialize(compiled) if compiled.is_file() else None
        if component is None:
            component = self._compile(wasm)
            compiled.parent.mkdir(parents=True, exist_ok=True)
            partial = compiled.with_suffix(f".{os.getpid()}.partial")
            partial.write_bytes(component.serialize())
            os.replace(partial, compiled)
        from wasmind_nb.host.imports import check_imports  # (it imports the call context, which imports us)

        check_imports(component, self.engine, str(wasm))  # now, not when it is first spawned
        with self._lock:
            return self._components.setdefault(key, component)

    def _deserialize(self, compiled: Path) -> Component | None:
        try:
            return Component.deserialize_file(self.engine, str(compiled))
        except wasmtime.WasmtimeError:
            compiled.unlink(missing_ok=True)  # stale or truncated: compile again
            return None

    def _compile(self, wasm: Path) -> Component:
        data = wasm.read_bytes()
        if data[:4] != b"\0asm":
            raise ComponentLoadError(f"{wasm} is not a WebAssembly file")
        if len(data) >= 8 and data[4:8] == b"\x01\0\0\0":
            raise ComponentLoadError(
                f"{wasm} is a core WebAssembly module, not a component: build it as a component "
                "(cargo-component, componentize-py, ComponentizeJS, or `wasm-tools component new`)"
            )
        try:
            return Component(self.engine, data)
        except wasmtime.WasmtimeError as err:
            raise ComponentLoadError(f"{wasm} is not a valid component: {_first_line(err)}") from None

    def acquire_ticker(self) -> None:
        """Start ticking the epoch (refcounted: one ticker for all runtimes)."""
        with self._lock:
            self._ticker_users += 1
            if self._ticker is None:
                self._ticker_stop.clear()
                self._ticker = threading.Thread(target=self._tick, name="wasmind-epoch", daemon=True)
                self._ticker.start()

    def release_ticker(self) -> None:
        with self._lock:
            self._ticker_users = max(0, self._ticker_users - 1)
            if self._ticker_users == 0 and self._ticker is not None:
                self._ticker_stop.set()
                self._ticker = None

    def _tick(self) -> None:
        while not self._ticker_stop.wait(EPOCH_TICK_S):
            self.engine.increment_epoch()


def check_component_size(wasm: Path) -> None:
    """Refuse a component file larger than :data:`MAX_COMPONENT_BYTES` without reading it."""
    try:
        size = wasm.stat().st_size
    except OSError as err:
        raise ComponentLoadError(f"{wasm}: cannot read the component: {err}") from None
    if size > MAX_COMPONENT_BYTES:
        raise ComponentLoadError(
            f"{wasm} is {size:,} bytes: larger than the {MAX_COMPONENT_BYTES:,}-byte limit for a component "
            "(MAX_COMPONENT_BYTES)"
        )


def _first_line(err: Exception) -> str:
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


_shared: EngineHost | None = None
_shared_lock = threading.Lock()


def shared_engine() -> EngineHost:
    """The process-wide :class:`EngineHost`."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = EngineHost()
        return _shared
