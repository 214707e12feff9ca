"""The app module of the shared Python interpreter: what its pre-initialised snapshot holds.

componentize-py runs this at build time and snapshots the interpreter, so whatever is imported here costs
nothing when an actor starts: the loader, the SDK, jinja2 (the assistant's templates) and the standard
library modules the built-in actors use. Every other standard-library module is imported at run time
from the read-only copy the host grants at ``/python``, the folder it was at during the build.
"""

import gc
import importlib
import pkgutil
import sys

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


# Keep the snapshot's objects out of the collector's way: a collection would otherwise walk (and so copy
# out of the shared copy-on-write image) the whole heap of every instance the first time an actor
# allocates, costing each isolated actor megabytes and milliseconds. The holes are filled after the last
# collection, which frees more.
gc.collect()
_HOLES = _fill_heap_holes()
gc.freeze()
