"""Symlinks out of a folder grant: found with inotify and removed on the host.

WASI never follows a symlink out of a preopen, but the host's tools and the user's editor do, and
wasmtime offers no hook to refuse ``symlink-at``. So :class:`SymlinkGuard` watches the host folders of an
actor's read-write grants (recursively, new subfolders included) and removes every symlink whose target
leaves the actor's grants. The runtime calls :meth:`SymlinkGuard.sweep` after each guest call of the actor,
so no escaping link outlives the handler that made it.

A target is checked twice, and must pass both: lexically (the link's real folder joined with the target and
normalised, which is how a reader that does not resolve ``..`` through links sees it) and as the kernel
resolves it today (``realpath``). A link whose target names a symlink followed by ``..`` can change meaning
when that symlink is replaced, so whenever a sweep meets a symlink it keeps, it rechecks every link in the
roots once more. Linux only (inotify through ctypes); where inotify or its watches run out, every sweep
scans the roots in full instead.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import logging
import os
import struct
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType

log = logging.getLogger("wasmind_nb.host")

IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ONLYDIR = 0x01000000
IN_DONT_FOLLOW = 0x02000000
IN_ISDIR = 0x40000000
_WATCH_MASK = IN_CREATE | IN_MOVED_TO | IN_ONLYDIR | IN_DONT_FOLLOW
_EVENT = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len; then len bytes of name
_READ_SIZE = 256 * 1024

_warned: set[str] = set()
_warned_lock = threading.Lock()


def _warn_once(key: str, message: str, *args: object) -> None:
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    log.warning(message, *args)


class _Inotify:
    """The three inotify calls, from libc through ctypes."""

    def __init__(self) -> None:
        name = ctypes.util.find_library("c")
        libc = ctypes.CDLL(name, use_errno=True)
        self._init1 = libc.inotify_init1
        self._init1.argtypes = [ctypes.c_int]
        self._init1.restype = ctypes.c_int
        self._add = libc.inotify_add_watch
        self._add.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        self._add.restype = ctypes.c_int

    def init(self) -> int:
        fd = self._init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            code = ctypes.get_errno()
            raise OSError(code, f"inotify_init1: {os.strerror(code)}")
        return fd

    def add_watch(self, fd: int, path: Path, mask: int) -> int:
        wd = self._add(fd, os.fsencode(path), mask)
        if wd < 0:
            code = ctypes.get_errno()
            raise OSError(code, f"inotify_add_watch: {os.strerror(code)}", str(path))
        return wd


def _real_folder(dir_fd: int, path: str) -> str:
    """The real path of the open folder ``dir_fd``: the folder a link is checked and removed in."""
    try:
        return os.readlink(f"/proc/self/fd/{dir_fd}")
    except OSError:  # no /proc
        return os.path.realpath(path)


def _inside(path: str, folders: Sequence[str]) -> bool:
    return any(path == folder or path.startswith(folder.rstrip(os.sep) + os.sep) for folder in folders)


class SymlinkGuard:
    """Removes the symlinks under ``roots`` whose targets leave ``allowed``, calling ``on_removed`` for each.

    ``roots`` are the host folders of an actor's read-write grants (watched recursively); ``allowed`` are
    the host folders of all its grants (a link into any of them stays). Links already there when the guard
    starts are the user's, not the actor's: they are left alone (WASI never follows them, and the command
    sandbox resolves them in its own view). Call :meth:`sweep` after each guest call and :meth:`close`
    when the actor's instance is freed.
    """

    def __init__(
        self,
        roots: Sequence[Path],
        allowed: Sequence[Path],
        on_removed: Callable[[Path, str], None],
    ) -> None:
        self._roots = tuple(dict.fromkeys(os.path.realpath(root) for root in roots))
        self._allowed = tuple(dict.fromkeys([*(os.path.realpath(a) for a in allowed), *self._roots]))
        self._on_removed = on_removed
        self._lock = threading.Lock()
        self._watches: dict[int, str] = {}
        self._fd = -1
        self._closed = False
        self._full_scan = False  # inotify unavailable or out of watches: every sweep scans the roots
        self._recheck = False  # a kept symlink was met: every link may mean something else now
        self._preexisting: dict[tuple[int, int], str] = {}  # (device, inode) -> target of the user's links
        self._starting = True
        self._inotify: _Inotify | None = None
        try:
            self._inotify = _Inotify()
            self._fd = self._inotify.init()
        except (OSError, AttributeError) as exc:  # no libc symbol, EMFILE, ENOSYS, ...
            _warn_once("init", "inotify is unavailable (%s): symlinks in grants are found by full scans", exc)
            self._inotify = None
            self._full_scan = True
        with self._lock:
            for root in self._roots:
                self._scan(root)
            self._recheck = False
            self._starting = False

    def sweep(self) -> None:
        """Drains the pending events and removes every escaping symlink they (or a full scan) reveal."""
        with self._lock:
            if self._closed:
                return
            rescan = self._drain()
            if rescan or self._full_scan or self._recheck:
                for root in self._roots:
                    self._scan(root)
                self._recheck = False

    def close(self) -> None:
        """Stops watching; a second call does nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            fd, self._fd = self._fd, -1
            self._watches.clear()
            if fd >= 0:
                os.close(fd)

    def __enter__(self) -> SymlinkGuard:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- events

    def _drain(self) -> bool:
        """Handles every queued event; True when events were lost and the roots need a full scan."""
        if self._fd < 0:
            return False
        overflow = False
        while True:
            try:
                data = os.read(self._fd, _READ_SIZE)
            except BlockingIOError:
                return overflow
            except InterruptedError:
                continue
            if not data:
                return overflow
            for wd, mask, name in self._events(data):
                if mask & IN_Q_OVERFLOW:
                    overflow = True
                elif mask & IN_IGNORED:
                    self._watches.pop(wd, None)
                elif mask & (IN_CREATE | IN_MOVED_TO) and wd in self._watches and name:
                    path = os.path.join(self._watches[wd], name)
                    if mask & IN_ISDIR:
                        self._scan(path)  # a folder made (or moved in) before its watch: what is in it
                    else:
                        self._check(path)

    @staticmethod
    def _events(data: bytes) -> Iterator[tuple[int, int, str]]:
        offset = 0
        while offset + _EVENT.size <= len(data):
            wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
            offset += _EVENT.size
            raw = data[offset : offset + length].split(b"\0", 1)[0]
            offset += length
            yield wd, mask, os.fsdecode(raw)

    def _watch(self, folder: str) -> bool:
        """Watches ``folder`` (never through a symlink); False when it is no longer a folder."""
        if self._fd < 0 or self._inotify is None or self._full_scan:
            return True  # full scans find what a watch would
        try:
            wd = self._inotify.add_watch(self._fd, Path(folder), _WATCH_MASK)
        except OSError as exc:
            if exc.errno in (errno.ENOTDIR, errno.ENOENT, errno.ELOOP):
                return False
            if exc.errno == errno.ENOSPC:
                _warn_once(
                    "watches",
                    "out of inotify watches (fs.inotify.max_user_watches) at %s:"
                    " symlinks in grants are found by full scans from now on",
                    folder,
                )
            else:
                log.warning("cannot watch %s for symlinks (%s): full scans from now on", folder, exc)
            self._full_scan = True
            return True
        self._watches[wd] = folder
        return True

    # -- scanning and checking

    def _scan(self, top: str) -> None:
        """Watches ``top`` and every folder below it (watch first, then list) and checks their symlinks."""
        stack = [top]
        while stack:
            folder = stack.pop()
            if not self._watch(folder):
                self._check(folder)  # replaced by a symlink (or gone) before the watch was added
                continue
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        try:
                            if entry.is_symlink():
                                self._check(entry.path)
                            elif entry.is_dir(follow_symlinks=False):
                                stack.append(entry.path)
                        except OSError:
                            continue
            except OSError:
                continue

    def _check(self, path: str) -> None:
        """Removes ``path`` if it is a symlink that leaves the grants (checked and removed in its folder)."""
        parent, name = os.path.split(path)
        try:
            dir_fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            return
        try:
            real_parent = _real_folder(dir_fd, parent)
            if not _inside(real_parent, self._roots):
                return
            try:
                target = os.readlink(name, dir_fd=dir_fd)
            except OSError:
                return  # gone, or not a symlink
            if not self._escapes(real_parent, target):
                self._recheck = True
                return
            if self._users_own(name, dir_fd, target):
                return
            try:
                os.unlink(name, dir_fd=dir_fd)
            except FileNotFoundError:
                return
            except OSError as exc:
                log.warning("cannot remove the symlink %s -> %s: %s", path, target, exc)
                return
        finally:
            os.close(dir_fd)
        link = Path(real_parent, name)
        log.info("removed the symlink %s -> %s: it points outside the actor's grants", link, target)
        try:
            self._on_removed(link, target)
        except Exception:
            log.exception("on_removed failed for %s", link)

    def _users_own(self, name: str, dir_fd: int, target: str) -> bool:
        """Whether this escaping link was there before the actor started (recorded at the initial scan)."""
        try:
            info = os.lstat(name, dir_fd=dir_fd)
        except OSError:
            return False
        key = (info.st_dev, info.st_ino)
        if self._starting:
            self._preexisting[key] = target
            return True
        return self._preexisting.get(key) == target

    def _escapes(self, real_parent: str, target: str) -> bool:
        joined = os.path.join(real_parent, target)  # an absolute target replaces the folder
        lexical = os.path.normpath(joined)
        return not (_inside(lexical, self._allowed) and _inside(os.path.realpath(joined), self._allowed))


__all__ = ["SymlinkGuard"]
