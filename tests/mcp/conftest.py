"""Configs for the MCP tests: the real filesystem server from npm, and the test servers in ``servers/``.

A Python test server runs inside the command sandbox on this test run's own interpreter: its virtual
environment and base installation are granted read-only at ``/venv`` and at their own path, and
``PYTHONPATH`` names the environment's packages (the sandbox runs a program by its real path, so the
environment's ``python`` symlink starts the base interpreter).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from wasmind_nb import Wasmind
from wasmind_nb.config import Config
from wasmind_nb.host.sandbox import sandbox_status

SERVERS = Path(__file__).parent / "servers"
FILESYSTEM_PACKAGE = Path("node_modules") / "@modelcontextprotocol" / "server-filesystem"
FILESYSTEM_SERVER = SERVERS / FILESYSTEM_PACKAGE / "dist" / "index.js"
ROOT_SCOPE = "000000"


def needs_sandbox() -> None:
    problem = sandbox_status()
    if problem is not None:
        pytest.skip(problem)


def needs_filesystem_server() -> str:
    """The node binary; skips when node or the npm package (``npm ci`` in tests/mcp/servers) is missing."""
    needs_sandbox()
    node = shutil.which("node", path="/usr/local/bin:/usr/bin:/bin")
    if node is None:
        pytest.skip("node is not installed in /usr/local/bin, /usr/bin or /bin (the sandbox's PATH)")
    if not FILESYSTEM_SERVER.is_file():
        pytest.skip(
            "@modelcontextprotocol/server-filesystem is not installed: run `npm ci` in tests/mcp/servers"
        )
    return node


def python_grants() -> list[dict[str, Any]]:
    """fs grants that let the sandbox run this interpreter with its packages (read-only)."""
    grants = [{"host": sys.prefix, "guest": "/venv"}, {"host": str(SERVERS), "guest": "/servers"}]
    if not Path(sys.prefix).is_relative_to(sys.base_prefix):
        grants.append({"host": sys.base_prefix, "guest": sys.base_prefix})
    return grants


def python_server(script: str = "py_server.py", *args: str, **extra: Any) -> dict[str, Any]:
    """A ``source.mcp`` table running ``servers/<script>`` with ``args`` in the sandbox."""
    packages = Path(sysconfig.get_paths()["purelib"]).relative_to(sys.prefix)
    env = {"PYTHONPATH": f"/venv/{packages.as_posix()}", **extra.pop("env", {})}
    return {"command": "/venv/bin/python", "args": [f"/servers/{script}", *args], "env": env, **extra}


def mcp_config(actors: dict[str, dict[str, Any]], starting: list[str] | None = None, **top: Any) -> Config:
    """A config of ``{name: actor table}``; a table with ``mcp`` is an MCP source, others go in as given."""
    entries = {}
    for name, table in actors.items():
        table = dict(table)
        if "mcp" in table:
            table["source"] = {"mcp": table.pop("mcp")}
        entries[name] = table
    data = {"starting_actors": starting if starting is not None else list(actors), "actors": entries, **top}
    return Config.from_toml(tomli_w.dumps(data), base_dir=Path(__file__).parent)


def mind(config: Config, tmp_path: Path, **kwargs: Any) -> Wasmind:
    return Wasmind(config, working_dir=tmp_path, progress=False, **kwargs)


def processes_with(token: str) -> list[int]:
    """Host pids whose command line contains ``token``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if token.encode() in cmdline:
            found.append(int(entry))
    return found


def wait_until_gone(token: str, timeout: float = 15.0) -> list[int]:
    """Wait for every process with ``token`` in its command line to end; those still running."""
    deadline = time.monotonic() + timeout
    while (left := processes_with(token)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text)
