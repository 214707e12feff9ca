"""Keep a ``?`` at the end of a ``%wasmind`` line for the magic (``%wasmind send w What now?``).

IPython reads a line ending in ``?`` as a help request before it sees any magic: its token transformer
``HelpEnd`` turns ``%wasmind send w What now?`` into ``%pinfo now`` ("Object `now` not found"). The
extension swaps in :class:`MagicAwareHelpEnd`, which leaves such lines to the magic and still turns
``%wasmind?`` and ``%wasmind??`` (nothing after the magic's name) into its help.
"""

from __future__ import annotations

import re
import tokenize
from collections.abc import Sequence

from IPython.core.inputtransformer2 import HelpEnd, TransformerManager

_MAGIC_LINE = re.compile(r"\s*%wasmind\s+\S")


class MagicAwareHelpEnd(HelpEnd):
    """``HelpEnd``, except on a ``%wasmind`` line with arguments: there ``?`` is the magic's text."""

    @classmethod
    def find(cls, tokens_by_line: Sequence[Sequence[tokenize.TokenInfo]]) -> HelpEnd | None:
        for line in tokens_by_line:
            if len(line) > 2 and line[-2].string == "?":
                ix = 0
                while line[ix].type in {tokenize.INDENT, tokenize.DEDENT}:
                    ix += 1
                if _MAGIC_LINE.match(line[ix].line):
                    continue
                return cls(line[ix].start, line[-2].start)
        return None


def install(manager: TransformerManager) -> None:
    """Use :class:`MagicAwareHelpEnd` in place of IPython's ``HelpEnd`` (idempotent)."""
    manager.token_transformers = [
        MagicAwareHelpEnd if t is HelpEnd else t for t in manager.token_transformers
    ]


def uninstall(manager: TransformerManager) -> None:
    """Put IPython's ``HelpEnd`` back."""
    manager.token_transformers = [
        HelpEnd if t is MagicAwareHelpEnd else t for t in manager.token_transformers
    ]
