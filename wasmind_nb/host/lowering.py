"""A fast path for the hottest guest call, ``handle-message(self, envelope)``.

wasmtime-py's generic ``Func.__call__`` asks the engine for the function's parameter types and the
record's field types on every call, and lowers a ``list<u8>`` one byte at a time in Python: for a 50 KB
chat-state payload that is 50,000 Python calls per recipient. Here the types are read once per function,
and the payload is laid out in one ``memmove``. It relies on wasmtime-py's C-API bindings (``_ffi``),
which is why ``wasmtime`` is pinned to one major version; the generic path stays the fallback and the
reference (``tests/runtime/test_lowering.py`` compares both).
"""

from __future__ import annotations

import ctypes
from typing import Any

from wasmtime import _ffi as ffi
from wasmtime.component import Func, RecordType
from wasmtime.component._enter import enter_wasm

ENVELOPE_FIELDS = ("id", "message-type", "from-actor-id", "from-scope", "payload")
_VAL = ffi.wasmtime_component_val_t
_VAL_SIZE = ctypes.sizeof(_VAL)
_VALUE_OFFSET = _VAL.of.offset
_KIND_U8 = ffi.WASMTIME_COMPONENT_U8.value
_KIND_STRING = ffi.WASMTIME_COMPONENT_STRING
_KIND_LIST = ffi.WASMTIME_COMPONENT_LIST
_KIND_RECORD = ffi.WASMTIME_COMPONENT_RECORD
_CACHED_PAYLOAD_LIMIT = 4096


class HandleMessageCall:
    """Calls ``[method]actor.handle-message`` with an envelope given as five plain values.

    The record's field names are converted once, and so is the last envelope's content, since a lane
    of a pool hands one envelope to many actors in a row. The cached buffers are lent to the record for
    the call and taken back before the record is freed, so the engine never frees them.
    """

    def __init__(self, func: Func, store: Any) -> None:
        params = func.type(store).params
        (_, self_type), (_, record_type) = params
        if not isinstance(record_type, RecordType):
            raise TypeError("handle-message does not take a record")
        names = tuple(name for name, _ in record_type.fields)
        if names != ENVELOPE_FIELDS:
            raise TypeError(f"unexpected message-envelope fields {names}")
        self._func = func
        self._self_type = self_type
        self._names = [_byte_vec(name.encode()) for name in ENVELOPE_FIELDS]
        self._key: tuple[str, str, str, str, bytes] | None = None
        self._strings: list[Any] = []
        self._payload: Any = None

    def __call__(
        self, store: Any, actor: Any, id_: str, message_type: str, sender: str, scope: str, payload: bytes
    ) -> None:
        key = (id_, message_type, sender, scope, payload)
        if key != self._key:
            self._release_content()
            self._strings = [_byte_vec(text.encode()) for text in key[:4]]
            self._payload = _byte_list(payload)
            self._key = key
        params = (_VAL * 2)()
        lowered = 0
        record = None
        try:
            self._self_type.convert_to_c(store, actor, ctypes.pointer(params[0]))
            lowered = 1
            record = self._lend(params[1])
            lowered = 2
            func = self._func

            def run() -> Any:
                return ffi.wasmtime_component_func_call(
                    ctypes.byref(func._func), store._context(), params, 2, None, 0
                )

            enter_wasm(run)
        finally:
            if record is not None:
                _take_back(record)
            for i in range(lowered):
                ffi.wasmtime_component_val_delete(ctypes.byref(params[i]))
            if len(payload) > _CACHED_PAYLOAD_LIMIT:
                self._release_content()  # a lowered byte costs 32 bytes: keep only small ones around

    def _lend(self, target: Any) -> Any:
        """Point a new record at the cached names and content (shared, not copied)."""
        record = ffi.wasmtime_component_valrecord_t()
        ffi.wasmtime_component_valrecord_new_uninit(record, len(ENVELOPE_FIELDS))
        entries = record.data
        for i, text in enumerate(self._strings):
            entries[i].name = self._names[i]
            entries[i].val.kind = _KIND_STRING
            entries[i].val.of.string = text
        last = entries[len(ENVELOPE_FIELDS) - 1]
        last.name = self._names[-1]
        last.val.kind = _KIND_LIST
        last.val.of.list = self._payload
        target.kind = _KIND_RECORD
        target.of.record = record
        return entries

    def _release_content(self) -> None:
        for vec in self._strings:
            ffi.wasm_byte_vec_delete(ctypes.byref(vec))
        if self._payload is not None:
            ffi.wasmtime_component_vallist_delete(ctypes.byref(self._payload))
        self._strings, self._payload, self._key = [], None, None

    def __del__(self) -> None:
        try:
            self._release_content()
            for vec in self._names:
                ffi.wasm_byte_vec_delete(ctypes.byref(vec))
            self._names = []
        except (AttributeError, TypeError):  # interpreter shutdown: the bindings are already gone
            pass


def _take_back(entries: Any) -> None:
    """Empty a lent record's names and values so that freeing the record frees only its own array."""
    for i in range(len(ENVELOPE_FIELDS)):
        entries[i].name = ffi.wasm_byte_vec_t()
        entries[i].val.kind = _KIND_STRING
        entries[i].val.of.string = ffi.wasm_byte_vec_t()


def _byte_vec(data: bytes) -> Any:
    """A C ``wasm_byte_vec_t`` holding a copy of ``data`` (one call instead of three)."""
    vec = ffi.wasm_byte_vec_t()
    ffi.wasm_byte_vec_new(ctypes.byref(vec), len(data), ctypes.cast(data, ctypes.POINTER(ctypes.c_ubyte)))
    return vec


def _byte_list(payload: bytes) -> Any:
    """A ``list<u8>`` value: ``len(payload)`` u8 values, written in one copy instead of one per byte."""
    values = ffi.wasmtime_component_vallist_t()
    ffi.wasmtime_component_vallist_new_uninit(values, len(payload))
    if payload:
        layout = bytearray(_VAL_SIZE * len(payload))
        layout[0::_VAL_SIZE] = bytes((_KIND_U8,)) * len(payload)
        layout[_VALUE_OFFSET::_VAL_SIZE] = payload
        ctypes.memmove(values.data, bytes(layout), len(layout))
    return values
