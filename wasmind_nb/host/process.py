"""The ``command`` capability: run a program as a real subprocess and capture its output.

No shell is involved (unless the program is one). The child's stdin is ``/dev/null``; stdout and stderr
are read together, so a child that fills one pipe while we wait on the other cannot deadlock. Each stream
keeps its first ``max_output_bytes`` and is drained to the end. The child leads a new process group; on
timeout the whole group is killed, so its own children die with it.

Blocking and thread-safe: call it from a worker thread, never from the event loop.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from typing import IO

from wasmind_nb.host.policy import CommandPolicy

DEFAULT_MAX_OUTPUT_BYTES = 100_000
_READ_CHUNK = 65_536


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """What the guest's ``cmd`` builder describes. ``timeout_s`` may be fractional (WIT: whole seconds)."""

    program: str
    args: tuple[str, ...] = ()
    cwd: str | None = None
    timeout_s: float | None = None
    max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES
    env: tuple[tuple[str, str], ...] = ()
    env_clear: bool = False


@dataclass(frozen=True, slots=True)
class Exited:
    """The program exited on its own with ``code`` (0-255)."""

    code: int


@dataclass(frozen=True, slots=True)
class Signaled:
    """The program was killed by signal number ``signal``."""

    signal: int


@dataclass(frozen=True, slots=True)
class FailedToStart:
    """The program could not be started; ``reason`` says why (the OS reason where there is one)."""

    reason: str


@dataclass(frozen=True, slots=True)
class TimeoutExpired:
    """The program ran past its timeout and its process group was killed."""


ExitStatus = Exited | Signaled | FailedToStart | TimeoutExpired


@dataclass(frozen=True, slots=True)
class CommandOutput:
    """What ``run`` gives the guest: the captured (possibly truncated) streams and how the program ended."""

    stdout: bytes
    stderr: bytes
    status: ExitStatus
    stdout_truncated: bool = False
    stderr_truncated: bool = False


def run_command(spec: CommandSpec, policy: CommandPolicy) -> CommandOutput | str:
    """Run ``spec`` if ``policy`` allows it; a ``str`` is the WIT result's ``err`` (program not allowed)."""
    denial = policy.check(spec.program)
    if denial is not None:
        return denial
    env = _child_env(spec)
    executable = _resolve_executable(spec, env)
    if isinstance(executable, FailedToStart):
        return CommandOutput(b"", b"", executable)
    try:
        proc = subprocess.Popen(
            [spec.program, *spec.args],
            executable=executable,
            cwd=spec.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        return CommandOutput(b"", b"", FailedToStart(_os_reason(spec.program, exc)))
    return _collect(proc, spec)


def _child_env(spec: CommandSpec) -> dict[str, str]:
    env = {} if spec.env_clear else dict(os.environ)
    env.update(spec.env)
    return env


def _resolve_executable(spec: CommandSpec, env: dict[str, str]) -> str | FailedToStart:
    """The executable to start, or why it cannot start.

    A bare name is looked up in the child's ``PATH``, or the host's when the child has none (after
    ``env-clear``), so ``env-clear`` does not make ``ls`` unfindable.
    """
    if spec.cwd is not None and not os.path.isdir(spec.cwd):
        return FailedToStart(f"cannot run '{spec.program}': working directory '{spec.cwd}' does not exist")
    if os.sep in spec.program:
        return spec.program
    search_path = env.get("PATH", os.environ.get("PATH", os.defpath))
    found = shutil.which(spec.program, path=search_path) if spec.program else None
    if found is None:
        return FailedToStart(f"cannot run '{spec.program}': {os.strerror(errno.ENOENT)} (searched PATH)")
    return found


def _os_reason(program: str, exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    return f"cannot run '{program}': {reason}"


class _Capture:
    """The first ``limit`` bytes of one stream, and whether more arrived."""

    def __init__(self, limit: int) -> None:
        self.limit = max(0, limit)
        self.data = bytearray()
        self.truncated = False

    def add(self, chunk: bytes) -> None:
        room = self.limit - len(self.data)
        if len(chunk) > room:
            self.truncated = True
        if room > 0:
            self.data += chunk[:room]


def _collect(proc: subprocess.Popen[bytes], spec: CommandSpec) -> CommandOutput:
    deadline = None if spec.timeout_s is None else time.monotonic() + spec.timeout_s
    out, err = _Capture(spec.max_output_bytes), _Capture(spec.max_output_bytes)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        finished = _drain({proc.stdout: out, proc.stderr: err}, deadline) and _wait(proc, deadline)
        if not finished:
            _kill_group(proc)
            status: ExitStatus = TimeoutExpired()
        else:
            status = _status(proc.returncode)
    finally:
        if proc.returncode is None:
            _kill_group(proc)
        proc.stdout.close()
        proc.stderr.close()
    return CommandOutput(bytes(out.data), bytes(err.data), status, out.truncated, err.truncated)


def _drain(streams: dict[IO[bytes], _Capture], deadline: float | None) -> bool:
    """Read every stream to EOF; ``False`` if the deadline came first."""
    with selectors.DefaultSelector() as selector:
        for stream, capture in streams.items():
            selector.register(stream, selectors.EVENT_READ, capture)
        while selector.get_map():
            remaining = _remaining(deadline)
            if remaining is not None and remaining <= 0:
                return False
            for key, _ in selector.select(remaining):
                chunk = os.read(key.fd, _READ_CHUNK)
                if chunk:
                    key.data.add(chunk)
                else:
                    selector.unregister(key.fileobj)
    return True


def _wait(proc: subprocess.Popen[bytes], deadline: float | None) -> bool:
    """Wait for the child to exit (its pipes may close before it does); ``False`` on timeout."""
    try:
        proc.wait(_remaining(deadline))
    except subprocess.TimeoutExpired:
        return False
    return True


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's process group (the child is its leader) and reap the child."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _status(returncode: int) -> ExitStatus:
    if returncode < 0:
        return Signaled(-returncode)
    return Exited(returncode & 0xFF)
