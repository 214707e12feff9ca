"""``read_file`` / ``edit_file`` whose large edits wait for approver agents (``code_with_experts``).

The tools are file_interaction's own (``file_tools.FileTools``, built in through the manifest's
``python_path``), with every setting: ``roots``, ``allow_edits``, the limits and the open files in the
system prompt. Only the moment an edit reaches the disk differs (``_apply``):

- the edit's unified diff has at most ``min_diff_size`` characters (default 200), or ``approvers`` is
  empty: the edit is written at once;
- otherwise nothing is written yet: each approver of ``approvers = {name = [logical actor names]}`` is
  spawned as a child agent with ``[actors..., approve, request_changes]`` (``tool_actors`` names those
  two logical actors) and the diff as its task, and
  the call is answered ``AwaitingSystem``. Once every approver has sent
  ``code_with_experts.common.ApprovalResponse`` (``"Approved"`` or ``{"RequestChanges": {"changes"}}``)
  or exited, the edit is written if all approved and the file has not changed meanwhile; otherwise the
  call ends with an ``Err`` listing what each approver asked for. Each pending edit is a round of its own
  (keyed by its tool call), so several can wait at the same time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from file_tools import Change, FileTools

from wasmind_sdk import EnvelopeLike, HostError, Panel, Round, ToolError, broadcast, on
from wasmind_sdk.messages import (
    AddMessage,
    AwaitingSystemDetails,
    ExecuteToolCall,
    SystemPromptContribution,
    SystemPromptText,
    ToolCallAwaitingSystem,
    ToolCallResult,
    ToolCallStatus,
    UIDisplayInfo,
    UserMessage,
    UserNotification,
)

APPROVAL_RESPONSE = "code_with_experts.common.ApprovalResponse"
DEFAULT_MIN_DIFF_SIZE = 200
TOOL_ACTORS = ["approve", "request_changes"]
TASK_KEY = "file_interaction_with_approval:task"
TASK = """\
You are the approver '{name}'. Agent {requester} wants to make this edit to {path}:

{diff}

Review it. If it is right, call `approve`. Otherwise call `request_changes` with what must change and why. \
Call exactly one of them, once; your agent ends after it."""
APPROVED = "Approved"


@dataclass
class Pending:
    """An edit waiting for its approvers."""

    request: ExecuteToolCall
    change: Change


def _approval(payload: Any) -> str:
    """``"Approved"``, or the changes an ``ApprovalResponse`` asks for (or why it cannot be read)."""
    if payload == APPROVED:
        return APPROVED
    body = payload.get("RequestChanges") if isinstance(payload, dict) else None
    changes = body.get("changes") if isinstance(body, dict) else None
    return changes if isinstance(changes, str) else f"unreadable answer {payload!r}"


class Actor(FileTools):
    """file_interaction plus ``approvers`` and ``min_diff_size``."""

    def setup(self) -> None:
        super().setup()
        size = self.config.get("min_diff_size", DEFAULT_MIN_DIFF_SIZE)
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"'min_diff_size' must be a non-negative integer, got {size!r}")
        approvers = self.config.get("approvers", {})
        if not isinstance(approvers, dict) or not all(
            isinstance(names, list) and names and all(isinstance(n, str) for n in names)
            for names in approvers.values()
        ):
            raise ValueError("'approvers' must be a table of approver name -> non-empty list of actor names")
        tools = self.config.get("tool_actors", TOOL_ACTORS)
        if not isinstance(tools, list) or not tools or not all(isinstance(n, str) and n for n in tools):
            raise ValueError("'tool_actors' must be a non-empty list of actor names")
        self.tool_actors: list[str] = tools
        self.min_diff_size: int = size
        self.approvers: dict[str, list[str]] = approvers
        self.panel = Panel()
        self.pending: dict[str, Pending] = {}  # tool call id -> the edit its approvers review

    def _apply(self, change: Change, request: ExecuteToolCall) -> ToolCallResult | ToolCallStatus:
        if not self.approvers or len(change.diff) <= self.min_diff_size:
            return super()._apply(change, request)
        key = request.tool_call.id
        try:
            self.panel.convene(
                key, self.approvers, self.tool_actors, lambda name, scope: self._brief(name, scope, change)
            )
        except HostError as err:
            raise ToolError(f"the edit to {change.location.display} was NOT applied: {err}") from None
        self.pending[key] = Pending(request, change)
        note = UIDisplayInfo(f"edit_file waits for approval ({', '.join(self.approvers)})")
        return ToolCallAwaitingSystem(AwaitingSystemDetails(note))

    def _brief(self, name: str, scope: str, change: Change) -> None:
        path = change.location.display
        task = TASK.format(name=name, requester=self.scope, path=path, diff=change.diff)
        broadcast(SystemPromptContribution(scope, TASK_KEY, SystemPromptText(task), 900, "instructions"))
        broadcast(AddMessage(scope, UserMessage(f"Review this edit to {path} now.")))

    @on(APPROVAL_RESPONSE)
    def _on_response(self, payload: Any, env: EnvelopeLike) -> None:
        self._finish(self.panel.answer(env.from_scope, _approval(payload)))

    @on("wasmind.common.actors.Exit")
    def _on_exit(self, _payload: Any, env: EnvelopeLike) -> None:
        self._finish(self.panel.left(env.from_scope, "ended without approving or requesting changes"))

    @on(UserNotification)
    def _on_failure(self, msg: UserNotification, env: EnvelopeLike) -> None:
        self._finish(self.panel.failed(msg, env))

    def _finish(self, round_: Round | None) -> None:
        if round_ is None or not round_.complete:
            return
        pending = self.pending.pop(round_.key)
        self.reply(pending.request, self._conclude(pending, round_))

    def _conclude(self, pending: Pending, round_: Round) -> ToolCallStatus:
        change = pending.change
        name = change.location.display
        refusals = [
            f"- {seat.name} ({seat.scope}): " + (seat.value if seat.state == "answered" else seat.reason)
            for seat in round_.seats
            if seat.value != APPROVED
        ]
        if refusals:
            text = f"The edit to {name} was NOT applied: approvers requested changes:\n" + "\n".join(refusals)
            return ToolCallStatus.err(
                ToolCallResult(text, UIDisplayInfo(f"edit_file {name}: changes requested", text))
            )
        try:
            now = self._load(change.location) if self._exists(change.location) else ""
            if now != change.before:
                raise ToolError(
                    f"the edit to {name} was approved but NOT applied: the file changed while it waited; "
                    "read it again with read_file"
                )
            return ToolCallStatus.ok(super()._apply(change, pending.request))
        except ToolError as err:
            return ToolCallStatus.err(err.result or str(err))
