"""Map host paths (what the LLM writes) to guest paths (what the actor can open through WASI preopens).

The host shows a folder to the actor only if the config grants it (``capabilities.fs``: host folder ->
guest path). The actor's ``roots`` config tells it the same mapping, so that a host path such as
``src/app.py`` (relative to the host working directory) or ``/home/me/project/src/app.py`` becomes
``/work/src/app.py`` inside the sandbox. Paths are normalised lexically (``..`` cannot climb out of a
root); the preopen itself stops symlinks that lead outside it.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

DEFAULT_ROOTS: list[dict[str, str]] = [{"host": ".", "guest": "/work"}]


class PathDenied(Exception):
    """A path is outside every root, or the root it is in was not granted to the actor."""


@dataclass(frozen=True)
class Root:
    """A host folder (absolute) and where the actor sees it."""

    host: str
    guest: str

    def contains(self, host_path: str) -> bool:
        return host_path == self.host or host_path.startswith(self.host.rstrip("/") + "/")


@dataclass(frozen=True)
class Location:
    """One file: its absolute host path, its guest path, and the path to show (relative when possible)."""

    host: str
    guest: str
    display: str
    root: Root


def parse_roots(value: Any, working_dir: str) -> list[Root]:
    """Read the ``roots`` config (``[{host, guest}]``); relative hosts resolve from ``working_dir``."""
    if value is None:
        value = DEFAULT_ROOTS
    if not isinstance(value, list) or not value:
        raise ValueError("file_interaction config 'roots' must be a non-empty array of {host, guest} tables")
    roots = []
    for index, entry in enumerate(value):
        where = f"file_interaction config 'roots[{index}]'"
        if not isinstance(entry, dict) or set(entry) - {"host", "guest"}:
            raise ValueError(f"{where} must be a table with the keys 'host' and 'guest'")
        host, guest = entry.get("host"), entry.get("guest")
        if not isinstance(host, str) or not host:
            raise ValueError(f"{where}.host must be a non-empty string")
        if not isinstance(guest, str) or not guest.startswith("/"):
            raise ValueError(f"{where}.guest must be an absolute path such as '/work'")
        roots.append(Root(_absolute(host, working_dir), posixpath.normpath(guest)))
    return roots


def _absolute(path: str, base: str) -> str:
    return posixpath.normpath(posixpath.join(base, path))


class Roots:
    """The roots of one actor, and the host working directory relative paths start from."""

    def __init__(self, roots: list[Root], working_dir: str) -> None:
        self.roots = sorted(roots, key=lambda root: len(root.host), reverse=True)  # innermost first
        self.working_dir = posixpath.normpath(working_dir)

    def locate(self, path: str) -> Location:
        """Where ``path`` is, in host and guest terms. Raises ``PathDenied`` outside every root."""
        host = _absolute(path, self.working_dir)
        for root in self.roots:
            if root.contains(host):
                rel = posixpath.relpath(host, root.host)
                guest = root.guest if rel == "." else posixpath.join(root.guest, rel)
                return Location(host, guest, self.display(host), root)
        allowed = ", ".join(sorted(root.host for root in self.roots))
        raise PathDenied(f"'{path}' ({host}) is outside what this actor may touch (allowed: {allowed})")

    def display(self, host: str) -> str:
        """``host`` relative to the working directory if it is inside it, else absolute."""
        if host == self.working_dir:
            return "."
        if host.startswith(self.working_dir.rstrip("/") + "/"):
            return posixpath.relpath(host, self.working_dir)
        return host

    @staticmethod
    def grant_hint(root: Root) -> str:
        """How to give the actor the folder of ``root``."""
        return (
            f"this actor has no access to {root.host}: grant it in the config with "
            f'capabilities.fs = [{{ host = "{root.host}", guest = "{root.guest}", read_only = false }}]'
        )
