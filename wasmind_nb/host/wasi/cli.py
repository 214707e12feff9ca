"""The rest of the Python WASI set: std streams, terminals, environment, exit, clocks, random, and a
filesystem with no directories (a component served here sees no files: see :mod:`wasmind_nb.host.wasi`).

The guest's stderr goes to its store's stderr file (where the traps' tracebacks are read from), found
through the calling context; stdout is dropped, stdin is empty, as with the native WASI of other actors.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from wasmtime.component import Record, Variant

from wasmind_nb.host import context
from wasmind_nb.host.wasi.io import InputStream, OutputStream, Timer, discard
from wasmind_nb.host.wasi.values import ObjectTable

#: The most bytes one ``get-random-bytes`` call returns.
MAX_RANDOM_BYTES = 1 << 20

_stderr_files: dict[int, str] = {}
_stderr_lock = threading.Lock()


def register_store(store: object, path: str, table: ObjectTable) -> None:
    """Send what the guest of ``store`` writes to stderr to the file ``path``; when the store goes,
    forget that and drop its objects from ``table``."""
    with _stderr_lock:
        _stderr_files[id(store)] = path
    weakref.finalize(store, _forget, id(store), table)


def _forget(key: int, table: ObjectTable) -> None:
    with _stderr_lock:
        _stderr_files.pop(key, None)
    table.drop_owner(key)


def _stderr_sink() -> Callable[[bytes], None]:
    try:
        store = context.current().store
    except RuntimeError:
        return discard
    with _stderr_lock:
        path = _stderr_files.get(id(store))
    if path is None:
        return discard

    def write(data: bytes) -> None:
        with open(path, "ab") as handle:
            handle.write(data)

    return write


def _wall_now() -> Record:
    ns = time.time_ns()
    rec = Record()
    rec.seconds, rec.nanoseconds = ns // 1_000_000_000, ns % 1_000_000_000
    return rec


def _wall_resolution() -> Record:
    rec = Record()
    rec.seconds, rec.nanoseconds = 0, 1
    return rec


def _random_bytes(length: int) -> bytes:
    if length > MAX_RANDOM_BYTES:
        raise ValueError(f"get-random-bytes asked for {length} bytes; at most {MAX_RANDOM_BYTES} per call")
    return os.urandom(length)


def _random_u64() -> int:
    return int.from_bytes(os.urandom(8), "little")


def _exit(status: Any) -> None:
    raise RuntimeError(f"the guest called wasi:cli/exit ({status})")


def _no_descriptor(*args: Any) -> Any:
    raise RuntimeError("wasi:filesystem: this component has no directories, so no descriptor exists")


def functions() -> dict[str, dict[str, Callable[..., Any]]]:
    """These interfaces' functions, by interface (without version) and function name."""
    none = Variant("none")
    descriptor_methods = (
        "read-via-stream", "write-via-stream", "append-via-stream", "advise", "sync-data", "get-flags",
        "get-type", "set-size", "set-times", "read", "write", "read-directory", "sync",
        "create-directory-at", "stat", "stat-at", "set-times-at", "link-at", "open-at", "readlink-at",
        "remove-directory-at", "rename-at", "symlink-at", "unlink-file-at", "is-same-object",
        "metadata-hash", "metadata-hash-at",
    )  # fmt: skip
    filesystem = {f"[method]descriptor.{name}": _no_descriptor for name in descriptor_methods}
    filesystem["[method]directory-entry-stream.read-directory-entry"] = _no_descriptor
    filesystem["filesystem-error-code"] = lambda err: none
    return {
        "wasi:cli/stdin": {"get-stdin": lambda: InputStream()},
        "wasi:cli/stdout": {"get-stdout": lambda: OutputStream(discard)},
        "wasi:cli/stderr": {"get-stderr": lambda: OutputStream(_stderr_sink())},
        "wasi:cli/terminal-input": {},
        "wasi:cli/terminal-output": {},
        "wasi:cli/terminal-stdin": {"get-terminal-stdin": lambda: none},
        "wasi:cli/terminal-stdout": {"get-terminal-stdout": lambda: none},
        "wasi:cli/terminal-stderr": {"get-terminal-stderr": lambda: none},
        "wasi:cli/environment": {
            "get-environment": lambda: [],
            "get-arguments": lambda: [],
            "initial-cwd": lambda: none,
        },
        "wasi:cli/exit": {"exit": _exit},
        "wasi:clocks/monotonic-clock": {
            "now": time.monotonic_ns,
            "resolution": lambda: 1,
            "subscribe-instant": lambda when: Timer(when),
            "subscribe-duration": lambda ns: Timer(time.monotonic_ns() + ns),
        },
        "wasi:clocks/wall-clock": {"now": _wall_now, "resolution": _wall_resolution},
        "wasi:random/random": {"get-random-bytes": _random_bytes, "get-random-u64": _random_u64},
        "wasi:random/insecure": {
            "get-insecure-random-bytes": _random_bytes,
            "get-insecure-random-u64": _random_u64,
        },
        "wasi:random/insecure-seed": {"insecure-seed": lambda: (_random_u64(), _random_u64())},
        "wasi:filesystem/preopens": {"get-directories": lambda: []},
        "wasi:filesystem/types": filesystem,
    }
