"""Make blocking ``%wasmind`` magics block: the cell itself awaits them on the kernel's loop.

A magic is an ordinary function: it cannot wait for the asyncio loop it runs on, and a nested
``run_until_complete`` is what drops queued cells under ipykernel. So the magic returns an awaitable, and
an IPython *post input transformer* (:func:`await_magic_calls`) puts ``await`` in front of the call that
IPython generated for it::

    %wasmind wait        ->  get_ipython().run_line_magic('wasmind', 'wait')          (IPython)
                         ->  await get_ipython().run_line_magic('wasmind', 'wait')    (this module)

The cell then contains a top-level ``await``, which IPython runs as a coroutine on the kernel's own loop:
the cell ends when the work has ended, its output stays in that cell, and a kernel interrupt cancels it.
"""

from __future__ import annotations

import ast
from collections.abc import Awaitable, Callable, Collection, Generator
from typing import Any

_MAGIC_RUNNERS = ("run_line_magic", "run_cell_magic")
# Nodes whose bodies are not the cell's top level: an ``await`` there would be a syntax error.
_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.GeneratorExp)


class Pending:
    """The awaitable a blocking magic returns; it does nothing until awaited.

    Awaiting it runs the work. Left un-awaited (inside a ``def``, or with ``%autoawait off``), its repr
    says what to do instead of leaving a never-awaited coroutine behind.
    """

    def __init__(self, label: str, start: Callable[[], Awaitable[Any]]) -> None:
        self.label = label
        self._start = start

    def __await__(self) -> Generator[Any, None, Any]:
        return self._start().__await__()

    def __repr__(self) -> str:
        return f"<{self.label}: not run; write `await` before it (or turn %autoawait on)>"


def _magic_call(node: ast.AST, magic: str, blocking: Collection[str]) -> bool:
    """``get_ipython().run_*_magic('<magic>', '<sub> ...'[, body])`` for a blocking subcommand."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    owner = node.func.value
    if node.func.attr not in _MAGIC_RUNNERS or not (
        isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "get_ipython"
    ):
        return False
    if len(node.args) < 2 or not all(isinstance(a, ast.Constant) for a in node.args[:2]):
        return False
    name, line = (a.value for a in node.args[:2])  # type: ignore[attr-defined]
    if name != magic or not isinstance(line, str):
        return False
    words = line.split(None, 1)
    return bool(words) and words[0] in blocking


def _targets(tree: ast.AST, magic: str, blocking: Collection[str]) -> list[ast.Call]:
    """The magic calls that sit at the cell's top level and are not awaited yet."""
    found: list[ast.Call] = []

    def visit(node: ast.AST, awaited: bool) -> None:
        if isinstance(node, _NESTED_SCOPES):
            return
        if not awaited and _magic_call(node, magic, blocking):
            found.append(node)  # type: ignore[arg-type]
        for child in ast.iter_child_nodes(node):
            visit(child, isinstance(node, ast.Await))

    visit(tree, False)
    return found


def await_magic_calls(
    lines: list[str], *, magic: str = "wasmind", blocking: Collection[str] = ()
) -> list[str]:
    """Insert ``await`` before each top-level call of a blocking ``%magic`` subcommand.

    Works on IPython's transformed source (lines with their newlines). Source that does not parse is
    returned unchanged, so IPython reports its syntax error as usual.
    """
    source = "".join(lines)
    if magic not in source:
        return lines
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return lines
    calls = _targets(tree, magic, blocking)
    if not calls:
        return lines
    out = source.split("\n")  # ast counts lines by "\n" only; str.splitlines also splits at \x0c etc.
    # Right to left, bottom to top, so earlier positions stay valid. Offsets are in UTF-8 bytes.
    for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset), reverse=True):
        raw = out[call.lineno - 1].encode()
        out[call.lineno - 1] = (raw[: call.col_offset] + b"await " + raw[call.col_offset :]).decode()
    return [line + "\n" for line in out[:-1]] + ([out[-1]] if out[-1] else [])
