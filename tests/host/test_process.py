"""The ``command`` capability with real subprocesses, in the real sandbox (bubblewrap)."""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.security.processes import all_gone
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
from wasmind_nb.host.sandbox import CommandGrant, Mount, sandbox_status

pytestmark = pytest.mark.skipif(sandbox_status() is not None, reason=f"no sandbox: {sandbox_status()}")


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A read-write folder commands see at ``/work`` (their default working directory)."""
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


@pytest.fixture
def grant(work: Path) -> CommandGrant:
    return CommandGrant(
        "tester", ("*",), mounts=(Mount(work, "/work", read_only=False),), default_cwd="/work"
    )


Run = Callable[..., CommandOutput]


@pytest.fixture
def run(grant: CommandGrant) -> Run:
    """Run a spec under ``grant`` (or the one given) and return its output (never a denial)."""

    def run(spec: CommandSpec, with_grant: CommandGrant | None = None) -> CommandOutput:
        output = run_command(spec, with_grant or grant)
        assert isinstance(output, CommandOutput), output
        return output

    return run


def python(code: str, **options: object) -> CommandSpec:
    return CommandSpec("python3", ("-c", code), **options)  # type: ignore[arg-type]


def sh(script: str, **options: object) -> CommandSpec:
    return CommandSpec("sh", ("-c", script), **options)  # type: ignore[arg-type]


def test_separates_streams_and_reports_exit_code(run: Run) -> None:
    output = run(sh("printf out; printf err >&2; exit 3"))
    assert (output.stdout, output.stderr, output.status) == (b"out", b"err", Exited(3))
    assert not output.stdout_truncated and not output.stderr_truncated


def test_arguments_are_passed_verbatim_without_a_shell(run: Run) -> None:
    output = run(CommandSpec("python3", ("-c", "import sys; print(sys.argv[1:])", "a b", "$HOME", "*")))
    assert output.stdout.decode().strip() == "['a b', '$HOME', '*']"


def test_death_by_signal_is_reported(run: Run) -> None:
    assert run(sh("kill -TERM $$")).status == Signaled(15)


def test_big_stderr_before_stdout_does_not_deadlock(run: Run) -> None:
    code = "import sys; sys.stderr.write('e' * 2_000_000); sys.stderr.flush(); print('o' * 2_000_000, end='')"
    output = run(python(code, timeout_s=30))
    assert output.status == Exited(0)
    assert (output.stdout, output.stderr) == (b"o" * 100_000, b"e" * 100_000)
    assert output.stdout_truncated and output.stderr_truncated


def test_output_cap_keeps_the_first_bytes(run: Run) -> None:
    output = run(sh("printf 0123456789; printf abcd >&2", max_output_bytes=4))
    assert (output.stdout, output.stdout_truncated) == (b"0123", True)
    assert (output.stderr, output.stderr_truncated) == (b"abcd", False)


def test_output_past_the_cap_is_drained_so_the_child_finishes(run: Run) -> None:
    code = "import sys; sys.stdout.write('x' * 1_000_000); sys.stdout.flush(); sys.stderr.write('done')"
    output = run(python(code, max_output_bytes=10, timeout_s=30))
    assert output.status == Exited(0)
    assert (output.stdout, output.stderr) == (b"x" * 10, b"done")


def test_timeout_kills_everything_the_command_started(run: Run) -> None:
    token = unique_sleep()
    output = run(sh(f"sleep {token} & sleep {token}", timeout_s=0.5))
    assert output.status == TimeoutExpired()
    assert all_gone(token)


def test_env_is_built_from_nothing_but_defaults_grant_and_guest(
    run: Run, grant: CommandGrant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WASMIND_TEST_PARENT", "inherited")
    granted = dataclasses.replace(grant, env=(("GRANTED", "g"),))
    output = run(CommandSpec("env", env=(("ADDED", "yes"),)), granted)
    lines = set(output.stdout.decode().splitlines())
    assert {
        "PATH=/usr/local/bin:/usr/bin:/bin",
        "HOME=/tmp",
        "LANG=C.UTF-8",
        "GRANTED=g",
        "ADDED=yes",
    } <= lines
    assert not any(line.startswith("WASMIND_TEST_PARENT=") for line in lines)


def test_env_clear_leaves_only_what_the_guest_sets(run: Run, grant: CommandGrant) -> None:
    granted = dataclasses.replace(grant, env=(("GRANTED", "g"),))
    output = run(CommandSpec("env", env=(("ONLY", "this"),), env_clear=True), granted)
    assert output.status == Exited(0)
    assert set(output.stdout.decode().splitlines()) - {"PWD=/work"} == {"ONLY=this"}


def test_missing_program_fails_to_start(run: Run) -> None:
    status = run(CommandSpec("wasmind-no-such-program")).status
    assert isinstance(status, FailedToStart)
    assert "wasmind-no-such-program" in status.reason and "No such file" in status.reason


def test_program_that_is_not_executable_fails_to_start(run: Run, work: Path) -> None:
    (work / "script.sh").write_text("echo hi\n")
    status = run(CommandSpec("/work/script.sh")).status
    assert isinstance(status, FailedToStart) and "Permission denied" in status.reason


def test_current_dir_is_a_guest_path(run: Run, work: Path) -> None:
    (work / "sub").mkdir()
    assert run(CommandSpec("pwd", cwd="/work/sub")).stdout == b"/work/sub\n"
    assert run(CommandSpec("pwd", cwd="sub")).stdout == b"/work/sub\n"
    assert run(CommandSpec("pwd")).stdout == b"/work\n"


def test_missing_current_dir_fails_to_start_and_names_it(run: Run) -> None:
    status = run(CommandSpec("true", cwd="/work/missing")).status
    assert isinstance(status, FailedToStart) and "/work/missing" in status.reason


def test_programs_not_granted_are_denied(grant: CommandGrant) -> None:
    only_sh = dataclasses.replace(grant, programs=("sh",))
    denial = run_command(CommandSpec("rm", ("-rf", "/work")), only_sh)
    assert isinstance(denial, Denial)
    assert (denial.actor, denial.capability, denial.target) == ("tester", "commands", "rm")
    assert "capabilities.commands" in denial.reason and "'rm'" in denial.reason
    assert run_command(sh("exit 0"), only_sh).status == Exited(0)  # type: ignore[union-attr]


def test_max_output_bytes_of_the_grant_clamps_the_guest(run: Run, grant: CommandGrant) -> None:
    clamped = dataclasses.replace(grant, max_output_bytes=3)
    output = run(sh("printf 0123456789", max_output_bytes=8), clamped)
    assert (output.stdout, output.stdout_truncated) == (b"012", True)
    assert run(sh("printf 0123456789", max_output_bytes=8)).stdout == b"01234567"


def unique_sleep() -> str:
    """A ``sleep`` argument no other process carries: a long duration with a unique fraction."""
    return f"1000.{next(_tokens)}{os.getpid()}"


_tokens = itertools.count(1)
