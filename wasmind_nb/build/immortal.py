"""Make the shared interpreter's snapshot immortal: isolated actors share its pages instead of copying them.

CPython writes an object's reference count every time code takes or drops a reference, and a write to a
page of the interpreter's copy-on-write memory image copies that page into the instance. An isolated
actor that imports its module and constructs itself touches thousands of the snapshot's objects, spread
over hundreds of pages. Immortal objects (PEP 683) are never written, so once the snapshot's objects are
immortal those pages stay shared.

The guest keeps its snapshot's objects in a list and leaves a table pointing at it in its heap
(``guest/wasmind_interpreter.py``); after componentize-py has built the component, :func:`immortalize`
finds that table in the main module's data segments and rewrites each listed object's count in place.
Nothing else in the component changes, not even its size.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from wasmind_nb.errors import BuildError

#: The guest's table starts with this marker (which the guest's code holds only in two parts).
TABLE_MARKER = b"\0wasmind-nb:immortal-table\0"
_CORE_MODULE, _COMPONENT, _DATA = 1, 4, 11


@dataclass(frozen=True)
class Segment:
    """An active data segment: ``size`` bytes at ``file_offset`` in the file, loaded at ``address``."""

    address: int
    file_offset: int
    size: int


@dataclass(frozen=True)
class Table:
    """What the guest's table says: the objects' addresses, the count that makes an object immortal
    (``_Py_IMMORTAL_INITIAL_REFCNT``) and the least count that is immortal already."""

    addresses: list[int]
    immortal_count: int
    immortal_minimum: int


def immortalize(component: Path) -> int:
    """Rewrite, in ``component``, the reference count of every object the guest's table lists; return how
    many. Raises :class:`BuildError` if the table is missing or damaged, or lists an address that holds
    no reference count."""
    data = bytearray(component.read_bytes())
    segments = main_module_segments(data)
    table = _find_table(data, segments, component)
    for address in table.addresses:
        offset = _file_offset(segments, address)
        count = 0 if offset is None else struct.unpack_from("<I", data, offset)[0]
        if count == 0:
            raise BuildError(
                f"{component}: the immortal table lists {address:#x}, which holds no reference count"
            )
        if count < table.immortal_minimum:  # (CPython makes a string immortal when it interns it)
            struct.pack_into("<I", data, offset, table.immortal_count)
    component.write_bytes(data)
    return len(table.addresses)


def main_module_segments(data: bytes) -> list[Segment]:
    """The active data segments of the component's core module with the most data (the interpreter's
    memory image), sorted by address."""
    best: list[Segment] = []
    for start, end in _core_modules(data, 0, len(data)):
        segments = _data_segments(data, start, end)
        if sum(s.size for s in segments) > sum(s.size for s in best):
            best = segments
    return sorted(best, key=lambda s: s.address)


def _find_table(data: bytes, segments: list[Segment], component: Path) -> Table:
    """The addresses the guest's table points at: the items of its list (a list object on a 32-bit
    target: reference count, type, length, pointer to the items), checked against its length and sum.
    Bytes that only look like the marker are passed over."""
    for segment in segments:
        end = segment.file_offset + segment.size
        at = segment.file_offset - 1
        while (at := data.find(TABLE_MARKER, at + 1, end)) != -1:
            address = segment.address + at - segment.file_offset + len(TABLE_MARKER)
            keep, count, total, immortal, minimum = struct.unpack("<5I", _read(data, segments, address, 20))
            length, items = struct.unpack("<II", _read(data, segments, keep + 8, 8))
            if length != count or not 0 < count <= len(data) // 4 or not 0 < minimum <= immortal:
                continue
            addresses = list(struct.unpack(f"<{count}I", _read(data, segments, items, 4 * count)))
            if sum(addresses) & 0xFFFFFFFF == total:
                return Table(addresses, immortal, minimum)
    raise BuildError(f"{component}: no intact immortal table in the interpreter's memory image")


def _read(data: bytes, segments: list[Segment], address: int, size: int) -> bytes:
    """The ``size`` bytes of the memory image at ``address``: what the segments hold, zero elsewhere
    (a segment leaves out the zeros at its ends)."""
    out = bytearray(size)
    for segment in segments[max(_last_at_or_before(segments, address), 0) :]:
        if segment.address >= address + size:
            break
        start, stop = max(address, segment.address), min(address + size, segment.address + segment.size)
        if start < stop:
            offset = segment.file_offset + start - segment.address
            out[start - address : stop - address] = data[offset : offset + stop - start]
    return bytes(out)


def _file_offset(segments: list[Segment], address: int) -> int | None:
    """Where the 4 bytes at ``address`` are in the file, if one segment holds them all."""
    index = _last_at_or_before(segments, address)
    if index < 0:
        return None
    segment = segments[index]
    if address + 4 > segment.address + segment.size:
        return None
    return segment.file_offset + address - segment.address


def _last_at_or_before(segments: list[Segment], address: int) -> int:
    """The index of the last segment that starts at or before ``address``; -1 if none does."""
    low, high = 0, len(segments)
    while low < high:
        middle = (low + high) // 2
        if segments[middle].address <= address:
            low = middle + 1
        else:
            high = middle
    return low - 1


def _core_modules(data: bytes, start: int, end: int) -> list[tuple[int, int]]:
    """The spans of the core modules in the component at ``data[start:end]``, nested ones included."""
    found: list[tuple[int, int]] = []
    for kind, body, body_end in _sections(data, start, end):
        if kind == _CORE_MODULE:
            found.append((body, body_end))
        elif kind == _COMPONENT:
            found.extend(_core_modules(data, body, body_end))
    return found


def _data_segments(data: bytes, start: int, end: int) -> list[Segment]:
    segments: list[Segment] = []
    for kind, at, _ in _sections(data, start, end):
        if kind != _DATA:
            continue
        count, at = _uleb(data, at)
        for _ in range(count):
            flags, at = _uleb(data, at)
            if flags == 1:  # passive: not in the memory image
                size, at = _uleb(data, at)
                at += size
                continue
            if flags == 2:
                _, at = _uleb(data, at)  # memory index
            if data[at] != 0x41:  # i32.const
                raise BuildError(f"a data segment's offset is not a constant (opcode {data[at]:#x})")
            address, at = _sleb(data, at + 1)
            if data[at] != 0x0B:
                raise BuildError("a data segment's offset is longer than one constant")
            size, at = _uleb(data, at + 1)
            segments.append(Segment(address, at, size))
            at += size
    return segments


def _sections(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    """``(id, body start, body end)`` of each section of the module or component at ``data[start:end]``."""
    if data[start : start + 4] != b"\0asm":
        raise BuildError("not a WebAssembly binary")
    sections = []
    at = start + 8
    while at < end:
        kind = data[at]
        size, body = _uleb(data, at + 1)
        sections.append((kind, body, body + size))
        at = body + size
    return sections


def _uleb(data: bytes, at: int) -> tuple[int, int]:
    return _leb(data, at, signed=False)


def _sleb(data: bytes, at: int) -> tuple[int, int]:
    return _leb(data, at, signed=True)


def _leb(data: bytes, at: int, signed: bool) -> tuple[int, int]:
    """The LEB128 number at ``data[at]`` and where the next field starts."""
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            if signed and byte & 0x40:
                value -= 1 << shift
            return value, at
