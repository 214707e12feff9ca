"""Human in the loop from Python: the held tool calls of a running Wasmind and their decisions.

The runtime holds the calls (``wasmind_nb/runtime/approvals.py``); this mixin lists them, decides them,
runs a script's callback for each new one, records each decision beside a recorded trace and applies the
recorded decisions when that trace is replayed. See docs/config.md, "Approvals".
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wasmind_nb.errors import ApprovalError, ApprovalPending, ConfigError, WasmindError
from wasmind_nb.runtime.approvals import PendingApproval

if TYPE_CHECKING:
    from wasmind_nb.llm.connection import LLMConnection
    from wasmind_nb.runtime.core import Runtime

log = logging.getLogger("wasmind_nb.approvals")

ApprovalAnswer = bool | str | None
"""What an approval callback returns (or its awaitable resolves to): ``True`` approves, ``False`` or a
string (the reason) rejects, ``None`` leaves the call waiting for a person."""
ApprovalCallback = Callable[[PendingApproval], ApprovalAnswer | Awaitable[ApprovalAnswer]]


def decisions_path(trace: Path) -> Path:
    """Where the decisions of a recorded run are kept: ``run.jsonl`` -> ``run.approvals.jsonl``."""
    return trace.with_name(trace.stem + ".approvals.jsonl")


def read_decisions(path: Path) -> dict[tuple[str, str], tuple[bool, str]]:
    """The recorded decisions, by (tool-call id, tool); none when the file does not exist."""
    if not path.exists():
        return {}
    found: dict[tuple[str, str], tuple[bool, str]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            key = (str(entry["tool_call_id"]), str(entry["tool"]))
            found[key] = (entry["decision"] == "approved", str(entry.get("reason", "")))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"line {number} is not an approval decision ({exc})", file=str(path)) from None
    return found


class ApprovingMixin:
    """``pending_approvals``, ``approve``, ``reject`` and ``on_approval``; mixed into ``Wasmind``."""

    llm: LLMConnection | None
    _approval_callback: ApprovalCallback | None
    _approval_tasks: set[asyncio.Task[None]]
    _recorded_decisions: dict[tuple[str, str], tuple[bool, str]]

    runtime: Runtime  # provided by Wasmind (a property)

    # ------------------------------------------------------------------ public API
    @property
    def pending_approvals(self) -> list[PendingApproval]:
        """The tool calls waiting for a decision, oldest first (each with ``id``, ``agent``, ``tool``,
        ``arguments``; see :class:`~wasmind_nb.runtime.approvals.PendingApproval`)."""
        with self.runtime.control():
            return self.runtime.approvals.pending

    async def approve(self, approval_id: str) -> PendingApproval:
        """Deliver the held call, unchanged, to its tool actor. :class:`ApprovalError` for an unknown or
        already decided id."""
        return self.decide(approval_id, True)

    async def reject(self, approval_id: str, reason: str = "") -> PendingApproval:
        """Answer the call in the tool's stead with an error result carrying ``reason``: the tool never
        runs and the assistant reads the reason. :class:`ApprovalError` for an unknown or decided id."""
        return self.decide(approval_id, False, reason)

    def decide(self, approval_id: str, approved: bool, reason: str = "") -> PendingApproval:
        """:meth:`approve` or :meth:`reject` without ``await`` (from a widget's or a magic's handler);
        returns the decided call."""
        if not isinstance(reason, str):
            raise ApprovalError(f"the reason must be text, got {type(reason).__name__}")
        reason = "" if approved else reason.strip() or "no reason given"
        return self.runtime.decide(_check_id(approval_id), approved, reason)

    def on_approval(self, callback: ApprovalCallback | None) -> None:
        """Decide each new held call with ``callback(approval)`` (on the event loop), for scripts.

        It returns, or awaits to, ``True`` (approve), ``False`` or a reason string (reject), or ``None``
        (leave it to a person). A callback that raises rejects the call, naming the error. Calls already
        waiting are offered to it at once. ``None`` removes the callback.
        """
        self._approval_callback = callback
        if callback is not None and self._runtime_started():
            for approval in self.pending_approvals:
                self._offer(approval)

    # ------------------------------------------------------------------ wiring (called by Wasmind)
    def _init_approvals(self, callback: ApprovalCallback | None) -> None:
        self._approval_callback = callback
        self._approval_tasks = set()
        self._recorded_decisions = {}

    def _connect_approvals(self, runtime: Runtime, loop: asyncio.AbstractEventLoop) -> None:
        """Listen to the runtime's approvals; load the decisions of a replayed trace."""
        if self.llm is not None and self.llm.replay is not None:
            self._recorded_decisions = read_decisions(decisions_path(self.llm.replay.path))

        def listener(approval: PendingApproval) -> None:  # runtime lock held, any thread
            loop.call_soon_threadsafe(self._approval_arrived, approval)

        runtime.approval_listener = listener

    def _approval_arrived(self, approval: PendingApproval) -> None:
        if approval.state == "pending":
            self._offer(approval)
        elif approval.state in ("approved", "rejected"):
            self._record(approval)

    def _offer(self, approval: PendingApproval) -> None:
        recorded = self._recorded_decisions.get((approval.tool_call_id, approval.tool))
        if recorded is not None:
            self._spawn_decision(approval, _answer(recorded))
        elif self._approval_callback is not None:
            self._spawn_decision(approval, self._approval_callback)

    def _spawn_decision(self, approval: PendingApproval, callback: ApprovalCallback) -> None:
        task = asyncio.get_running_loop().create_task(self._decide_with(approval, callback))
        self._approval_tasks.add(task)
        task.add_done_callback(self._approval_tasks.discard)

    async def _decide_with(self, approval: PendingApproval, callback: ApprovalCallback) -> None:
        try:
            answer = callback(approval)
            if inspect.isawaitable(answer):
                answer = await answer
        except Exception as exc:  # a broken callback must not approve anything
            log.warning("approval callback failed for %s: %s", approval.id, exc)
            answer = f"the approval callback failed: {type(exc).__name__}: {exc}"
        if answer is None:
            return
        try:
            if answer is True:
                await self.approve(approval.id)
            else:
                await self.reject(approval.id, answer if isinstance(answer, str) else "rejected")
        except ApprovalError:
            pass  # decided meanwhile (by a person, an exit): the first decision stands

    def _record(self, approval: PendingApproval) -> None:
        recorder = self.llm.recorder if self.llm is not None else None
        if recorder is None:
            return
        entry = {
            "tool_call_id": approval.tool_call_id,
            "tool": approval.tool,
            "agent": approval.agent,
            "decision": approval.state,
            "reason": approval.reason,
        }
        with decisions_path(recorder.path).open("a", encoding="utf-8") as file:
            file.write(json.dumps(entry, sort_keys=True) + "\n")

    def _start_recording_decisions(self) -> None:
        """A recorded run starts a new decisions file, as its trace is started anew."""
        recorder = self.llm.recorder if self.llm is not None else None
        if recorder is not None:
            decisions_path(recorder.path).write_text("", encoding="utf-8")

    async def _settle_approvals(self) -> bool:
        """Wait for the callbacks deciding calls; ``True`` if there were any (work may follow)."""
        if not self._approval_tasks:
            return False
        await asyncio.gather(*list(self._approval_tasks), return_exceptions=True)
        return True

    def _check_no_pending_approvals(self) -> None:
        """For ``wait_idle``: idle with calls waiting for a person is not the end of the work."""
        pending = self.pending_approvals
        if not pending:
            return
        lines = "\n  ".join(approval.describe() for approval in pending)
        first = pending[0].id
        raise ApprovalPending(
            f"nothing runs: {len(pending)} tool call(s) wait for approval:\n  {lines}\n"
            f"decide with `await mind.approve('{first}')` or `await mind.reject('{first}', 'why')` "
            f"(`%wasmind approve {first}`, `%wasmind reject {first} why`)"
        )

    def _runtime_started(self) -> bool:
        try:
            self.runtime  # noqa: B018
        except WasmindError:
            return False
        return True


def _check_id(approval_id: Any) -> str:
    if not isinstance(approval_id, str) or not approval_id.strip():
        raise ApprovalError(f"an approval id is text such as 'a1', got {approval_id!r}")
    return approval_id.strip()


def _answer(recorded: tuple[bool, str]) -> ApprovalCallback:
    approved, reason = recorded
    return lambda _approval: True if approved else reason


__all__ = ["ApprovalAnswer", "ApprovalCallback", "ApprovingMixin", "decisions_path", "read_decisions"]
