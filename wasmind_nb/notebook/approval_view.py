"""The view's held tool calls and their Approve / Reject buttons, on the Python side.

:class:`ApprovalPanel` keeps the ``approvals`` dict the front end shows (``js/src/approvals.js``): every
call waiting for a decision with its arguments, and an edit (``edit_file``'s ``edits``) as a unified
diff. It runs the buttons' requests against the source (a :class:`wasmind_nb.Wasmind`); a source
without approvals (a recording, a test double) shows no panel. Errors are shown, never raised into the
kernel's comm handler.
"""

from __future__ import annotations

import difflib
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from wasmind_nb.runtime.approvals import PendingApproval

log = logging.getLogger("wasmind_nb.notebook")

MAX_SHOWN = 50  # calls listed at most (the oldest first); the count says how many wait
MAX_ARGUMENTS = 20_000  # characters of arguments or diff shown per call
MAX_REASON = 2_000  # characters of a reason typed in the view


def edit_diff(arguments: Any) -> str:
    """A unified diff of an ``edit_file`` call's edits (``--- a/path`` / ``+++ b/path``), or ``""``."""
    if not isinstance(arguments, dict) or not isinstance(arguments.get("edits"), list):
        return ""
    path = str(arguments.get("path", "file"))
    parts = []
    for edit in arguments["edits"]:
        if not isinstance(edit, dict):
            return ""
        old = str(edit.get("old_string", "")).splitlines(keepends=True)
        new = str(edit.get("new_string", "")).splitlines(keepends=True)
        lines = difflib.unified_diff(old, new, f"a/{path}", f"b/{path}", n=2)
        parts.append("".join(line if line.endswith("\n") else line + "\n" for line in lines))
    return "".join(parts)


def approval_row(approval: PendingApproval) -> dict[str, Any]:
    """What the front end shows of one waiting call."""
    shown = json.dumps(approval.arguments, indent=2, ensure_ascii=False, default=str)
    return {
        "id": approval.id,
        "agent": approval.agent,
        "agent_name": approval.agent_name,
        "actor": approval.actor,
        "tool": approval.tool,
        "arguments": shown[:MAX_ARGUMENTS],
        "diff": edit_diff(approval.arguments)[:MAX_ARGUMENTS],
        "seq": approval.seq,
    }


def approvals_dict(pending: list[PendingApproval], *, available: bool, error: str = "") -> dict[str, Any]:
    return {
        "available": available,
        "count": len(pending),
        "pending": [approval_row(a) for a in pending[:MAX_SHOWN]],
        "error": error,
    }


class ApprovalPanel:
    """Follows the held calls of one source and carries out the view's Approve and Reject."""

    def __init__(self, source: object | None, publish: Callable[[dict], None]) -> None:
        self._source = source
        self._publish = publish
        self._available = source is not None and callable(getattr(source, "decide", None))
        self._error = ""
        self._pending: list[PendingApproval] = self._read()

    def current(self) -> dict[str, Any]:
        return approvals_dict(self._pending, available=self._available, error=self._error)

    def apply(self, events: Iterable[object]) -> bool:
        """Re-read the held calls when a batch says one changed; whether the panel changed."""
        if not any(isinstance(event, PendingApproval) for event in events):
            return False
        before = [a.id for a in self._pending]
        self._pending = self._read()
        return before != [a.id for a in self._pending]

    def command(self, content: dict[str, Any]) -> None:
        """Run a button's request: ``{"kind": "approval", "id": "a1", "action": "approve" | "reject",
        "reason": "..."}``."""
        if not self._available:
            return
        self._error = ""
        action, approval_id = content.get("action"), str(content.get("id", ""))
        reason = str(content.get("reason") or "")[:MAX_REASON]
        try:
            if action not in ("approve", "reject"):
                raise ValueError(f"unknown approval action {action!r}")
            self._source.decide(approval_id, action == "approve", reason)  # type: ignore[union-attr]
        except Exception as err:  # shown in the panel, never raised into the comm handler
            self._error = str(err)
        self._pending = self._read()
        self._publish(self.current())

    def _read(self) -> list[PendingApproval]:
        if not self._available:
            return []
        try:
            return list(self._source.pending_approvals)  # type: ignore[union-attr]
        except Exception:  # a stopped Wasmind: nothing waits any more
            log.debug("no approvals to show", exc_info=True)
            return []


__all__ = ["ApprovalPanel", "approval_row", "approvals_dict", "edit_diff"]
