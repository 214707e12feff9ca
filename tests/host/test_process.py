"""The ``command`` capability with real subprocesses."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from wasmind_nb.host.policy import CommandPolicy
from wasmind_nb.host.process import (
    CommandOutput,
    CommandSpec,
    Exited,
    FailedToStart,
    Signaled,
    TimeoutExpired,
    run_command,
)

OPEN = CommandPolicy(None, "tester")


def run(spec: CommandSpec, policy: CommandPolicy = OPEN) -> CommandOutput:
    output = run_command(spec, policy)
    assert isinstance(output, CommandOutput), output
    return output


def python(code: str, **options: object) -> CommandSpec:
    return CommandSpec(sys.executable, ("-c", code), **options)  # type: ignore[arg-type]


def sh(script: str, **options: object) -> CommandSpec:
    return CommandSpec("sh", ("-c", script), **options)  # type: ignore[arg-type]


def test_separates_streams_and_reports_exit_code() -> None:
    output = run(sh("printf out; printf err >&2; exit 3"))
    assert (output.stdout, output.stderr, output.status) == (b"out", b"err", Exited(3))
    assert not output.stdout_truncated and not output.stderr_truncated


def test_arguments_are_passed_verbatim_without_a_shell() -> None:
    output = run(CommandSpec(sys.executable, ("-c", "import sys; print(sys.argv[1:])", "a b", "$HOME", "*")))
    assert output.stdout.decode().strip() == "['a b', '$HOME', '*']"


def test_death_by_signal_is_reported() -> None:
    assert run(sh("kill -TERM $$")).status == Signaled(15)


def test_big_stderr_before_stdout_does_not_deadlock() -> None:
    code = "import sys; sys.stderr.write('e' * 2_000_000); sys.stderr.flush(); print('o' * 2_000_000, end='')"
    output = run(python(code, timeout_s=30))
    assert output.status == Exited(0)
    assert (output.stdout, output.stderr) == (b"o" * 100_000, b"e" * 100_000)
    assert output.stdout_truncated and output.stderr_truncated


def test_output_cap_keeps_the_first_bytes() -> None:
    output = run(sh("printf 0123456789; printf abcd >&2", max_output_bytes=4))
    assert (output.stdout, output.stdout_truncated) == (b"0123", True)
    assert (output.stderr, output.stderr_truncated) == (b"abcd", False)


def test_output_past_the_cap_is_drained_so_the_child_finishes() -> None:
    code = "import sys; sys.stdout.write('x' * 1_000_000); sys.stdout.flush(); sys.stderr.write('done')"
    output = run(python(code, max_output_bytes=10, timeout_s=30))
    assert output.status == Exited(0)
    assert (output.stdout, output.stderr) == (b"x" * 10, b"done")


def test_timeout_kills_the_whole_process_group() -> None:
    output = run(sh("sleep 100 & echo $!; sleep 100", timeout_s=0.5))
    assert output.status == TimeoutExpired()
    background = int(output.stdout.split()[0])
    assert _dies(background)


def test_env_pairs_are_added_to_the_parent_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASMIND_TEST_PARENT", "inherited")
    output = run(sh('printf "%s|%s" "$WASMIND_TEST_PARENT" "$ADDED"', env=(("ADDED", "yes"),)))
    assert output.stdout == b"inherited|yes"


def test_env_clear_hides_the_parent_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASMIND_TEST_PARENT", "inherited")
    output = run(CommandSpec("env", env=(("ONLY", "this"),), env_clear=True))
    assert output.status == Exited(0)
    assert output.stdout == b"ONLY=this\n"


def test_missing_program_fails_to_start() -> None:
    status = run(CommandSpec("wasmind-no-such-program")).status
    assert isinstance(status, FailedToStart)
    assert "wasmind-no-such-program" in status.reason and "No such file" in status.reason


def test_program_that_is_not_executable_fails_to_start(tmp_path: Path) -> None:
    script = tmp_path / "script.sh"
    script.write_text("echo hi\n")
    status = run(CommandSpec(str(script))).status
    assert isinstance(status, FailedToStart) and "Permission denied" in status.reason


def test_current_dir_is_used(tmp_path: Path) -> None:
    output = run(python("import os; print(os.getcwd())", cwd=str(tmp_path)))
    assert output.stdout.decode().strip() == os.path.realpath(tmp_path)


def test_missing_current_dir_fails_to_start_and_names_it(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing")
    status = run(CommandSpec("true", cwd=missing)).status
    assert isinstance(status, FailedToStart) and missing in status.reason


def test_policy_refuses_programs_not_granted() -> None:
    policy = CommandPolicy(("sh",), "coder")
    assert run_command(CommandSpec("rm", ("-rf", "/nonexistent")), policy) == (
        "command 'rm' is not allowed for actor 'coder'"
    )
    assert run(sh("exit 0"), policy).status == Exited(0)


def _dies(pid: int, within_s: float = 10.0) -> bool:
    """Whether ``pid`` is gone or a zombie (dead, not yet reaped by its new parent) before the limit."""
    limit = time.monotonic() + within_s
    while time.monotonic() < limit:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.02)
    return False
