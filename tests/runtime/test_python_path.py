"""A manifest's ``python_path``: folders of shared modules built into a Python actor."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import payloads
from wasmind_nb import Config, Wasmind
from wasmind_nb.build import componentize
from wasmind_nb.errors import ConfigError

pytestmark = pytest.mark.anyio

GREETER = """\
import greeting

from wasmind_sdk import ActorBase, broadcast, on


class Actor(ActorBase):
    @on("demo.Ping")
    def ping(self, payload, envelope) -> None:
        broadcast("demo.Greeting", {"text": greeting.TEXT})
"""


def shared_layout(root: Path, manifest_extra: str = 'python_path = ["../shared"]\n') -> Path:
    """``shared/`` (greeting.py and a decoy actor.py) and ``greeter/`` that imports greeting."""
    shared = root / "shared"
    shared.mkdir()
    (shared / "greeting.py").write_text('TEXT = "hello from shared"\n')
    (shared / "actor.py").write_text("raise RuntimeError('the shared folder\\'s actor.py was imported')\n")
    greeter = root / "greeter"
    greeter.mkdir()
    (greeter / "Wasmind.toml").write_text(f'actor_id = "tests:greeter"\n{manifest_extra}')
    (greeter / "actor.py").write_text(GREETER)
    return greeter


def greeter_config(greeter: Path) -> Config:
    return Config.from_toml(
        f'starting_actors = ["greeter"]\n[actors.greeter]\nsource = {{ path = "{greeter}" }}\n'
    )


async def test_an_actor_imports_modules_of_its_python_path_and_keeps_its_own_actor_module(tmp_path) -> None:
    config = greeter_config(shared_layout(tmp_path))
    assert config.actors["greeter"].python_path == ((tmp_path / "shared").resolve(),)
    async with Wasmind(config, progress=False) as mind:
        await mind.broadcast("demo.Ping", {})
        await mind.wait_idle()
        assert payloads(mind, "demo.Greeting") == [{"text": "hello from shared"}]
        assert mind.faults == []


def test_editing_a_shared_module_changes_the_build_key(tmp_path) -> None:
    greeter = shared_layout(tmp_path)
    shared = (tmp_path / "shared",)
    before = componentize.component_path(greeter, tmp_path, "greeter", shared)
    assert before != componentize.component_path(greeter, tmp_path, "greeter")
    (tmp_path / "shared" / "greeting.py").write_text('TEXT = "changed"\n')
    assert componentize.component_path(greeter, tmp_path, "greeter", shared) != before


def test_a_missing_python_path_folder_names_the_manifest_and_key(tmp_path) -> None:
    greeter = shared_layout(tmp_path, 'python_path = ["../shared", "../nowhere"]\n')
    with pytest.raises(ConfigError, match=r"python_path folder '\.\./nowhere' does not exist") as caught:
        greeter_config(greeter)
    assert caught.value.file == str(greeter / "Wasmind.toml")
    assert caught.value.key == "python_path[1]"


def test_python_path_is_refused_for_a_prebuilt_component(tmp_path, raw_echo_wasm) -> None:
    folder = shared_layout(tmp_path, 'component = "raw.wasm"\npython_path = ["../shared"]\n')
    (folder / "raw.wasm").write_bytes(raw_echo_wasm.read_bytes())
    with pytest.raises(ConfigError, match="python_path applies to Python actors only") as caught:
        greeter_config(folder)
    assert caught.value.key == "python_path"
