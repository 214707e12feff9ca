"""Build a JavaScript actor folder (``Wasmind.toml`` + ``actor.js``) into a component with ComponentizeJS.

The folder is built as it is (error positions are the author's ``file:line``): ``actor.js`` may import
the folder's other modules by relative path and the repository's helper as ``"wasmind"`` (``js/sdk``).
ComponentizeJS comes from a toolchain folder (``js/actors`` of a source checkout, installed with
``npm ci`` there, or ``$WASMIND_NB_JS_TOOLCHAIN``). The component is cached by content like a Python actor's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from wasmind_nb.build.hashing import content_key, file_key
from wasmind_nb.errors import BuildError
from wasmind_nb.paths import js_sdk_dir, js_toolchain_dir, wit_dir

JS_ENTRY = "actor.js"
WORLD = "actor-world"
#: ``fetch-event`` exports an incoming-HTTP handler, which an actor never is; ``http`` (``fetch``) stays,
#: confined by the actor's http grants (docs/writing-actors-js.md).
DISABLED_FEATURES = ("fetch-event",)
_SCRIPT = Path(__file__).with_name("js_componentize.mjs")
_COMPONENTIZE = Path("node_modules/@bytecodealliance/componentize-js")
_LEXER = Path("node_modules/es-module-lexer")
INSTALL_HINT = (
    "run `npm ci` in js/actors of a wasmind-nb checkout, or in a folder of your own `npm install "
    "@bytecodealliance/componentize-js@0.23.0 @bytecodealliance/preview2-shim@0.25.0 es-module-lexer` "
    "and set WASMIND_NB_JS_TOOLCHAIN to that folder"
)


def _package_version(folder: Path) -> str:
    return json.loads((folder / "package.json").read_text())["version"]


def toolchain() -> tuple[Path, str]:
    """The toolchain folder and a version label (``componentize-js=0.23.0 es-module-lexer=...``), or a
    :class:`BuildError` saying how to install it."""
    if shutil.which("node") is None:
        raise BuildError(f"JavaScript actors need Node.js 18 or later on PATH to build; then {INSTALL_HINT}")
    folder = js_toolchain_dir()
    if folder is None or not (folder / _COMPONENTIZE / "package.json").is_file():
        where = f" (looked in {folder})" if folder is not None else ""
        raise BuildError(f"ComponentizeJS is not installed{where}: {INSTALL_HINT}")
    if not (folder / _LEXER / "package.json").is_file():
        raise BuildError(f"es-module-lexer is not installed in {folder}: {INSTALL_HINT}")
    componentize = _package_version(folder / _COMPONENTIZE)
    return folder, f"componentize-js={componentize} es-module-lexer={_package_version(folder / _LEXER)}"


def build_key(source: Path, versions: str) -> str:
    """What a JavaScript actor's component depends on: its folder, the helper, the WIT, the tools."""
    return content_key(
        [("actor", source), ("js-sdk", js_sdk_dir()), ("wit", wit_dir())],
        [versions, file_key(_SCRIPT), ",".join(DISABLED_FEATURES)],
    )


def component_path(source: Path, cache: Path) -> Path:
    """Where the component of the JavaScript actor in ``source`` is (or will be) cached."""
    _, versions = toolchain()
    return cache / "components" / f"js-{build_key(source.resolve(), versions)}.wasm"


def build_js_actor(source: Path, cache: Path, name: str) -> Path:
    """Return the cached component of the JavaScript actor in ``source``, building it first if needed."""
    source = source.resolve()
    if not (source / JS_ENTRY).is_file():
        raise BuildError(f"actor '{name}': {source} has no {JS_ENTRY} (exporting `actor = {{ Actor }}`)")
    folder, versions = toolchain()
    out = cache / "components" / f"js-{build_key(source, versions)}.wasm"
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="wasmind-js-build-") as tmp:
        staged = Path(tmp) / "out.wasm"
        job = {
            "entry": JS_ENTRY,
            "source": str(source),
            "helper": str(js_sdk_dir()),
            "toolchain": str(folder),
            "componentize": str(folder / _COMPONENTIZE / "src" / "componentize.js"),
            "wit": str(wit_dir()),
            "world": WORLD,
            "disable": list(DISABLED_FEATURES),
            "out": str(staged),
        }
        proc = subprocess.run(
            ["node", str(_SCRIPT), json.dumps(job)], capture_output=True, text=True, cwd=tmp, check=False
        )
        if proc.returncode != 0 or not staged.is_file():
            detail = (proc.stderr or proc.stdout).strip()[-4000:] or f"node exited with {proc.returncode}"
            raise BuildError(f"actor '{name}' ({source / JS_ENTRY}) failed to build:\n{detail}")
        partial = out.with_suffix(f".partial-{os.getpid()}")
        shutil.move(staged, partial)
        os.replace(partial, out)
    return out
