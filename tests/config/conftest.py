"""Fixtures that build actor folders and config files in a temporary directory."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

MakeActor = WriteConfig = Callable[..., Path]


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep git clones of every test in its own cache folder."""
    monkeypatch.setenv("WASMIND_NB_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def make_actor(tmp_path: Path) -> MakeActor:
    """``make_actor("actors/a", manifest)``: a Python actor folder (``actor.py`` + ``Wasmind.toml``).

    ``manifest=None`` writes ``actor_id = "test:<folder name>"``; ``manifest=""`` writes no manifest.
    """

    def make(relative: str, manifest: str | None = None, *, python: bool = True) -> Path:
        folder = tmp_path / relative
        folder.mkdir(parents=True, exist_ok=True)
        if manifest is None:
            manifest = f'actor_id = "test:{folder.name}"'
        if manifest:
            (folder / "Wasmind.toml").write_text(textwrap.dedent(manifest), encoding="utf-8")
        if python:
            (folder / "actor.py").write_text("", encoding="utf-8")
        return folder

    return make


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """``write_config(text)``: write a config file (dedented) into the temporary directory."""

    def write(text: str, name: str = "wasmind.toml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write
