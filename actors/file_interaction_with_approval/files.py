"""The file work of ``file_interaction_with_approval``: where a path lives, reading, planning an edit, diffs.

Self-contained on purpose: an actor build bundles only its own folder (and ``wasmind_sdk``), and links to
``../file_interaction`` do not resolve inside the build sandbox. It covers the default grant only: the
host working directory, mounted at ``/work``. Every failure raises ``ToolError`` with a message for the
model.
"""

from __future__ import annotations

import difflib
import os
import posixpath
from dataclasses import dataclass
from typing import Any

from wasmind_sdk import ToolError

GUEST_ROOT = "/work"
MAX_LINES = 1000


@dataclass(frozen=True)
class Place:
    """A file: ``display`` (as the model named it, relative when inside the working directory), ``guest``."""

    display: str
    guest: str


def locate(path: Any, working_dir: str) -> Place:
    """The file ``path`` (absolute, or relative to the host ``working_dir``) names inside ``/work``."""
    if not isinstance(path, str) or not path.strip():
        raise ToolError("'path' is required and must be a non-empty string")
    root = posixpath.normpath(working_dir)
    host = posixpath.normpath(posixpath.join(root, path.strip()))
    rel = posixpath.relpath(host, root)
    if rel == "." or rel.startswith(".."):
        raise ToolError(f"{path} is outside the working directory {root}; only files inside it can be used")
    return Place(rel, posixpath.join(GUEST_ROOT, rel))


def exists(place: Place) -> bool:
    return os.path.lexists(place.guest)


def load(place: Place) -> str:
    try:
        with open(place.guest, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise ToolError(f"{place.display} does not exist") from None
    except OSError as err:
        raise ToolError(f"cannot read {place.display}: {err.strerror or type(err).__name__}") from None
    if b"\0" in data:
        raise ToolError(f"{place.display} is a binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ToolError(f"{place.display} is not UTF-8 text") from None


def save(place: Place, text: str) -> None:
    try:
        parent = posixpath.dirname(place.guest)
        if parent != GUEST_ROOT and not os.path.isdir(parent):
            os.makedirs(parent)
        with open(place.guest, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    except OSError as err:
        raise ToolError(f"cannot write {place.display}: {err.strerror or type(err).__name__}") from None


def numbered(text: str, start: int, end: int | None) -> str:
    """Lines ``start``..``end`` (1-based, inclusive; at most ``MAX_LINES``), each prefixed by its number."""
    lines = text.splitlines()
    last = len(lines) if end is None else min(end, len(lines))
    last = min(last, start + MAX_LINES - 1)
    width = len(str(max(last, 1)))
    return "\n".join(f"{n:>{width}}\t{lines[n - 1]}" for n in range(start, last + 1))


def apply_edits(name: str, text: str, edits: Any) -> str:
    """``text`` after the ``edits`` ([{old_string, new_string, replace_all?}]), all or none."""
    if not isinstance(edits, list) or not edits:
        raise ToolError("'edits' must be a non-empty array of {old_string, new_string, replace_all?}")
    for index, edit in enumerate(edits):
        old = edit.get("old_string") if isinstance(edit, dict) else None
        new = edit.get("new_string") if isinstance(edit, dict) else None
        if not isinstance(old, str) or not isinstance(new, str) or old == "":
            raise ToolError(f"edits[{index}]: old_string (non-empty) and new_string are required strings")
        found = text.count(old)
        if found == 0:
            raise ToolError(f"edits[{index}]: old_string was not found in {name}. Nothing was changed.")
        if found > 1 and edit.get("replace_all") is not True:
            raise ToolError(
                f"edits[{index}]: old_string matches {found} places in {name}; add surrounding text or set "
                "replace_all to true. Nothing was changed."
            )
        text = text.replace(old, new) if edit.get("replace_all") is True else text.replace(old, new, 1)
    return text


def unified_diff(name: str, before: str, after: str) -> str:
    rows = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{name}", f"b/{name}"
    )
    return "".join(row if row.endswith("\n") else row + "\n\\ No newline at end of file\n" for row in rows)
