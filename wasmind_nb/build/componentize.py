"""Build a Python actor folder into a WebAssembly component with componentize-py, cached by content."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path

from wasmind_nb.build.hashing import content_key
from wasmind_nb.errors import BuildError
from wasmind_nb.paths import sdk_dir, wit_dir

WORLD = "actor-world"
_APP_MODULE = "wasmind_app"
# componentize-py finds the exported `actor` resource as class `Actor` in module `actor`; the app module
# only has to import it.
_APP_SOURCE = "import actor  # noqa: F401  (the exported resource lives in the actor's own actor.py)\n"
_RUN_COMPONENTIZE = (
    "import sys, componentize_py; sys.argv[0] = 'componentize-py'; sys.exit(componentize_py.script())"
)


def componentize_version() -> str:
    return version("componentize-py")


def build_key(source: Path, python_path: Sequence[Path] = ()) -> str:
    """What a Python actor's component depends on: its sources, the folders its manifest adds to the
    build (``python_path``), the SDK, the WIT and the tool version."""
    extra = [(f"path{index}", folder) for index, folder in enumerate(python_path)]
    return content_key(
        [("actor", source), *extra, ("sdk", sdk_dir()), ("wit", wit_dir())],
        [f"componentize-py={componentize_version()}", _APP_SOURCE],
    )


def component_path(source: Path, cache: Path, name: str, python_path: Sequence[Path] = ()) -> Path:
    """Where the component of ``source`` is (or will be) cached: keyed by content only, so the same
    source under several logical names (``worker_assistant``, ``manager_assistant``) builds once."""
    return cache / "components" / f"{build_key(source, python_path)}.wasm"


def build_python_actor(source: Path, cache: Path, name: str, python_path: Sequence[Path] = ()) -> Path:
    """Return the cached component for the actor in ``source``, building it first if needed.

    ``python_path`` folders are importable too, after the actor's own folder: an ``import`` finds the
    actor's own module first, so a shared folder may hold an ``actor.py`` of its own.
    """
    source = source.resolve()
    if not (source / "actor.py").is_file():
        raise BuildError(f"actor '{name}': {source} has no actor.py (a module `actor` with class `Actor`)")
    for folder in python_path:
        if not folder.is_dir():
            raise BuildError(f"actor '{name}': python_path folder {folder} does not exist")
    out = component_path(source, cache, name, python_path)
    if out.is_file():
        return out
    with tempfile.TemporaryDirectory(prefix="wasmind-build-") as tmp:
        app_dir = Path(tmp) / "app"
        app_dir.mkdir()
        (app_dir / f"{_APP_MODULE}.py").write_text(_APP_SOURCE)
        run_componentize(
            _APP_MODULE, [app_dir, source, *python_path, sdk_dir().parent], out, f"actor '{name}' ({source})"
        )
    return out


def run_componentize(
    app_module: str,
    python_path: Sequence[Path],
    out: Path,
    label: str,
    finish: Callable[[Path], object] | None = None,
) -> None:
    """Build ``app_module`` (found on ``python_path``, in order) against the WIT into ``out``, atomically;
    ``finish`` may rewrite the built file before it is moved there.

    Raises :class:`BuildError` with componentize-py's Python traceback when the build fails."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="wasmind-build-") as tmp:
        staged = Path(tmp) / "out.wasm"
        command = [
            sys.executable, "-c", _RUN_COMPONENTIZE,
            "-q", "-d", str(wit_dir()), "-w", WORLD,
            "componentize", app_module,
            *(arg for folder in python_path for arg in ("-p", str(folder))),
            "-o", str(staged),
        ]  # fmt: skip
        env = {**os.environ, "RUST_BACKTRACE": "0"}
        proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp)
        if proc.returncode != 0 or not staged.is_file():
            raise BuildError(f"{label} failed to build:\n{_essential(proc.stderr + proc.stdout)}")
        if finish is not None:
            finish(staged)
        partial = out.with_suffix(f".partial-{os.getpid()}")
        shutil.move(staged, partial)
        os.replace(partial, out)


def _essential(output: str) -> str:
    """The Python traceback componentize-py reports, without the Rust backtrace around it."""
    text = output.split("Stack backtrace:")[0]
    text = text.split("\nCaused by:")[0]
    marker = text.rfind("AssertionError: ")
    if marker != -1:
        text = text[marker + len("AssertionError: ") :]
    return text.strip()[-4000:]
