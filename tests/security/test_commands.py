"""Attacks on the ``command`` capability, in the real sandbox (bubblewrap): each one is refused or finds
nothing of the host, and the legitimate use next to it still works."""

from __future__ import annotations

import dataclasses
import itertools
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.security.processes import all_gone, live_with
from wasmind_nb.config import Capabilities, CommandLimits, Preopen
from wasmind_nb.host import sandbox
from wasmind_nb.host.cgroup import pids_base
from wasmind_nb.host.denial import Denial
from wasmind_nb.host.process import (
    CommandOutput,
    CommandSpec,
    Exited,
    FailedToStart,
    Signaled,
    TimeoutExpired,
    run_command,
)
from wasmind_nb.host.sandbox import CommandGrant, Mount, RunningCommands, sandbox_status

pytestmark = pytest.mark.skipif(sandbox_status() is not None, reason=f"no sandbox: {sandbox_status()}")

_tokens = itertools.count(1)


def token() -> str:
    """A ``sleep`` duration no other process on the host carries."""
    return f"1000.{next(_tokens)}{os.getpid()}"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


@pytest.fixture
def grant(work: Path) -> CommandGrant:
    """Any program, the folder ``work`` read-write at ``/work``, no network."""
    return CommandGrant(
        "intruder", ("*",), mounts=(Mount(work, "/work", read_only=False),), default_cwd="/work"
    )


def output_of(
    spec: CommandSpec, grant: CommandGrant, registry: RunningCommands | None = None
) -> CommandOutput:
    outcome = run_command(spec, grant, registry)
    assert isinstance(outcome, CommandOutput), outcome
    return outcome


def bash(script: str, grant: CommandGrant, **options: object) -> CommandOutput:
    return output_of(CommandSpec("bash", ("-c", script), **options), grant)  # type: ignore[arg-type]


# --- what the sandbox shows of the host ---------------------------------------------------------


def test_host_secrets_and_homes_are_not_there(grant: CommandGrant) -> None:
    output = bash("cat /etc/shadow; cat /etc/gshadow; ls /root /home; cat /etc/passwd", grant)
    assert b"root:" not in output.stdout
    assert output.stdout.decode().splitlines()[0].startswith("wasmind:x:1000:1000:")
    assert output.stderr.count(b"No such file or directory") == 4


def test_the_command_is_not_root(grant: CommandGrant) -> None:
    assert bash("id -u; id -un; grep CapEff /proc/self/status", grant).stdout == (
        b"1000\nwasmind\nCapEff:\t0000000000000000\n"
    )


def test_no_new_user_namespace_and_no_writable_dev(grant: CommandGrant) -> None:
    output = bash("unshare -U true || echo refused; touch /dev/evil || echo read-only", grant)
    assert output.stdout == b"refused\nread-only\n"


def test_only_the_sandbox_processes_are_visible(grant: CommandGrant) -> None:
    pids = bash("ls /proc | grep -E '^[0-9]+$'", grant).stdout.split()
    assert str(os.getpid()).encode() not in pids and all(int(pid) < 10 for pid in pids)


@pytest.mark.parametrize("cwd", ["/", "../../..", "/work/../etc", "/proc"])
def test_a_working_directory_outside_the_folders_is_denied(grant: CommandGrant, cwd: str) -> None:
    denial = run_command(CommandSpec("ls", cwd=cwd), grant)
    assert isinstance(denial, Denial) and denial.capability == "fs" and "capabilities.fs" in denial.reason


def test_a_subfolder_of_the_grant_is_a_working_directory(grant: CommandGrant, work: Path) -> None:
    (work / "sub").mkdir()
    assert bash("pwd", grant, cwd="sub").stdout == b"/work/sub\n"


# --- program matching ---------------------------------------------------------------------------


@pytest.fixture
def fake_git(work: Path) -> Path:
    """A shell named ``git`` in the actor's folder: ``/work/bin/git``."""
    (work / "bin").mkdir()
    fake = work / "bin" / "git"
    shutil.copy("/bin/bash", fake)
    return fake


@pytest.mark.parametrize("program", ["/work/bin/git", "./bin/git", "bin/git", "/tmp/git", "/bin/sh"])
def test_a_git_grant_runs_no_other_file(grant: CommandGrant, fake_git: Path, program: str) -> None:
    only_git = dataclasses.replace(grant, programs=("git",))
    denial = run_command(CommandSpec(program, ("-c", "id")), only_git)
    assert isinstance(denial, Denial)
    assert (denial.capability, denial.target) == ("commands", program)
    assert "capabilities.commands" in denial.reason and "intruder" in denial.reason


def test_a_folder_granted_over_a_system_path_does_not_redefine_a_granted_name(
    grant: CommandGrant, fake_git: Path
) -> None:
    shadowing = Mount(fake_git.parent, "/usr/local/bin", read_only=False)
    only_git = dataclasses.replace(grant, programs=("git",), mounts=(*grant.mounts, shadowing))
    denial = run_command(CommandSpec("git", ("-c", "id")), only_git)
    assert isinstance(denial, Denial) and denial.capability == "commands"


@pytest.mark.parametrize(
    ("granted", "program", "args"),
    [
        ("git", "git", ("-c", "alias.x=!id -u; cat /etc/shadow; printenv SECRET", "x")),
        ("env", "env", ("sh", "-c", "id -u; cat /etc/shadow; printenv SECRET")),
        ("find", "find", ("/tmp", "-maxdepth", "0", "-exec", "sh", "-c", "id -u; cat /etc/shadow", ";")),
    ],
)
def test_an_interpreter_runs_anything_but_only_inside_the_sandbox(
    grant: CommandGrant, monkeypatch: pytest.MonkeyPatch, granted: str, program: str, args: tuple[str, ...]
) -> None:
    monkeypatch.setenv("SECRET", "host-secret")
    only = dataclasses.replace(grant, programs=(granted,))
    output = output_of(CommandSpec(program, args), only)
    assert output.stdout == b"1000\n" and b"/etc/shadow: No such file" in output.stderr


def test_a_guest_path_does_not_change_which_program_runs(grant: CommandGrant, fake_git: Path) -> None:
    only_git = dataclasses.replace(grant, programs=("git",))
    output = output_of(CommandSpec("git", ("--version",), env=(("PATH", "/work/bin"),)), only_git)
    assert output.stdout.startswith(b"git version")


def test_a_guest_path_still_reaches_the_child(grant: CommandGrant) -> None:
    assert bash('printf %s "$PATH"', grant, env=(("PATH", "/work/bin"),)).stdout == b"/work/bin"


def test_granted_names_and_paths_match_the_same_file(grant: CommandGrant) -> None:
    by_path = dataclasses.replace(grant, programs=("/usr/bin/git",))
    assert output_of(CommandSpec("git", ("--version",)), by_path).status == Exited(0)
    by_name = dataclasses.replace(grant, programs=("git",))
    assert output_of(CommandSpec("/usr/bin/git", ("--version",)), by_name).status == Exited(0)


# --- environment and network --------------------------------------------------------------------


def test_the_host_environment_is_not_passed(grant: CommandGrant, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-host-secret")
    granted = dataclasses.replace(grant, env=(("TOOL_TOKEN", "granted"),))
    output = bash("env; cat /proc/1/environ", granted)
    assert b"sk-host-secret" not in output.stdout + output.stderr
    assert b"TOOL_TOKEN=granted" in output.stdout


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    yield server
    server.close()


def test_no_network_means_no_dev_tcp(grant: CommandGrant, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    output = bash(f"echo hello > /dev/tcp/127.0.0.1/{port}", grant)
    assert output.status == Exited(1) and b"Connection refused" in output.stderr
    with pytest.raises(TimeoutError):
        listener.accept()


def test_granted_network_reaches_the_server(grant: CommandGrant, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    networked = dataclasses.replace(grant, network=True)
    assert bash(f"echo hello > /dev/tcp/127.0.0.1/{port}", networked).status == Exited(0)
    connection, _ = listener.accept()
    connection.close()


# --- every descendant dies with the command -----------------------------------------------------


def test_a_background_child_dies_when_the_command_ends(grant: CommandGrant) -> None:
    sleep = token()
    output = bash(f"setsid sleep {sleep} & nohup sleep {sleep} >/dev/null 2>&1 & echo started", grant)
    assert output.stdout == b"started\n"
    assert all_gone(sleep)


def test_a_background_child_dies_at_the_timeout(grant: CommandGrant) -> None:
    sleep = token()
    output = bash(f"setsid sleep {sleep} & sleep {sleep}", grant, timeout_s=0.5)
    assert output.status == TimeoutExpired()
    assert all_gone(sleep)


def test_kill_all_kills_every_sandbox_and_refuses_later_commands(grant: CommandGrant) -> None:
    registry = RunningCommands()
    sleep = token()
    outcomes: list[CommandOutput | Denial] = []
    spec = CommandSpec("bash", ("-c", f"setsid sleep {sleep} & sleep {sleep}"), timeout_s=60)
    worker = threading.Thread(target=lambda: outcomes.append(run_command(spec, grant, registry)))
    worker.start()
    started = time.monotonic()
    while len(live_with(sleep)) < 2 and time.monotonic() - started < 10:
        time.sleep(0.01)
    registry.kill_all()
    worker.join(10)
    assert not worker.is_alive() and all_gone(sleep)
    assert isinstance(outcomes[0], CommandOutput) and outcomes[0].status == Signaled(9)
    later = output_of(CommandSpec("true"), grant, registry)
    assert later.status == FailedToStart("the runtime has shut down")


# --- limits -------------------------------------------------------------------------------------

_FORK_UNTIL_REFUSED = """
import os, time
n = 0
try:
    while n < 500:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        n += 1
except OSError as error:
    print(n, error.errno)
"""


def test_a_fork_bomb_is_bounded(grant: CommandGrant) -> None:
    limited = dataclasses.replace(grant, limits=CommandLimits(processes=16))
    output = output_of(CommandSpec("python3", ("-c", _FORK_UNTIL_REFUSED), timeout_s=30), limited)
    forked, errno = map(int, output.stdout.split())
    assert forked < 16 and errno == 11


def test_file_size_is_bounded(grant: CommandGrant, work: Path) -> None:
    limited = dataclasses.replace(grant, limits=CommandLimits(file_size_bytes=1 << 20))
    output = bash("head -c 2G /dev/zero > /work/big", limited)
    assert output.status != Exited(0)
    assert (work / "big").stat().st_size <= 1 << 20
    for scratch in ("/tmp", "/dev/shm"):
        script = f"for i in 1 2 3; do head -c 900K /dev/zero > {scratch}/$i || exit 9; done"
        assert bash(script, limited).status == Exited(9)


def test_memory_is_bounded(grant: CommandGrant) -> None:
    limited = dataclasses.replace(grant, limits=CommandLimits(memory_bytes=256 << 20))
    grab = "x = bytearray(512 << 20)"
    output = output_of(CommandSpec("python3", ("-c", grab)), limited)
    assert output.status == Exited(1) and b"MemoryError" in output.stderr
    assert output_of(CommandSpec("python3", ("-c", "x = bytearray(16 << 20)")), limited).status == Exited(0)


def test_cpu_time_is_bounded(grant: CommandGrant) -> None:
    limited = dataclasses.replace(grant, limits=CommandLimits(cpu_s=1))
    assert bash("while :; do :; done", limited, timeout_s=30).status == Signaled(24)


# --- legitimate use -----------------------------------------------------------------------------


def test_a_write_to_a_read_write_folder_reaches_the_host(grant: CommandGrant, work: Path) -> None:
    assert bash("echo made > /work/out.txt", grant).status == Exited(0)
    assert (work / "out.txt").read_text() == "made\n"


def test_a_read_only_folder_refuses_writes(grant: CommandGrant, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "in.txt").write_text("input")
    with_data = dataclasses.replace(grant, mounts=(*grant.mounts, Mount(data, "/data", read_only=True)))
    output = bash("cat /data/in.txt; touch /data/new", with_data)
    assert output.stdout == b"input" and b"Read-only file system" in output.stderr
    assert sorted(p.name for p in data.iterdir()) == ["in.txt"]


def test_grant_from_capabilities_maps_the_working_dir(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    caps = Capabilities(
        fs=(Preopen(Path("."), "/project", read_only=False, workdir_relative=True),),
        commands=("pwd",),
        max_output_bytes=10,
    )
    grant = CommandGrant.for_actor("coder", caps, project / "src")
    assert grant.default_cwd == "/project"
    assert CommandGrant.for_actor("coder", caps, project).default_cwd == "/project"
    outside = CommandGrant.for_actor("coder", dataclasses.replace(caps, fs=()), project)
    assert (outside.default_cwd, outside.mounts) == ("/tmp", ())
    assert output_of(CommandSpec("pwd"), grant).stdout == b"/project\n"


# --- when the sandbox is missing ----------------------------------------------------------------


def test_without_bwrap_commands_fail_with_how_to_enable(
    grant: CommandGrant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox, "tool", lambda name: None if name == "bwrap" else shutil.which(name))
    sandbox_status.cache_clear()
    try:
        output = output_of(CommandSpec("true"), grant)
    finally:
        sandbox_status.cache_clear()
    assert isinstance(output.status, FailedToStart)
    assert "apt-get install bubblewrap" in output.status.reason
    assert "unsandboxed_commands = true" in output.status.reason


@pytest.mark.skipif(pids_base() is None, reason="no writable pids cgroup: unsandboxed children can escape")
def test_unsandboxed_still_clears_env_matches_paths_and_kills_children(
    grant: CommandGrant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-host-secret")
    opted_out = dataclasses.replace(grant, unsandboxed=True)
    sleep = token()
    output = bash(f"setsid sleep {sleep} & env", opted_out)
    assert b"sk-host-secret" not in output.stdout and b"LANG=C.UTF-8" in output.stdout
    assert all_gone(sleep)
    only_git = dataclasses.replace(opted_out, programs=("git",))
    assert isinstance(run_command(CommandSpec("./git"), only_git), Denial)
