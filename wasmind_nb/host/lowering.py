"""A fast path for the hottest guest call, ``handle-message(self, envelope)``.

wasmtime-py's generic ``Func.__call__`` asks the engine for the function's parameter types and the
record's field types on every call, and lowers a ``list<u8>`` one byte at a time in Python: for a 50 KB
chat-state payload that is 50,000 Python calls per recipient. Here the types are read once per function,
and the payload is laid out in one ``memmove``. It relies on wasmtime-py's C-API bindings (``_ffi``),
which is why ``wasmtime`` is pinned to one major version; the generic path stays the fallback and the
reference (``tests/runtime/test_lowering.py`` compares both).
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import threading
from typing import Any

from wasmtime import _ffi as ffi
from wasmtime.component import Func, RecordType
from wasmtime.component._enter import enter_wasm

from wasmind_nb.host.bytelists import check_size, fill_vallist

ENVELOPE_FIELDS = ("id", "message-type", "from-actor-id", "from-scope", "payload")
_VAL = ffi.wasmtime_component_val_t
_KIND_STRING = ffi.WASMTIME_COMPONENT_STRING
_KIND_LIST = ffi.WASMTIME_COMPONENT_LIST
_KIND_RECORD = ffi.WASMTIME_COMPONENT_RECORD
_CACHED_PAYLOAD_LIMIT = 4096


class HandleMessageCall:
    """Calls ``[method]actor.handle-message`` with an envelope given as five plain values.

    An envelope is lowered once into a record value shared by every instance that delivers it (the
    actors of a pool, or isolated actors each in its own store), so a call lowers only the actor handle.
    The engine only reads a call's arguments, so several threads may pass the same record at once.
    """

    def __init__(self, func: Func, store: Any, envelopes: LoweredEnvelopes) -> None:
        params = func.type(store).params
        (_, self_type), (_, record_type) = params
        if not isinstance(record_type, RecordType):
            raise TypeError("handle-message does not take a record")
        names = tuple(name for name, _ in record_type.fields)
        if names != ENVELOPE_FIELDS:
            raise TypeError(f"unexpected message-envelope fields {names}")
        self._func = func
        self._self_type = self_type
        self._envelopes = envelopes
        self._lowered: _Lowered | None = None  # the last envelope, kept for the next actor of a pool

    def __call__(
        self, store: Any, actor: Any, id_: str, message_type: str, sender: str, scope: str, payload: bytes
    ) -> None:
        key = (id_, message_type, sender, scope, payload)
        lowered = self._lowered
        if lowered is None or lowered.key != key:
            self._release_content()
            lowered = self._lowered = self._envelopes.acquire(key)
        params = (_VAL * 2)()
        handle_lowered = False
        try:
            self._self_type.convert_to_c(store, actor, ctypes.pointer(params[0]))
            handle_lowered = True
            params[1] = lowered.value  # a shallow copy: the engine reads the record, never frees it
            func = self._func

            def run() -> Any:
                return ffi.wasmtime_component_func_call(
                    ctypes.byref(func._func), store._context(), params, 2, None, 0
                )

            enter_wasm(run)
        finally:
            if handle_lowered:
                ffi.wasmtime_component_val_delete(ctypes.byref(params[0]))
            if len(payload) > _CACHED_PAYLOAD_LIMIT:
                self._release_content()  # a lowered byte costs 32 bytes: keep only small ones around

    def _release_content(self) -> None:
        if self._lowered is not None:
            self._envelopes.release(self._lowered)
            self._lowered = None

    def __del__(self) -> None:
        # The collector may run this inside a region holding the envelopes' lock (on any thread): queue
        # the release, never take the lock here. The next acquire or release drains the queue.
        lowered, self._lowered = self._lowered, None
        if lowered is not None:
            with contextlib.suppress(AttributeError):  # at interpreter exit the attributes may be gone
                self._envelopes.release_later(lowered)


class _Lowered:
    """A lowered envelope and how many calls hold it."""

    __slots__ = ("key", "users", "value")

    def __init__(self, key: tuple[str, str, str, str, bytes]) -> None:
        self.key = key
        self.value = _envelope_record(key)
        self.users = 0


class LoweredEnvelopes:
    """The envelopes lowered for the instances of one runtime, each freed when its last holder lets go."""

    def __init__(self) -> None:
        self._live: dict[tuple[str, str, str, str, bytes], _Lowered] = {}
        self._lock = threading.Lock()
        self._deferred: collections.deque[_Lowered] = collections.deque()  # appends need no lock

    def __len__(self) -> int:
        self.drain()
        return len(self._live)

    def acquire(self, key: tuple[str, str, str, str, bytes]) -> _Lowered:
        self.drain()
        with self._lock:
            lowered = self._live.get(key)
            if lowered is None:
                lowered = self._live[key] = _Lowered(key)
            lowered.users += 1
            return lowered

    def release(self, lowered: _Lowered) -> None:
        self.drain()
        self._release(lowered)

    def release_later(self, lowered: _Lowered) -> None:
        """Queue a release (lock-free, so safe in a finalizer); done by the next acquire or release."""
        self._deferred.append(lowered)

    def drain(self) -> None:
        """Do the releases finalizers queued. Called with the lock not held."""
        while True:
            try:
                lowered = self._deferred.popleft()
            except IndexError:
                return
            self._release(lowered)

    def _release(self, lowered: _Lowered) -> None:
        with self._lock:
            lowered.users -= 1
            if lowered.users:
                return
            if self._live.get(lowered.key) is lowered:
                del self._live[lowered.key]
        ffi.wasmtime_component_val_delete(ctypes.byref(lowered.value))


def _envelope_record(key: tuple[str, str, str, str, bytes]) -> Any:
    """A record value owning copies of the envelope's four strings and payload."""
    record = ffi.wasmtime_component_valrecord_t()
    ffi.wasmtime_component_valrecord_new_uninit(record, len(ENVELOPE_FIELDS))
    entries = record.data
    for i, text in enumerate(key[:4]):
        entries[i].name = _byte_vec(ENVELOPE_FIELDS[i].encode())
        entries[i].val.kind = _KIND_STRING
        entries[i].val.of.string = _byte_vec(text.encode())
    last = entries[len(ENVELOPE_FIELDS) - 1]
    last.name = _byte_vec(ENVELOPE_FIELDS[-1].encode())
    last.val.kind = _KIND_LIST
    last.val.of.list = _byte_list(key[4])
    value = _VAL()
    value.kind = _KIND_RECORD
    value.of.record = record
    return value


def _byte_vec(data: bytes) -> Any:
    """A C ``wasm_byte_vec_t`` holding a copy of ``data`` (one call instead of three)."""
    vec = ffi.wasm_byte_vec_t()
    ffi.wasm_byte_vec_new(ctypes.byref(vec), len(data), ctypes.cast(data, ctypes.POINTER(ctypes.c_ubyte)))
    return vec


def _byte_list(payload: bytes) -> Any:
    """A ``list<u8>`` value: ``len(payload)`` u8 values, written in one strided copy, not one per byte."""
    check_size("a message payload", len(payload))
    values = ffi.wasmtime_component_vallist_t()
    ffi.wasmtime_component_vallist_new_uninit(values, len(payload))
    fill_vallist(values, payload)
    return values
