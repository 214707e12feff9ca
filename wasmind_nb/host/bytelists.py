"""``list<u8>`` values moved in one strided copy instead of one Python call per byte.

wasmtime's C API holds a ``list<u8>`` as an array of 32-byte ``wasmtime_component_val_t`` (a kind byte, a
value byte, padding). wasmtime-py converts it element by element: 20 MB of command output or an HTTP
body is 20 million Python calls and a list of 20 million ints. Here the array is read and written through
a ``memoryview`` with a stride, so moving ``n`` bytes costs ``n`` bytes of Python memory and C-speed time.

:func:`install` puts these conversions in place of wasmtime-py's for every ``list<u8>`` (host function
arguments and results); other lists keep the generic path. It relies on wasmtime-py's C-API bindings
(``_ffi``), like :mod:`wasmind_nb.host.lowering`, which is why ``wasmtime`` is pinned to one major version.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable
from typing import Any

from wasmtime import _ffi as ffi
from wasmtime.component._types import U8, ListType

from wasmind_sdk import bulk
from wasmind_sdk.bulk import PayloadTooLarge

#: The largest payload moved between host and guest (a message, an HTTP body, a command's output).
MAX_PAYLOAD_BYTES = bulk.MAX_PAYLOAD_BYTES

_VAL = ffi.wasmtime_component_val_t
_VAL_SIZE = ctypes.sizeof(_VAL)
_VALUE_OFFSET = _VAL.of.offset
_KIND_U8 = bytes((ffi.WASMTIME_COMPONENT_U8.value,))
_KIND_LIST = ffi.WASMTIME_COMPONENT_LIST

_generic_from_c: Callable[..., Any] = ListType.convert_from_c
_generic_to_c: Callable[..., Any] = ListType.convert_to_c
_installed = False
_install_lock = threading.Lock()


__all__ = [
    "MAX_PAYLOAD_BYTES",
    "PayloadTooLarge",
    "bytes_from_vallist",
    "check_size",
    "fill_vallist",
    "install",
    "uninstall",
]


def check_size(what: str, size: int) -> None:
    """Raise :class:`PayloadTooLarge` naming ``what`` and the limit if ``size`` is over it."""
    bulk.check_size(what, size, MAX_PAYLOAD_BYTES)


def _elements(values: Any) -> memoryview:
    """The C array of a ``wasmtime_component_vallist_t`` as writable bytes."""
    address = ctypes.cast(values.data, ctypes.c_void_p).value
    return memoryview((ctypes.c_ubyte * (values.size * _VAL_SIZE)).from_address(address)).cast("B")


def bytes_from_vallist(values: Any) -> bytes:
    """The bytes of a ``list<u8>`` C array (which the caller still owns and frees)."""
    if not values.size:
        return b""
    return _elements(values)[_VALUE_OFFSET::_VAL_SIZE].tobytes()


def fill_vallist(values: Any, data: bytes | bytearray | memoryview) -> None:
    """Write ``data`` into a fresh ``list<u8>`` C array of ``len(data)`` elements (uninitialised)."""
    if not len(data):
        return
    elements = _elements(values)
    elements[0::_VAL_SIZE] = _KIND_U8 * len(data)
    elements[_VALUE_OFFSET::_VAL_SIZE] = data


def _is_u8_list(list_type: ListType) -> bool:
    cached = getattr(list_type, "_wasmind_u8", None)
    if cached is None:
        cached = isinstance(list_type.element, U8)
        list_type._wasmind_u8 = cached  # type: ignore[attr-defined]
    return cached


def _convert_from_c(self: ListType, c: Any) -> Any:
    if not _is_u8_list(self):
        return _generic_from_c(self, c)
    assert c.kind == _KIND_LIST.value
    try:
        return bytes_from_vallist(c.of.list)
    finally:
        ffi.wasmtime_component_vallist_delete(ctypes.byref(c.of.list))


def _convert_to_c(self: ListType, store: Any, val: Any, ptr: Any) -> None:
    if not _is_u8_list(self):
        return _generic_to_c(self, store, val, ptr)
    if not isinstance(val, bytes | bytearray | memoryview):
        raise TypeError("expected bytes value")
    check_size("a list<u8> value", len(val))
    values = ffi.wasmtime_component_vallist_t()
    ffi.wasmtime_component_vallist_new_uninit(values, len(val))
    fill_vallist(values, val)
    ptr.contents.kind = _KIND_LIST
    ptr.contents.of.list = values
    return None


def install() -> None:
    """Use the strided conversions for every ``list<u8>`` (idempotent)."""
    global _installed
    with _install_lock:
        if not _installed:
            ListType.convert_from_c = _convert_from_c  # type: ignore[method-assign]
            ListType.convert_to_c = _convert_to_c  # type: ignore[method-assign]
            _installed = True


def uninstall() -> None:
    """Go back to wasmtime-py's element-by-element conversions (for benchmarks and comparisons)."""
    global _installed
    with _install_lock:
        ListType.convert_from_c = _generic_from_c  # type: ignore[method-assign]
        ListType.convert_to_c = _generic_to_c  # type: ignore[method-assign]
        _installed = False
