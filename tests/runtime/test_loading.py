"""Loading actors: prebuilt and raw components, bad components, build errors, git sources, caches."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import payloads
from wasmind_nb import BuildError, ComponentLoadError, Config, Wasmind
from wasmind_nb.build import componentize
from wasmind_nb.host.engine import EngineHost

pytestmark = pytest.mark.anyio


def wasm_config(path: Path, name: str = "raw") -> Config:
    return Config.from_toml(
        f'starting_actors = ["{name}"]\n[actors.{name}]\nsource = {{ path = "{path}" }}\n'
    )


async def test_component_built_without_the_sdk_against_a_subset_world_runs(raw_echo_wasm) -> None:
    async with Wasmind(wasm_config(raw_echo_wasm), progress=False) as mind:
        await mind.broadcast("raw.Ping", b"\x00\x01bytes")
        await mind.wait_idle()
        pong = [m for m in mind.messages if m.message_type == "raw.Pong"]
        assert [(m.payload, m.from_actor_id) for m in pong] == [(b"\x00\x01bytes", "raw")]


async def test_prebuilt_component_in_a_folder_with_a_manifest(tmp_path, raw_echo_wasm) -> None:
    folder = tmp_path / "prebuilt"
    folder.mkdir()
    shutil.copy(raw_echo_wasm, folder / "raw.wasm")
    (folder / "Wasmind.toml").write_text('actor_id = "tests:raw"\ncomponent = "raw.wasm"\n')
    async with Wasmind(wasm_config(folder, "prebuilt"), progress=False) as mind:
        await mind.broadcast("raw.Ping", b"x")
        await mind.wait_idle()
        assert [m.from_actor_id for m in mind.messages if m.message_type == "raw.Pong"] == ["prebuilt"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"definitely not wasm", "is not a WebAssembly file"),
        (b"\0asm\x01\0\0\0", "core WebAssembly module, not a component"),
        (b"\0asm\x0d\0\x01\0garbage", "is not a valid component"),
    ],
)
async def test_files_that_are_not_components_get_a_clear_error(tmp_path, content, message) -> None:
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(content)
    with pytest.raises(ComponentLoadError, match=message) as err:
        await Wasmind(wasm_config(bad), progress=False).start()
    assert "raw" in str(err.value) and "bad.wasm" in str(err.value)


async def test_component_of_another_world_gets_a_clear_error(wrong_world_wasm) -> None:
    mind = Wasmind(wasm_config(wrong_world_wasm), progress=False)
    with pytest.raises(Exception, match=r"does not export wasmind:actor/actor@0\.1\.0"):
        await mind.start()
    await mind.shutdown()


async def test_component_needing_an_unknown_import_gets_a_clear_error(extra_import_wasm) -> None:
    mind = Wasmind(wasm_config(extra_import_wasm), progress=False)
    missing = r"extra_import.*imports `tests:extra/gadget@0\.1\.0`, which"
    with pytest.raises(ComponentLoadError, match=missing) as err:
        await mind.start()
    assert "this host does not provide" in str(err.value) and not mind.running
    await mind.shutdown()


def test_a_broken_actor_source_fails_the_build_with_its_traceback(tmp_path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "Wasmind.toml").write_text('actor_id = "tests:broken"\n')
    (folder / "actor.py").write_text("import json\n\nraise RuntimeError('broken at import')\n")
    with pytest.raises(BuildError, match=r"actor 'broken'.*failed to build(.|\n)*broken at import"):
        componentize.build_python_actor(folder, tmp_path / "cache", "broken")


def test_build_cache_is_keyed_by_content(tmp_path, monkeypatch, actors_dir) -> None:
    folder = tmp_path / "echo"
    shutil.copytree(actors_dir / "echo", folder)
    first = componentize.component_path(folder, tmp_path, "echo")
    first.parent.mkdir(parents=True)
    first.write_bytes(b"cached")
    # a cached component is returned without running componentize-py
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("rebuilt although cached"))
    assert componentize.build_python_actor(folder, tmp_path, "echo") == first
    (folder / "actor.py").write_text((folder / "actor.py").read_text() + "\n# edited\n")
    assert componentize.component_path(folder, tmp_path, "echo") != first
    (folder / "__pycache__").mkdir(exist_ok=True)
    (folder / "__pycache__" / "x.pyc").write_bytes(b"noise")
    edited = componentize.component_path(folder, tmp_path, "echo")
    assert componentize.component_path(folder, tmp_path, "echo") == edited


async def test_spawning_never_compiles(make_config, monkeypatch) -> None:
    config = make_config('starting_actors = ["echo"]\n[actors.echo]\nsource = { path = "echo" }\n')
    async with Wasmind(config, progress=False) as mind:
        monkeypatch.setattr(EngineHost, "load_component", lambda *a: pytest.fail("compiled on spawn"))
        monkeypatch.setattr(EngineHost, "_compile", lambda *a: pytest.fail("compiled on spawn"))
        for i in range(5):
            await mind.spawn_agent(["echo"], name=f"a{i}")
        assert len(mind.agents) == 6


def test_compiled_components_are_cached_on_disk(tmp_path, raw_echo_wasm) -> None:
    EngineHost().load_component(raw_echo_wasm, tmp_path)
    (compiled,) = (tmp_path / "compiled").iterdir()
    fresh = EngineHost()  # as in a new process: nothing in memory, the compiled copy on disk
    fresh._compile = lambda *a: pytest.fail("recompiled although a compiled copy is on disk")  # type: ignore[method-assign]
    assert fresh.load_component(raw_echo_wasm, tmp_path) is not None
    # a damaged cache entry (another version, a crash mid-write) is compiled again, not fatal
    damaged = tmp_path / "damaged" / "compiled" / compiled.name
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b"damaged")
    assert EngineHost().load_component(raw_echo_wasm, tmp_path / "damaged") is not None
    assert damaged.read_bytes() != b"damaged"


async def test_actor_from_a_git_repository(tmp_path, actors_dir) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(actors_dir / "echo", repo / "actors" / "echo")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "echo"], check=True)
    config = Config.from_toml(
        'starting_actors = ["echo"]\n[actors.echo]\n'
        f'source = {{ git = "file://{repo}", git_ref = {{ branch = "main" }}, sub_dir = "actors/echo" }}\n'
    )
    async with Wasmind(config, progress=False) as mind:
        await mind.broadcast("demo.Ping", None)
        await mind.wait_idle()
        assert payloads(mind, "demo.Pong") == [{"n": 1, "echo": None}]
