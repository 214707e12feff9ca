"""SymlinkGuard on real folders: escaping links go at the next sweep, links inside the grants stay."""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from wasmind_nb.host import fsguard
from wasmind_nb.host.fsguard import SymlinkGuard

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="Linux only")


class Folders:
    """A read-write grant ``work``, a read-only grant ``other`` and a folder ``outside`` no grant covers."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.work = base / "work"
        self.other = base / "other"
        self.outside = base / "outside"
        for folder in (self.work, self.other / "deep", self.outside):
            folder.mkdir(parents=True)
        (self.work / "notes.txt").write_text("mine")
        (self.other / "shared.txt").write_text("granted")
        (self.outside / "secret").write_text("not granted")
        self.removed: list[tuple[Path, str]] = []

    def guard(self) -> SymlinkGuard:
        return SymlinkGuard([self.work], [self.work, self.other], lambda p, t: self.removed.append((p, t)))


@pytest.fixture
def folders(tmp_path: Path) -> Folders:
    return Folders(tmp_path.resolve())


@pytest.fixture
def guard(folders: Folders) -> Iterator[SymlinkGuard]:
    with folders.guard() as g:
        yield g


def test_escaping_relative_link_is_removed_and_reported(folders: Folders, guard: SymlinkGuard) -> None:
    link = folders.work / "evil"
    os.symlink("../../../etc/shadow", link)
    guard.sweep()
    assert not os.path.lexists(link)
    assert folders.removed == [(link, "../../../etc/shadow")]


def test_absolute_link_out_is_removed(folders: Folders, guard: SymlinkGuard) -> None:
    link = folders.work / "shadow"
    os.symlink("/etc/shadow", link)
    guard.sweep()
    assert not os.path.lexists(link)
    assert folders.removed == [(link, "/etc/shadow")]


def test_links_inside_the_grant_stay(folders: Folders, guard: SymlinkGuard) -> None:
    (folders.work / "sub").mkdir()
    os.symlink("notes.txt", folders.work / "alias")
    os.symlink("../notes.txt", folders.work / "sub" / "up")
    os.symlink(str(folders.work / "sub"), folders.work / "abs-sub")
    os.symlink("not-yet-written", folders.work / "dangling-inside")
    guard.sweep()
    assert (folders.work / "alias").read_text() == "mine"
    assert (folders.work / "sub" / "up").read_text() == "mine"
    assert (folders.work / "abs-sub").is_symlink()
    assert (folders.work / "dangling-inside").is_symlink()
    assert folders.removed == []


def test_links_to_another_granted_folder_stay(folders: Folders, guard: SymlinkGuard) -> None:
    os.symlink("../other/shared.txt", folders.work / "relative")
    os.symlink(str(folders.other / "deep"), folders.work / "absolute")
    guard.sweep()
    assert (folders.work / "relative").read_text() == "granted"
    assert (folders.work / "absolute").is_symlink()
    assert folders.removed == []


def test_dangling_link_out_is_removed(folders: Folders, guard: SymlinkGuard) -> None:
    os.symlink("../outside/not-there-yet", folders.work / "later")
    guard.sweep()
    assert not os.path.lexists(folders.work / "later")
    assert [t for _, t in folders.removed] == ["../outside/not-there-yet"]


def test_link_in_a_subfolder_made_after_start_is_removed(folders: Folders, guard: SymlinkGuard) -> None:
    deep = folders.work / "a" / "b" / "c"
    deep.mkdir(parents=True)  # no watch on a, b or c yet when the link is made
    os.symlink("../../../../outside/secret", deep / "evil")
    guard.sweep()
    assert not os.path.lexists(deep / "evil")
    # The new folders are watched now: a link made in one later is caught too.
    os.symlink("/etc/passwd", deep / "again")
    guard.sweep()
    assert not os.path.lexists(deep / "again")
    assert [p for p, _ in folders.removed] == [deep / "evil", deep / "again"]


def test_link_renamed_into_place_is_removed(folders: Folders, guard: SymlinkGuard) -> None:
    staged = folders.outside / "staged"
    os.symlink(str(folders.outside / "secret"), staged)
    os.rename(staged, folders.work / "moved")
    guard.sweep()
    assert not os.path.lexists(folders.work / "moved")
    assert folders.removed == [(folders.work / "moved", str(folders.outside / "secret"))]


def test_folder_moved_in_with_a_link_out_is_cleaned(folders: Folders, guard: SymlinkGuard) -> None:
    staged = folders.outside / "pack"
    (staged / "inner").mkdir(parents=True)
    os.symlink("/etc/shadow", staged / "inner" / "evil")
    os.rename(staged, folders.work / "pack")
    guard.sweep()
    assert not os.path.lexists(folders.work / "pack" / "inner" / "evil")
    assert (folders.work / "pack" / "inner").is_dir()


def test_moving_a_folder_up_re_checks_its_relative_links(folders: Folders, guard: SymlinkGuard) -> None:
    (folders.work / "a" / "b").mkdir(parents=True)
    os.symlink("../../notes.txt", folders.work / "a" / "b" / "up")  # work/notes.txt: inside
    guard.sweep()
    assert folders.removed == []
    os.rename(folders.work / "a" / "b", folders.work / "b")  # now it names base/notes.txt: outside
    guard.sweep()
    assert not os.path.lexists(folders.work / "b" / "up")


def test_folder_swapped_for_a_link_before_its_watch_is_removed(folders: Folders, guard: SymlinkGuard) -> None:
    (folders.work / "d").mkdir()
    (folders.work / "d").rmdir()
    os.symlink(str(folders.outside), folders.work / "d")
    guard.sweep()
    assert not os.path.lexists(folders.work / "d")
    assert all(not w.startswith(str(folders.outside)) for w in guard._watches.values())


def test_link_through_a_kept_link_is_rechecked_when_that_link_changes(
    folders: Folders, guard: SymlinkGuard
) -> None:
    hop = folders.work / "hop"
    os.symlink(str(folders.other / "deep"), hop)
    os.symlink("hop/../shared.txt", folders.work / "via")  # other/shared.txt through the link
    guard.sweep()
    assert (folders.work / "via").read_text() == "granted"
    hop.unlink()
    os.symlink(str(folders.other), hop)  # still a granted folder, but "via" now means base/shared.txt
    guard.sweep()
    assert hop.is_symlink()
    assert not os.path.lexists(folders.work / "via")
    assert [p for p, _ in folders.removed] == [folders.work / "via"]


def test_links_present_at_construction_are_the_users_and_stay(folders: Folders) -> None:
    (folders.work / "old").mkdir()
    os.symlink("../../outside/secret", folders.work / "old" / "users")
    with folders.guard() as guard:
        guard.sweep()
        assert (folders.work / "old" / "users").is_symlink(), "a link the user made was deleted"
        os.unlink(folders.work / "old" / "users")
        os.symlink("../../outside/other", folders.work / "old" / "users")  # replaced: now the actor's
        guard.sweep()
        assert not os.path.lexists(folders.work / "old" / "users")
    assert folders.removed == [(folders.work / "old" / "users", "../../outside/other")]


def test_close_is_idempotent_and_ends_sweeping(folders: Folders) -> None:
    guard = folders.guard()
    guard.close()
    guard.close()
    os.symlink("/etc/shadow", folders.work / "after")
    guard.sweep()
    assert (folders.work / "after").is_symlink()


def test_without_inotify_sweeps_scan_in_full(
    folders: Folders, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def unavailable(self: object) -> int:
        raise OSError(errno.ENOSYS, "inotify_init1: not implemented")

    monkeypatch.setattr(fsguard, "_warned", set())
    monkeypatch.setattr(fsguard._Inotify, "init", unavailable)
    with caplog.at_level(logging.WARNING, "wasmind_nb.host"), folders.guard() as guard:
        (folders.work / "x").mkdir()
        os.symlink("/etc/shadow", folders.work / "x" / "evil")
        guard.sweep()
        assert not os.path.lexists(folders.work / "x" / "evil")
    assert "inotify is unavailable" in caplog.text


def test_out_of_watches_falls_back_to_full_scans_and_warns_once(
    folders: Folders, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real_add = fsguard._Inotify.add_watch

    def limited(self: fsguard._Inotify, fd: int, path: Path, mask: int) -> int:
        if path != folders.work:
            raise OSError(errno.ENOSPC, "inotify_add_watch: no space left on device", str(path))
        return real_add(self, fd, path, mask)

    monkeypatch.setattr(fsguard, "_warned", set())
    monkeypatch.setattr(fsguard._Inotify, "add_watch", limited)
    with caplog.at_level(logging.WARNING, "wasmind_nb.host"), folders.guard() as guard:
        for name in ("p", "q"):
            (folders.work / name / "deeper").mkdir(parents=True)
            guard.sweep()  # the new folders cannot be watched
            os.symlink("/etc/shadow", folders.work / name / "deeper" / "evil")
            guard.sweep()
            assert not os.path.lexists(folders.work / name / "deeper" / "evil")
    assert caplog.text.count("out of inotify watches") == 1
