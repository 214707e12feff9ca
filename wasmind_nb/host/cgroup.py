"""A ``pids`` cgroup per command: a bound on its processes that holds even for root, and a kill switch.

``RLIMIT_NPROC`` does not bind a process whose real user is root (the kernel exempts uid 0), so when the
host may write a pids cgroup (v1 ``/sys/fs/cgroup/pids``, or v2 with ``pids`` delegated to the current
cgroup) each command gets its own child cgroup with ``pids.max``. Where none is writable this is a no-op
and the rlimit is the only bound.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import signal
import time
from pathlib import Path

_ROOT = Path("/sys/fs/cgroup")
_JOIN = 'echo $$ > "$0" && exec "$@"'  # joins the cgroup whose cgroup.procs is $0, then runs the rest
_counter = itertools.count()


@functools.cache
def pids_base() -> Path | None:
    """The writable pids cgroup folder commands' cgroups go in, or ``None``."""
    for base in _candidates():
        probe = base / f"wasmind-probe-{os.getpid()}"
        try:
            probe.mkdir()
        except OSError:
            continue
        ok = (probe / "pids.max").exists()
        with contextlib.suppress(OSError):
            probe.rmdir()
        if ok:
            return base
    return None


def _candidates() -> list[Path]:
    found = []
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        relative = path.lstrip("/")
        if "pids" in controllers.split(","):
            found.append(_ROOT / "pids" / relative)
        elif controllers == "":
            for unified in (_ROOT, _ROOT / "unified"):
                here = unified / relative
                subtree = here / "cgroup.subtree_control"
                if subtree.exists() and "pids" in subtree.read_text().split():
                    found.append(here)
    return found


class PidsCgroup:
    """One command's cgroup: ``procs`` is the file a process writes its pid to, to join."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.procs = path / "cgroup.procs"

    @classmethod
    def create(cls, max_pids: int) -> PidsCgroup | None:
        """A fresh cgroup allowing ``max_pids`` processes, or ``None`` where the host has none to give."""
        base = pids_base()
        if base is None:
            return None
        path = base / f"wasmind-{os.getpid()}-{next(_counter)}"
        try:
            path.mkdir()
            (path / "pids.max").write_text(str(max_pids))
        except OSError:
            with contextlib.suppress(OSError):
                path.rmdir()
            return None
        return cls(path)

    def join_argv(self, argv: list[str]) -> list[str]:
        """``argv`` run in this cgroup: a shell joins it (its pid into ``procs``), then becomes ``argv``."""
        return ["/bin/sh", "-c", _JOIN, str(self.procs), *argv]

    def members(self) -> list[int]:
        try:
            return [int(pid) for pid in self.procs.read_text().split()]
        except OSError:
            return []

    def kill(self) -> None:
        """SIGKILL every process in the cgroup (repeated, so a child forked meanwhile dies too)."""
        kill_file = self.path / "cgroup.kill"
        if kill_file.exists():
            with contextlib.suppress(OSError):
                kill_file.write_text("1")
        for _ in range(100):
            pids = self.members()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)

    def remove(self) -> None:
        """Kill what is left and delete the cgroup (it empties once the dead are reaped)."""
        self.kill()
        for _ in range(200):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.005)


__all__ = ["PidsCgroup", "pids_base"]
