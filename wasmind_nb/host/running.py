"""The commands a runtime has running, so shutdown can kill every one of them (and all they started)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from dataclasses import dataclass

from wasmind_nb.host.cgroup import PidsCgroup


@dataclass(eq=False)
class RunningCommand:
    """One started command: its top process (the leader of a new session) and its cgroup, if any."""

    proc: subprocess.Popen[bytes]
    cgroup: PidsCgroup | None = None

    def kill(self) -> None:
        """SIGKILL the top process's group and every process in the cgroup.

        In the sandbox, the top process is bwrap: its death kills the pid namespace's init
        (``--die-with-parent``), and with it every process inside.
        """
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self.cgroup is not None:
            self.cgroup.kill()


class RunningCommands:
    """A thread-safe registry of running commands; :meth:`kill_all` also refuses every later one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[RunningCommand] = set()
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def add(self, command: RunningCommand) -> bool:
        """Track ``command``; ``False`` (and it is killed) if the registry is already closed."""
        with self._lock:
            if not self._closed:
                self._running.add(command)
                return True
        command.kill()
        return False

    def discard(self, command: RunningCommand) -> None:
        with self._lock:
            self._running.discard(command)

    def kill_all(self) -> None:
        """Close the registry and SIGKILL every command still running, with everything it started."""
        with self._lock:
            self._closed = True
            running = list(self._running)
        for command in running:
            command.kill()

    close = kill_all

    def __len__(self) -> int:
        with self._lock:
            return len(self._running)


__all__ = ["RunningCommand", "RunningCommands"]
