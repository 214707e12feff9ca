"""Text helpers: line-numbered views of a file and unified diffs of an edit.

Lines are split on ``\\n`` only (as editors and ``wc -l`` count them); a ``\\r`` before it stays part of
the line, so CRLF files are written back unchanged.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

NO_NEWLINE = "\\ No newline at end of file\n"


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` without their ``\\n`` (a final newline does not start another line)."""
    if not text:
        return []
    lines = text.split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def split_keep_ends(text: str) -> list[str]:
    """The lines of ``text`` with their ``\\n``."""
    lines = text.split("\n")
    kept = [line + "\n" for line in lines[:-1]]
    return [*kept, lines[-1]] if lines[-1] else kept


@dataclass(frozen=True)
class View:
    """Lines ``start_line``..``end_line`` (1-based, inclusive) of a file, numbered, as shown to the LLM."""

    path: str
    start_line: int
    end_line: int
    total_lines: int
    content: str
    truncated: bool

    def to_data(self) -> dict[str, object]:
        return {
            "path": self.path,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "total_lines": self.total_lines,
            "content": self.content,
            "truncated": self.truncated,
        }

    @property
    def span(self) -> str:
        if self.total_lines == 0:
            return "empty file"
        return f"lines {self.start_line}-{self.end_line} of {self.total_lines}"


def numbered_view(
    path: str, text: str, start: int, end: int | None, *, max_lines: int, max_chars: int
) -> View:
    """Lines ``start``..``end`` of ``text`` with their numbers, cut at ``max_lines`` lines or ``max_chars``.

    ``start`` must be a line of the file (or 1 for an empty file); ``end`` past the end is clamped.
    """
    lines = split_lines(text)
    total = len(lines)
    if total == 0:
        return View(path, 0, 0, 0, "", False)
    last = total if end is None else min(end, total)
    width = len(str(last))
    shown: list[str] = []
    used = 0
    for number in range(start, last + 1):
        row = f"{number:>{width}}\t{lines[number - 1]}"
        if len(shown) >= max_lines or (shown and used + len(row) + 1 > max_chars):
            break
        if len(row) > max_chars:  # a single huge line: show its beginning
            row = row[:max_chars] + " [line cut]"
        shown.append(row)
        used += len(row) + 1
    shown_end = start + len(shown) - 1
    return View(path, start, shown_end, total, "\n".join(shown), shown_end < last)


@dataclass(frozen=True)
class Diff:
    """A unified diff of one file and how many lines it adds and removes."""

    text: str
    added: int
    removed: int


def unified_diff(path: str, before: str, after: str, *, max_chars: int) -> Diff:
    """A unified diff of one file (``a/path`` -> ``b/path``), cut at ``max_chars`` with a notice."""
    rows = []
    added = removed = 0
    diff_rows = difflib.unified_diff(
        split_keep_ends(before), split_keep_ends(after), f"a/{path}", f"b/{path}"
    )
    for index, row in enumerate(diff_rows):
        if index >= 2:  # after the two header lines
            added += row.startswith("+")
            removed += row.startswith("-")
        rows.append(row if row.endswith("\n") else row + "\n" + NO_NEWLINE)
    text = "".join(rows)
    if len(text) > max_chars:
        text = text[:max_chars].rstrip("\n") + f"\n[diff cut: {len(text) - max_chars} more characters]\n"
    return Diff(text, added, removed)
