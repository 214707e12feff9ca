"""docs/llm.md runs as written: its Python blocks, in order, print the text blocks that follow them."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "llm.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def _examples() -> list[tuple[str, str | None]]:
    """``(code, expected output or None)`` for every Python block; output is a ``text`` block right after."""
    text = DOC.read_text(encoding="utf-8")
    blocks = list(BLOCK.finditer(text))
    examples = []
    for index, block in enumerate(blocks):
        if block.group(1) != "python":
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        adjacent = following is not None and not text[block.end() : following.start()].strip()
        expected = following.group(2) if adjacent and following.group(1) == "text" else None
        examples.append((block.group(2), expected))
    return examples


def test_every_python_example_in_the_llm_docs_runs_and_prints_what_it_shows() -> None:
    examples = _examples()
    assert len(examples) >= 6
    namespace: dict[str, object] = {"__name__": "llm_docs"}
    for code, expected in examples:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, str(DOC), "exec"), namespace)
        if expected is not None:
            assert out.getvalue() == expected, code
