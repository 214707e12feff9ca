"""The app module of the shared Python interpreter: what its pre-initialised snapshot holds.

componentize-py runs this at build time and snapshots the interpreter, so whatever is imported here costs
nothing when an actor starts: the loader, the SDK, jinja2 (the assistant's templates) and the standard
library modules the built-in actors use. Every other standard-library module is imported at run time
from the read-only copy the host grants at ``/python``, the folder it was at during the build.
"""

import gc
import importlib
import pkgutil
import struct
import sys
import types

import actor  # noqa: F401  (the exported resource)

import wasmind_sdk  # noqa: F401

PRELOADED = (
    "collections", "dataclasses", "difflib", "encodings.unicode_escape", "json", "os", "posixpath", "re",
    "string", "textwrap", "tomllib", "traceback", "typing",
)  # fmt: skip

for _name in PRELOADED:
    importlib.import_module(_name)

import jinja2  # noqa: E402

for _module in pkgutil.walk_packages(jinja2.__path__, "jinja2."):
    importlib.import_module(_module.name)

# Only the standard library's folder exists at run time; the build's other folders are gone.
sys.path[:] = ["/python"]
sys.path_importer_cache.clear()


def _fill_heap_holes() -> list[bytes]:
    """Take up the small free chunks the imports left scattered over the heap, and keep them.

    The guest's C allocator (dlmalloc; CPython for WASI has no pymalloc) reuses a free chunk of a fitting
    size first, so without this an actor's first allocations land one in each of hundreds of pages of the
    snapshot, and each instance copies every such page. Once the holes are taken, new objects are carved
    one after another from fresh memory. For each request size: allocate until a few allocations in a row
    are adjacent (equal steps), which free chunks never are (the allocator merges neighbours)."""
    kept: list[bytes] = []
    for size in range(2, 4096, 16):
        last = step = 0
        adjacent = 0
        for _ in range(5_000):
            item = bytes(size)
            kept.append(item)
            address = id(item)
            delta = address - last
            adjacent = adjacent + 1 if delta == step and 0 < delta < size + 128 else 0
            last, step = address, delta
            if adjacent >= 4:
                break
    return kept


def _snapshot_objects() -> list[object]:
    """Every live object of the snapshot that is not immortal yet: what the collector tracks, what those
    objects refer to, and the names, constants and tables of code objects (which it does not traverse).
    Frames and generators are left out: they belong to code that is running now."""
    gc.collect()  # what remains is reachable
    kept: list[object] = []
    seen = bytearray(1 << 20)  # one bit per 8 bytes of address (an object takes at least 8); grows
    skip = (types.FrameType, types.GeneratorType, types.CoroutineType, types.AsyncGeneratorType)
    todo = gc.get_objects()
    while todo:
        item = todo.pop()
        slot = id(item) >> 3
        if slot >> 3 >= len(seen):
            seen.extend(bytes((slot >> 3) + 1 - len(seen)))
        if seen[slot >> 3] & 1 << (slot & 7) or isinstance(item, skip):
            continue
        seen[slot >> 3] |= 1 << (slot & 7)
        if not sys._is_immortal(item):
            kept.append(item)
        todo.extend(gc.get_referents(item))
        if isinstance(item, types.CodeType):
            todo.extend((item.co_consts, item.co_names, item.co_filename, item.co_name, item.co_qualname))
            todo.extend((item.co_linetable, item.co_exceptiontable, *item.co_varnames, *item.co_cellvars))
            todo.extend(item.co_freevars)
    seen[:] = bytes(len(seen))  # leave zeros, not a map of the heap, in the snapshot's free memory
    return kept


def _immortal_table(objects: list[object]) -> bytes:
    """Where the host finds ``objects`` (:mod:`wasmind_nb.build.immortal`): a marker, then as ``u32`` the
    address of the list, its length, the sum of its items' addresses (modulo 2**32), the count to write
    and the least count that is immortal (CPython 3.14 on a 32-bit target)."""
    if sys.version_info[:2] != (3, 14) or sys.maxsize != 2**31 - 1:
        raise RuntimeError(f"immortal snapshot: CPython {sys.version_info[:2]} is not supported")
    marker = bytes(1) + b"wasmind-nb:immortal-table\0"  # whole only here, not among the code's constants
    total = sum(map(id, objects)) & 0xFFFFFFFF
    return marker + struct.pack("<5I", id(objects), len(objects), total, 5 << 28, 1 << 30)


# An object's reference count is written every time code uses it, and each write copies the page the
# object is on out of the shared copy-on-write image into the instance: executing an actor's module and
# constructing it touch thousands of the snapshot's objects, scattered over hundreds of pages. Immortal
# objects (PEP 683) are never written. CPython makes only its static objects immortal, so the host makes
# every object of _KEEP immortal in the built component; they live as long as the instance does in any
# case, and _KEEP holds them so that none is freed before the snapshot. It must not change after this.
_KEEP = _snapshot_objects()
_IMMORTAL_TABLE = _immortal_table(_KEEP)

# Keep the snapshot's objects out of the collector's way: a collection would otherwise walk (and so copy
# out of the shared copy-on-write image) the whole heap of every instance the first time an actor
# allocates, costing each isolated actor megabytes and milliseconds. The holes are filled after the last
# collection, which frees more.
gc.collect()
_HOLES = _fill_heap_holes()
gc.freeze()
