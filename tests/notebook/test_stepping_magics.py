"""``%wasmind pause``, ``resume``, ``step [N]`` and ``break`` in an in-process IPython shell."""
# ruff: noqa: F811 (the shell and project fixtures come from test_magics)

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from tests.notebook.test_magics import error_of, ok, project, run, shell  # noqa: F401 (fixtures)
from wasmind_nb.errors import BusPaused, WasmindError


def test_pause_step_resume(
    shell: InteractiveShell, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok(shell, "%wasmind start wasmind.toml", capsys)
    ok(shell, "%wasmind wait", capsys)
    assert ok(shell, "%wasmind pause", capsys) == "paused (paused); nothing held yet\n"
    ok(shell, "await mind.broadcast('demo.Ping', {})", capsys)
    error = error_of(run(shell, "%wasmind wait"))
    assert isinstance(error, BusPaused) and "1 message(s) held" in str(error)
    out = ok(shell, "%wasmind step", capsys).splitlines()
    assert out[0].startswith("delivered #") and out[0].endswith(" demo.Ping from wasmind__context in 000000")
    assert out[1].startswith("paused at #") and " demo.Pong from echo in 000000 (1 held; paused)" in out[1]
    out = ok(shell, "%wasmind step 3", capsys).splitlines()
    assert out[0].endswith("demo.Pong from echo in 000000")
    assert out[1:] == ["nothing more is held (1 of 3 delivered)", "paused (paused); nothing held yet"]
    assert ok(shell, "%wasmind resume", capsys) == "running\n"
    assert "step() needs a paused bus" in str(error_of(run(shell, "%wasmind step")))
    assert "N must be 1 or more" in str(error_of(run(shell, "%wasmind step 0")))


def test_breakpoints(shell: InteractiveShell, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok(shell, "%wasmind start wasmind.toml", capsys)
    ok(shell, "%wasmind wait", capsys)
    assert ok(shell, "%wasmind break", capsys) == "no breakpoints\n"
    assert ok(shell, "%wasmind break --type Pong", capsys) == "breakpoint 1: type=Pong\n"
    assert ok(shell, "%wasmind break --scope root --actor echo", capsys) == (
        "breakpoint 2: scope=000000 actor=echo\n"
    )
    assert ok(shell, "%wasmind break list", capsys) == (
        "breakpoint 1: type=Pong\nbreakpoint 2: scope=000000 actor=echo\n"
    )
    assert ok(shell, "%wasmind break clear 2", capsys) == "breakpoint 2 cleared\n"
    error = error_of(run(shell, "%wasmind break clear 9"))
    assert isinstance(error, WasmindError) and "no breakpoint 9 (breakpoints: 1)" in str(error)
    assert isinstance(error_of(run(shell, "%wasmind break 3")), UsageError)
    assert "no agent named or scoped 'nobody'" in str(error_of(run(shell, "%wasmind break --scope nobody")))

    ok(shell, "await mind.broadcast('demo.Ping', {})", capsys)
    error = error_of(run(shell, "%wasmind wait"))
    assert isinstance(error, BusPaused) and "breakpoint 1 (type=Pong)" in str(error)
    assert ok(shell, "%wasmind break clear", capsys) == "every breakpoint cleared\n"
    assert ok(shell, "%wasmind resume", capsys) == "running\n"
    assert "idle" in ok(shell, "%wasmind wait", capsys)
