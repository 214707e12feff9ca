"""Where a store's stderr tail and bulk folder are created (``host/instance.py``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wasmind_nb.host import instance


@pytest.fixture
def ram_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("TMPDIR", raising=False)
    monkeypatch.setattr(instance, "RAM_DIR", str(tmp_path))
    monkeypatch.setattr(instance, "RAM_DIR_MIN_FREE", 1)
    return tmp_path


def test_a_memory_folder_with_room_is_used(ram_dir: Path) -> None:
    assert instance.scratch_parent() == str(ram_dir)


def test_tmpdir_set_by_the_user_wins(ram_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(ram_dir / "mine"))
    assert instance.scratch_parent() is None


def test_a_small_memory_folder_is_not_used(ram_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    free = os.statvfs(ram_dir).f_bavail * os.statvfs(ram_dir).f_frsize
    monkeypatch.setattr(instance, "RAM_DIR_MIN_FREE", free + (1 << 40))  # like a 64 MB container /dev/shm
    assert instance.scratch_parent() is None


def test_a_missing_memory_folder_is_not_used(ram_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(instance, "RAM_DIR", str(ram_dir / "absent"))
    assert instance.scratch_parent() is None


def test_an_unwritable_memory_folder_is_not_used(ram_dir: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    ram_dir.chmod(0o500)
    try:
        assert instance.scratch_parent() is None
    finally:
        ram_dir.chmod(0o700)


def test_stores_files_are_in_the_process_folder() -> None:
    folder = Path(instance._stderr_directory())
    assert folder.is_dir() and folder.name.startswith("wasmind-guest-")
    assert oct(folder.stat().st_mode & 0o777) == oct(0o700)  # private to this user
    expected = instance.scratch_parent()
    if expected is not None:
        assert folder.parent == Path(expected)
