"""The shared interpreter's snapshot is immortal: the rewrite of the built component, on hand-made
binaries (every way the table can be wrong), and in the real interpreter, where actors still work."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from tests.helpers import payloads
from tests.runtime.test_shared_interpreter import actor_folder, config_for
from wasmind_nb import Wasmind
from wasmind_nb.build.immortal import TABLE_MARKER, immortalize, main_module_segments
from wasmind_nb.errors import BuildError

IMMORTAL, MINIMUM = 5 << 28, 1 << 30
TABLE, LIST, ITEMS = 0x100, 0x200, 0x300
OBJECTS = [0x1000, 0x1010, 0x1020]


def _leb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _sleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        done = (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40)
        out.append(byte | (0 if done else 0x80))
        if done:
            return bytes(out)


def _section(kind: int, body: bytes) -> bytes:
    return bytes([kind]) + _leb(len(body)) + body


def core_module(segments: list[tuple[int, bytes]]) -> bytes:
    """A core module with one memory and these active data segments (address, bytes)."""
    data = _leb(len(segments)) + b"".join(
        b"\0\x41" + _sleb(address) + b"\x0b" + _leb(len(body)) + body for address, body in segments
    )
    return b"\0asm\1\0\0\0" + _section(5, b"\1\0\1") + _section(11, data)


def component(*modules: bytes, nested: bytes = b"") -> bytes:
    sections = b"".join(_section(1, module) for module in modules)
    if nested:
        sections += _section(4, nested)
    return b"\0asm\x0d\0\1\0" + sections


def memory_segments(
    objects: list[int] = OBJECTS, counts: list[int] | None = None, total: int | None = None
) -> list[tuple[int, bytes]]:
    """The guest's layout: the table, the kept list (count, type, length, items), its items, the objects
    (a reference count, then a type). Like a real build, a segment leaves out its trailing zeros (here
    the high bytes of the last item's address, and of the table's last field)."""
    counts = counts or [3] * len(objects)
    total = sum(objects) if total is None else total
    table = TABLE_MARKER + struct.pack("<5I", LIST, len(objects), total, IMMORTAL, MINIMUM)
    kept = struct.pack("<4I", 1, 0x40, len(objects), ITEMS)
    items = struct.pack(f"<{len(objects)}I", *objects)
    segments = [(TABLE, table), (LIST, kept), (ITEMS, items)]
    heads = [struct.pack("<II", count, 0x40) for count in counts]
    segments += list(zip(objects, heads, strict=True))
    return [(at, body.rstrip(b"\0")) for at, body in segments]  # as built: no zeros at a segment's end


def counts_in(path: Path, addresses: list[int]) -> list[int]:
    data = path.read_bytes()
    segments = main_module_segments(data)
    found = []
    for address in addresses:
        segment = next(s for s in segments if s.address <= address < s.address + s.size)
        found.append(struct.unpack_from("<I", data, segment.file_offset + address - segment.address)[0])
    return found


def write(tmp_path: Path, binary: bytes) -> Path:
    path = tmp_path / "interpreter.wasm"
    path.write_bytes(binary)
    return path


def test_every_listed_object_becomes_immortal_and_nothing_else_changes(tmp_path) -> None:
    path = write(tmp_path, component(core_module(memory_segments())))
    before = path.read_bytes()
    assert immortalize(path) == 3
    after = path.read_bytes()
    assert counts_in(path, OBJECTS) == [IMMORTAL] * 3
    changed = [i for i in range(len(before)) if before[i] != after[i]]
    assert len(after) == len(before) and len(changed) == 3 * 2  # 3 then 0x50000000: two bytes each


def test_an_object_immortal_already_keeps_its_count(tmp_path) -> None:
    static = 7 << 28
    path = write(tmp_path, component(core_module(memory_segments(counts=[3, static, 9]))))
    immortalize(path)
    assert counts_in(path, OBJECTS) == [IMMORTAL, static, IMMORTAL]


def test_bytes_that_only_look_like_the_marker_are_passed_over(tmp_path) -> None:
    """The marker can also sit elsewhere in the heap (in a copy of the code's constants, say)."""
    decoy = TABLE_MARKER + struct.pack("<5I", 0x900, 7, 0, IMMORTAL, MINIMUM)
    segments = memory_segments()
    table_at, table = segments[0]
    segments[0] = (table_at - len(decoy) - len(TABLE_MARKER), decoy + TABLE_MARKER + table)
    segments.insert(0, (0x10, TABLE_MARKER))  # a marker at a segment's very end, nothing after it
    path = write(tmp_path, component(core_module(segments)))
    assert immortalize(path) == 3
    assert counts_in(path, OBJECTS) == [IMMORTAL] * 3


def test_the_table_is_found_in_the_module_with_the_memory_image_even_when_nested(tmp_path) -> None:
    small = core_module([(0x10, b"unrelated")])
    path = write(tmp_path, component(small, nested=component(core_module(memory_segments()))))
    assert immortalize(path) == 3
    assert counts_in(path, OBJECTS) == [IMMORTAL] * 3


@pytest.mark.parametrize(
    ("segments", "message"),
    [
        ([(0x1000, b"no table here")], "no intact immortal table"),
        (memory_segments(total=12345), "no intact immortal table"),  # the sum does not match
        (memory_segments()[:2] + memory_segments()[3:], "no intact immortal table"),  # no items
        (memory_segments()[:-1], "lists 0x1020, which holds no reference count"),  # not in the image
        (memory_segments(counts=[3, 3, 0]), "lists 0x1020, which holds no reference count"),
    ],
    ids=["missing", "checksum", "items-missing", "outside-the-image", "zero-count"],
)
def test_a_damaged_table_fails_the_build_and_leaves_the_file_alone(tmp_path, segments, message) -> None:
    path = write(tmp_path, component(core_module(segments)))
    before = path.read_bytes()
    with pytest.raises(BuildError, match=message):
        immortalize(path)
    assert path.read_bytes() == before


def test_a_file_that_is_no_webassembly_is_refused(tmp_path) -> None:
    with pytest.raises(BuildError, match="not a WebAssembly binary"):
        immortalize(write(tmp_path, b"PK\3\4 a zip file"))


IMMORTALITY_PROBE = """\
import json
import sys

import jinja2
import wasmind_sdk
from wasmind_sdk import ActorBase, broadcast, on

CACHE = {"kept": []}


class Actor(ActorBase):
    @on("demo.Ping")
    def ping(self, payload, envelope) -> None:
        json.probe_attribute = [1, 2]  # a snapshot module's dict still changes
        del json.probe_attribute
        CACHE["kept"].append(json.dumps({"n": len(CACHE["kept"])}))
        broadcast("demo.Immortal", {
            "snapshot": [sys._is_immortal(x) for x in (json.dumps, wasmind_sdk.ActorBase, jinja2.Template,
                                                       sys.modules, json.__dict__)],
            "own": [sys._is_immortal(x) for x in (Actor, self, CACHE, [], json.dumps({}))],
            "kept": CACHE["kept"],
            "template": jinja2.Template("{{ a }}+{{ b }}").render(a=1, b=2),
        })
"""


@pytest.mark.anyio
async def test_the_snapshots_objects_are_immortal_and_an_actors_own_are_not(tmp_path) -> None:
    """Without the rewrite the snapshot's functions, classes and dicts are mortal (``False``)."""
    config = config_for(actor_folder(tmp_path, IMMORTALITY_PROBE), '[runtime]\ninstances = "isolated"')
    async with Wasmind(config, progress=False) as mind:
        await mind.spawn_agent(["probe"], "second")
        for _ in range(2):
            await mind.broadcast("demo.Ping", {})
            await mind.wait_idle()
        assert mind.faults == []
        replies = payloads(mind, "demo.Immortal")
    assert len(replies) == 4
    for reply in replies:
        assert reply["snapshot"] == [True] * 5
        assert reply["own"] == [False] * 5
        assert reply["template"] == "1+2"
    assert sorted(len(reply["kept"]) for reply in replies) == [1, 1, 2, 2]  # each actor its own state
