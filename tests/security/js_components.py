"""Build test actors written in JavaScript with ComponentizeJS (default features), cached by content.

ComponentizeJS is found as ``$WASMIND_NB_COMPONENTIZE_JS``, in the JavaScript toolchain folder
(``js/actors``, installed by ``.ci/run``; ``$WASMIND_NB_JS_TOOLCHAIN``), or on ``PATH``; without it the
tests that need it skip, naming how to install it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from wasmind_nb.build.hashing import content_key
from wasmind_nb.paths import cache_dir, js_toolchain_dir

INSTALL = "run `npm ci` in js/actors (as .ci/run does), or set WASMIND_NB_COMPONENTIZE_JS"


def componentize_js_tool() -> str | None:
    """The ``componentize-js`` command, if installed."""
    candidates = [os.environ.get("WASMIND_NB_COMPONENTIZE_JS", "")]
    toolchain = js_toolchain_dir()  # where .ci/run installs it for the JavaScript route
    if toolchain is not None:
        candidates.append(str(toolchain / "node_modules" / ".bin" / "componentize-js"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("componentize-js")


def build_js(name: str, source: Path, wit: Path, world: str) -> Path:
    """``source`` built against ``wit``'s ``world`` (every ComponentizeJS default feature on)."""
    tool = componentize_js_tool()
    if tool is None:
        pytest.skip(f"ComponentizeJS is not installed: {INSTALL}")
    version = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    key = content_key([("source", source.parent), ("wit", wit)], [world, version])
    out = cache_dir() / "test-components" / f"{name}-{key}.wasm"
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(f".{os.getpid()}.partial")
    args = [tool, str(source), "--wit", str(wit), "--world-name", world, "-o", str(partial)]
    subprocess.run(args, check=True, capture_output=True)
    os.replace(partial, out)
    return out
