"""The shared Python interpreter: one component that runs every Python actor, built once per version.

The component holds CPython, the modules its snapshot pre-imports (``guest/wasmind_interpreter.py``), the
SDK and the loader (``guest/actor.py``). It is built with componentize-py the first time it is needed,
its snapshot's objects are made immortal (:mod:`wasmind_nb.build.immortal`), and it is cached under a
key over those sources, the WIT and the tool versions; a Python actor then needs no build of its own
(see :mod:`wasmind_nb.build.prepare`).

Its standard library comes from componentize-py itself: the wheel embeds it as a zstd-compressed tar
archive, unpacked once into the cache and granted read-only to every Python actor at ``/python``, the
folder componentize-py gave it during the build, so any module imports at run time.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import tempfile
from importlib.metadata import version
from pathlib import Path

from wasmind_nb.build import immortal
from wasmind_nb.build.componentize import componentize_version, run_componentize
from wasmind_nb.build.hashing import content_key, file_key
from wasmind_nb.errors import BuildError
from wasmind_nb.paths import sdk_dir, wit_dir

GUEST_DIR = Path(__file__).resolve().parent / "guest"
APP_MODULE = "wasmind_interpreter"
#: Where the standard library is inside the guest (componentize-py's build-time location).
STDLIB_GUEST_PATH = "/python"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_STDLIB_MARKERS = ("os.py", "json/__init__.py")


def interpreter_key() -> str:
    """What the shared interpreter depends on: the loader, the SDK, the WIT, the tool versions and the
    code that rewrites it after the build."""
    return content_key(
        [("guest", GUEST_DIR), ("sdk", sdk_dir()), ("wit", wit_dir())],
        [
            f"componentize-py={componentize_version()}",
            f"jinja2={version('jinja2')}",
            f"immortal={file_key(Path(immortal.__file__))}",  # it rewrites the built component
        ],
    )


def interpreter_path(cache: Path) -> Path:
    return cache / "interpreter" / f"python-{interpreter_key()}.wasm"


def interpreter_component(cache: Path) -> Path:
    """The shared interpreter's component file, built first if it is not in the cache (about 10 s)."""
    out = interpreter_path(cache)
    if not out.is_file():
        label = "the shared Python interpreter"
        run_componentize(APP_MODULE, [GUEST_DIR, sdk_dir().parent], out, label, immortal.immortalize)
    return out


def stdlib_dir(cache: Path) -> Path:
    """The guest's standard library, unpacked into the cache from the componentize-py wheel if needed."""
    target = cache / "python-stdlib" / f"componentize-py-{componentize_version()}"
    if all((target / marker).is_file() for marker in _STDLIB_MARKERS):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="stdlib-", dir=target.parent) as tmp:
        _unpack_stdlib(Path(tmp) / "lib")
        try:
            os.replace(Path(tmp) / "lib", target)
        except OSError:  # another process unpacked it first
            if not (target / _STDLIB_MARKERS[0]).is_file():
                raise
    return target


def _unpack_stdlib(into: Path) -> None:
    """Unpack the first tar archive in the componentize-py library that holds the standard library."""
    import zstandard

    library = _componentize_library()
    raw = library.read_bytes()
    data = memoryview(raw)
    decompressor = zstandard.ZstdDecompressor()
    start = raw.find(_ZSTD_MAGIC)
    while start != -1:
        try:
            with decompressor.stream_reader(io.BytesIO(data[start:])) as stream:
                if stream.read(512)[257:262] == b"ustar":
                    with (
                        decompressor.stream_reader(io.BytesIO(data[start:])) as again,
                        tarfile.open(fileobj=again, mode="r|") as archive,
                    ):
                        archive.extractall(into, filter="data")
                    if all((into / marker).is_file() for marker in _STDLIB_MARKERS):
                        return
                    shutil.rmtree(into)
        except (zstandard.ZstdError, tarfile.TarError):
            pass  # the magic bytes were not the start of a frame
        start = raw.find(_ZSTD_MAGIC, start + 1)
    raise BuildError(
        f"no Python standard library found in {library} (componentize-py {componentize_version()})"
    )


def _componentize_library() -> Path:
    import componentize_py

    folder = Path(componentize_py.__file__).resolve().parent
    for candidate in sorted(folder.glob("componentize_py*.so")) + sorted(folder.glob("componentize_py*.pyd")):
        return candidate
    raise BuildError(f"componentize-py's native library is missing from {folder}")
