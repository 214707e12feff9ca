"""Finding a command's processes from the host, where pids inside a sandbox mean nothing."""

from __future__ import annotations

import time
from pathlib import Path


def live_with(token: str) -> list[int]:
    """Host pids of live (not zombie) processes whose command line contains ``token``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if token in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def all_gone(token: str, within_s: float = 5.0) -> bool:
    """Whether every process carrying ``token`` is dead before the limit (they die in milliseconds)."""
    limit = time.monotonic() + within_s
    while time.monotonic() < limit:
        if not live_with(token):
            return True
        time.sleep(0.02)
    return False
