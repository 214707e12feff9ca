"""The ``command`` capability: run a granted program in the OS sandbox and capture its output.

:func:`run_command` checks the request against the actor's :class:`CommandGrant` (program by resolved
path, working directory inside its folders), then starts it under ``prlimit`` inside bubblewrap
(``host.sandbox``), optionally in its own pids cgroup (``host.cgroup``). No shell is involved (unless the
program is one). The child's stdin is ``/dev/null``; stdout and stderr are read together, so a child that
fills one pipe while we wait on the other cannot deadlock. Each stream keeps its first
``max_output_bytes`` and is drained to the end. When the program ends, times out, or the runtime shuts
down, every process it started dies with it: the sandbox's pid namespace ends with its first process.

Blocking and thread-safe: call it from a worker thread, never from the event loop.
"""

from __future__ import annotations

import os
import posixpath
import selectors
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from typing import IO

from wasmind_nb.host.cgroup import PidsCgroup
from wasmind_nb.host.command_grant import (
    SANDBOX_PATH,
    SCRATCH,
    CommandGrant,
    Launch,
    SandboxView,
    plan_launch,
)
from wasmind_nb.host.denial import Denial
from wasmind_nb.host.running import RunningCommand, RunningCommands
from wasmind_nb.host.sandbox import bwrap_argv, identity_fds, limits_argv, missing_mount, sandbox_status

DEFAULT_MAX_OUTPUT_BYTES = 100_000
_READ_CHUNK = 65_536
#: How long output is still read once the program has exited and its processes were killed.
_DRAIN_AFTER_EXIT_S = 1.0


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


def run_command(
    spec: CommandSpec, grant: CommandGrant, registry: RunningCommands | None = None
) -> CommandOutput | Denial:
    """Run ``spec`` as ``grant`` allows; a :class:`Denial` is a program or folder that was not granted.

    Where the sandbox is unavailable (and ``grant.unsandboxed`` is not set) the outcome is
    ``FailedToStart`` with how to enable it. ``registry`` tracks the command for shutdown; once it is
    closed, commands fail to start.
    """
    if registry is not None and registry.closed:
        return _failed("the runtime has shut down")
    plan = plan_launch(spec.program, spec.cwd, grant)
    if isinstance(plan, Denial):
        return plan
    problem = plan if isinstance(plan, str) else missing_mount(grant)
    if problem is None and not grant.unsandboxed:
        problem = sandbox_status()
    if problem is not None or isinstance(plan, str):
        return _failed(problem or "cannot start")
    limit = min(spec.max_output_bytes, grant.max_output_bytes or DEFAULT_MAX_OUTPUT_BYTES)
    cgroup = PidsCgroup.create(grant.limits.processes)
    try:
        if grant.unsandboxed:
            with tempfile.TemporaryDirectory(prefix="wasmind-cmd-") as scratch:
                argv, cwd, env = _unsandboxed(spec, grant, plan, scratch)
                return _start(spec, argv, cwd, env, (), cgroup, registry, limit, sandboxed=False)
        fds = identity_fds()
        argv = [*limits_argv(grant.limits), *bwrap_argv(plan, grant, spec.args, *fds)]
        env = child_env(spec, grant, SCRATCH)
        return _start(spec, argv, "/", env, fds, cgroup, registry, limit, sandboxed=True)
    finally:
        if cgroup is not None:
            cgroup.remove()


def _start(
    spec: CommandSpec,
    argv: list[str],
    cwd: str,
    env: dict[str, str],
    fds: tuple[int, ...],
    cgroup: PidsCgroup | None,
    registry: RunningCommands | None,
    limit: int,
    *,
    sandboxed: bool,
) -> CommandOutput:
    """Start ``argv`` (in ``cgroup`` if there is one), track it in ``registry``, and collect its output."""
    if cgroup is not None:
        argv = cgroup.join_argv(argv)
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            pass_fds=fds,
        )
    except OSError as exc:
        return _failed(f"cannot run '{spec.program}': {exc.strerror or exc}")
    finally:
        for fd in fds:
            os.close(fd)
    running = RunningCommand(proc, cgroup)
    if registry is not None and not registry.add(running):
        proc.wait()
        _close_pipes(proc)
        return _failed("the runtime has shut down")
    try:
        return _collect(proc, running, spec.timeout_s, limit, sandboxed=sandboxed)
    finally:
        running.kill()
        if registry is not None:
            registry.discard(running)


def child_env(spec: CommandSpec, grant: CommandGrant, home: str) -> dict[str, str]:
    """The command's whole environment: defaults and the grant's variables (unless ``env-clear``),
    then the guest's. Nothing comes from the host's environment."""
    env = {} if spec.env_clear else {"PATH": SANDBOX_PATH, "HOME": home, "LANG": "C.UTF-8", **dict(grant.env)}
    env.update(spec.env)
    return env


def _unsandboxed(
    spec: CommandSpec, grant: CommandGrant, plan: Launch, scratch: str
) -> tuple[list[str], str, dict[str, str]]:
    """The opt-out: the checked program on the host, with the cleared environment and the limits; the
    guest's ``/tmp`` is a private temporary folder."""
    view = SandboxView(grant.mounts)

    def host(guest: str) -> str:
        if posixpath.commonpath([guest, SCRATCH]) == SCRATCH and view.mount_of(guest) is None:
            return os.path.join(scratch, posixpath.relpath(guest, SCRATCH))
        return view.to_host(guest) or guest

    env = child_env(spec, grant, scratch)
    return [*limits_argv(grant.limits), host(plan.executable), *spec.args], host(plan.cwd), env


def _failed(reason: str) -> CommandOutput:
    return CommandOutput(b"", b"", FailedToStart(reason))


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


def _collect(
    proc: subprocess.Popen[bytes],
    running: RunningCommand,
    timeout_s: float | None,
    limit: int,
    *,
    sandboxed: bool,
) -> CommandOutput:
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    out, err = _Capture(limit), _Capture(limit)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        finished = _drain(proc, running, {proc.stdout: out, proc.stderr: err}, deadline)
        if not finished:
            running.kill()
            proc.wait()
            status: ExitStatus = TimeoutExpired()
        else:
            status = _status(proc.wait(), sandboxed)
    finally:
        if proc.returncode is None:
            running.kill()
            proc.wait()
        _close_pipes(proc)
    return CommandOutput(bytes(out.data), bytes(err.data), status, out.truncated, err.truncated)


def _drain(
    proc: subprocess.Popen[bytes],
    running: RunningCommand,
    streams: dict[IO[bytes], _Capture],
    deadline: float | None,
) -> bool:
    """Read every stream to EOF; ``False`` if the deadline came first.

    Once the program has exited, whatever it left behind is killed, and what is still buffered is read
    for a moment more: a straggler holding a pipe open cannot keep the command running.
    """
    exited_at: float | None = None
    with selectors.DefaultSelector() as selector:
        for stream, capture in streams.items():
            selector.register(stream, selectors.EVENT_READ, capture)
        while selector.get_map():
            remaining = _remaining(deadline)
            if remaining is not None and remaining <= 0:
                return False
            if exited_at is None and proc.poll() is not None:
                running.kill()
                exited_at = time.monotonic()
            if exited_at is not None and time.monotonic() - exited_at > _DRAIN_AFTER_EXIT_S:
                break
            wait = 0.1 if remaining is None else min(remaining, 0.1)
            for key, _ in selector.select(wait):
                chunk = os.read(key.fd, _READ_CHUNK)
                if chunk:
                    key.data.add(chunk)
                else:
                    selector.unregister(key.fileobj)
    return _wait(proc, deadline)


def _wait(proc: subprocess.Popen[bytes], deadline: float | None) -> bool:
    """Wait for the child to exit (its pipes may close before it does); ``False`` on timeout."""
    try:
        proc.wait(_remaining(deadline))
    except subprocess.TimeoutExpired:
        return False
    return True


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def _close_pipes(proc: subprocess.Popen[bytes]) -> None:
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


_SIGNALS = frozenset(int(s) for s in signal.Signals)


def _status(returncode: int, sandboxed: bool) -> ExitStatus:
    """How the program ended. bwrap reports a child killed by signal ``n`` as exit status ``128 + n``
    (as shells do), so in the sandbox an exit status above 128 that names a signal is read as one."""
    if returncode < 0:
        return Signaled(-returncode)
    if sandboxed and returncode > 128 and returncode - 128 in _SIGNALS:
        return Signaled(returncode - 128)
    return Exited(returncode & 0xFF)
