"""Fixtures: an upstream-shaped git repository reached through upstream's URL, and a cache for its clone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.upstream.repo import make_upstream_repo, url_rewrite
from wasmind_nb.paths import cache_dir


@pytest.fixture
def upstream_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The repository, which git reaches as ``https://github.com/SilasMarvin/wasmind`` (no network).

    Clones go to a cache of this test only, whose other folders (built and compiled actors) are the
    shared cache's, so nothing is built again and the clone never lands in the shared cache.
    """
    repo = make_upstream_repo(tmp_path / "wasmind")
    url_rewrite(tmp_path / "gitconfig", repo)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    shared = cache_dir()
    private = tmp_path / "cache"
    private.mkdir()
    shared.mkdir(parents=True, exist_ok=True)
    for name in ("compiled", "components", "interpreter", "prepared", "python-stdlib", "test-components"):
        (shared / name).mkdir(exist_ok=True)
        (private / name).symlink_to(shared / name)
    monkeypatch.setenv("WASMIND_NB_CACHE", str(private))
    monkeypatch.delenv("WASMIND_NB_STAND_INS", raising=False)
    _cargo_without_component(tmp_path / "bin", monkeypatch)
    return repo


def _cargo_without_component(bin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``cargo`` first on PATH that lacks the ``component`` subcommand, as a plain Rust install does
    (so these tests never depend on what this machine has installed)."""
    bin_dir.mkdir()
    cargo = bin_dir / "cargo"
    cargo.write_text("#!/bin/sh\necho 'error: no such command: `component`' >&2\nexit 101\n")
    cargo.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
