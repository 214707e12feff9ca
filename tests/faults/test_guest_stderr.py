"""Guest stderr is a file the engine writes (no Python callback on its threads), read back in tails."""

from __future__ import annotations

import resource
from pathlib import Path

from wasmind_nb.host import instance
from wasmind_nb.host.instance import _STDERR_KEEP, _StderrTail


def test_take_returns_what_was_written_since_the_last_take(tmp_path: Path) -> None:
    tail = _StderrTail(str(tmp_path))
    with open(tail.path, "r+b") as engine:  # writes at its own offset, as wasmtime's handle does
        engine.write(b"first\n")
        engine.flush()
        assert tail.take() == "first\n"
        assert tail.take() == ""
        engine.write(b"x" * (_STDERR_KEEP * 2) + b"Traceback: the end\n")
        engine.flush()
        text = tail.take()
        assert len(text) == _STDERR_KEEP and text.endswith("Traceback: the end\n")
        engine.write(b"after the hole\n")  # the file was emptied: this lands past a hole
        engine.flush()
        assert tail.take() == "after the hole\n"
    assert Path(tail.path).stat().st_blocks * 512 < _STDERR_KEEP * 2  # the hole takes no disk
    path = tail.path
    del tail
    assert not Path(path).exists()


def test_the_open_file_limit_is_raised_to_the_hard_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lowered = min(soft, 256)
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowered, hard))
    try:
        instance._raise_open_file_limit()
        raised, kept = resource.getrlimit(resource.RLIMIT_NOFILE)
        assert kept == hard and raised > lowered
    finally:
        resource.setrlimit(
            resource.RLIMIT_NOFILE, (max(soft, resource.getrlimit(resource.RLIMIT_NOFILE)[0]), hard)
        )
