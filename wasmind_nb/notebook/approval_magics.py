"""``%wasmind approvals``, ``approve ID`` and ``reject ID REASON``: the held tool calls in a cell.

Parsers and handlers for :mod:`wasmind_nb.notebook.magics`; the work is :class:`wasmind_nb.Wasmind`'s
(``pending_approvals``, ``approve``, ``reject``). The reason of ``reject`` is the rest of the line,
verbatim (a ``?`` at its end included), or the cell body of ``%%wasmind reject ID``.
"""

from __future__ import annotations

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument, magic_arguments

from wasmind_nb.errors import WasmindError
from wasmind_nb.mind import Wasmind
from wasmind_nb.notebook.session import short
from wasmind_nb.runtime.approvals import PendingApproval


@magic_arguments(name="wasmind approvals")
def approvals_args() -> None:
    """List the tool calls waiting for approval: id, tool, arguments, agent."""


@magic_arguments(name="wasmind approve")
@argument("id", metavar="ID", help="the approval's id, as `%%wasmind approvals` shows it (a1, a2, ...)")
def approve_args() -> None:
    """Approve a held tool call: it is delivered, unchanged, to its tool actor, which runs it."""


@magic_arguments(name="wasmind reject")
@argument("id", metavar="ID", help="the approval's id (a1, a2, ...)")
@argument("reason", nargs="*", metavar="REASON", help="why (the rest of the line, or the cell body)")
def reject_args() -> None:
    """Reject a held tool call: the tool never runs, and the assistant gets the tool's error result with
    the reason, which is the rest of the line verbatim or, as `%%wasmind reject ID`, the cell body."""


def approval_lines(pending: list[PendingApproval]) -> str:
    """One line per waiting call, or ``no tool call waits for approval``."""
    if not pending:
        return "no tool call waits for approval"
    return "\n".join(approval.describe() for approval in pending)


def reject_text(rest: str, cell: str | None) -> tuple[str, str]:
    """The id and the reason of ``reject``: the rest of the line after the id, or the cell."""
    stripped = rest.strip()
    if not stripped:
        raise UsageError("%wasmind reject: give the approval's id and the reason")
    approval_id, _, line_text = stripped.partition(" ")
    line_text = line_text.strip()
    if cell is not None:
        if line_text:
            raise UsageError("%%wasmind reject: give the reason either on the line or in the cell, not both")
        line_text = cell.strip()
    if not line_text:
        raise UsageError(f"%wasmind reject {approval_id}: say why (the assistant reads the reason)")
    return approval_id, line_text


def show(mind: Wasmind) -> None:
    print(approval_lines(mind.pending_approvals))


def approve(mind: Wasmind, approval_id: str) -> None:
    try:
        approval = mind.decide(approval_id, True)
    except WasmindError as err:
        raise short(err) from None
    print(f"approved {approval.describe()}")


def reject(mind: Wasmind, approval_id: str, reason: str) -> None:
    try:
        approval = mind.decide(approval_id, False, reason)
    except WasmindError as err:
        raise short(err) from None
    print(f"rejected {approval.describe()}: {approval.reason}")


__all__ = ["approval_lines", "approvals_args", "approve_args", "reject_args", "reject_text"]
