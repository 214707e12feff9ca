"""Shared fixtures: test actor sources, config helpers, and cached builds of hand-made components."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from wasmind_nb.build.hashing import content_key
from wasmind_nb.config import Config
from wasmind_nb.paths import cache_dir, wit_dir

ACTORS = Path(__file__).parent / "actors"


@pytest.fixture(scope="session")
def actors_dir() -> Path:
    return ACTORS


@pytest.fixture
def make_config() -> Callable[..., Config]:
    """``make_config(toml)``: a Config whose relative paths resolve against tests/actors."""

    def make(text: str, base_dir: Path = ACTORS) -> Config:
        return Config.from_toml(textwrap.dedent(text), base_dir=base_dir)

    return make


def componentize(name: str, app_dir: Path, wit_dirs: list[Path], world: str) -> Path:
    """Build a component straight with componentize-py (no SDK, no wasmind build step), cached."""
    key = content_key([("app", app_dir), *[(f"wit{i}", d) for i, d in enumerate(wit_dirs)]], [world])
    out = cache_dir() / "test-components" / f"{name}-{key}.wasm"
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    module = "actor" if (app_dir / "actor.py").exists() else "app"
    with tempfile.TemporaryDirectory() as shim:
        (Path(shim) / "wasmind_test_app.py").write_text(f"from {module} import *  # noqa: F403\n")
        args = [sys.executable, "-c", "import sys, componentize_py; sys.exit(componentize_py.script())", "-q"]
        for directory in wit_dirs:
            args += ["-d", str(directory)]
        args += ["-w", world, "componentize", "wasmind_test_app", "-p", shim, "-p", str(app_dir)]
        args += ["-o", str(out.with_suffix(".partial"))]
        subprocess.run(args, check=True, capture_output=True, env={**os.environ, "RUST_BACKTRACE": "0"})
    out.with_suffix(".partial").rename(out)
    return out


@pytest.fixture(scope="session")
def raw_echo_wasm() -> Path:
    """A component built against a world importing only messaging + logger, without the SDK."""
    folder = ACTORS / "raw_echo"
    return componentize("raw_echo", folder, [wit_dir(), folder / "world.wit"], "tests:raw-echo/raw-echo")


@pytest.fixture(scope="session")
def wrong_world_wasm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid component that exports no actor."""
    root = tmp_path_factory.mktemp("wrong-world")
    (root / "wit").mkdir()
    (root / "wit" / "world.wit").write_text(
        "package tests:other@0.1.0;\nworld other { export run: func() -> u32; }\n"
    )
    (root / "app").mkdir()
    (root / "app" / "app.py").write_text(
        "from wit_world import WitWorld\n\n"
        "class WitWorld(WitWorld):\n    def run(self) -> int:\n        return 7\n"
    )
    return componentize("wrong_world", root / "app", [root / "wit"], "tests:other/other")


@pytest.fixture(scope="session")
def extra_import_wasm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An actor that also imports an interface no Wasmind host provides."""
    root = tmp_path_factory.mktemp("extra-import")
    (root / "wit").mkdir()
    (root / "wit" / "world.wit").write_text(
        "package tests:extra@0.1.0;\n"
        "interface gadget { frob: func() -> u32; }\n"
        "world extra {\n  import gadget;\n  import wasmind:actor/messaging@0.1.0;\n"
        "  export wasmind:actor/actor@0.1.0;\n}\n"
    )
    (root / "app").mkdir()
    (root / "app" / "actor.py").write_text(
        "from wit_world.exports import actor as exported\nfrom wit_world.imports import gadget, messaging\n\n"
        "class Actor(exported.Actor):\n"
        "    def __init__(self, scope, config):\n        pass\n"
        "    def handle_message(self, message):\n        messaging.broadcast('x', bytes([gadget.frob()]))\n"
        "    def destructor(self):\n        pass\n"
    )
    return componentize("extra_import", root / "app", [wit_dir(), root / "wit"], "tests:extra/extra")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
