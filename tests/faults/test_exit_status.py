"""A process in which actors trapped exits with status 0: no abort while the interpreter finalizes.

The abort came from wasmtime writing a guest's stderr on its tokio worker threads through a Python
callback: a thread that takes the GIL while the interpreter finalizes is ended with ``pthread_exit``,
which unwinds through Rust frames that cannot unwind. Guest stderr now goes to a file (no callback).
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from wasmind_nb import Wasmind

SCRIPT = Path(__file__).with_name("trap_then_exit.py")
RUNS_PER_MODE = 12
pytestmark = pytest.mark.anyio


def _run(instances: str, actors: Path) -> tuple[int, str]:
    env = {**os.environ, "RUST_BACKTRACE": "0"}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), instances, str(actors)], capture_output=True, text=True, env=env
    )
    return done.returncode, done.stderr[-2000:]


async def test_processes_with_trapped_actors_all_exit_zero(make_config, actors_dir: Path) -> None:
    # build and compile the echo actor once, here, so every child process finds it cached
    async with Wasmind(make_config('[actors.echo]\nsource = { path = "echo" }\n'), progress=False):
        pass
    modes = ["isolated", "pooled"] * RUNS_PER_MODE
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda mode: (mode, *_run(mode, actors_dir)), modes))
    failed = [(mode, status, err) for mode, status, err in results if status != 0]
    assert not failed, f"{len(failed)} of {len(results)} runs failed; first: {failed[0]}"
