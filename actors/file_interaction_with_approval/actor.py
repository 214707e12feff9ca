"""``read_file`` / ``edit_file`` whose large edits wait for approver agents (``code_with_experts``).

The tools behave like file_interaction's (see ``files.py`` for why this folder has its own small copy of
the file work, and README.md for what it leaves out). Rules for ``edit_file``: the file was read with
``read_file`` by this actor and has not changed since; each ``old_string`` matches once (unless
``replace_all``); one edit with an empty ``old_string`` creates a file. Then:

- the edit's unified diff has at most ``min_diff_size`` characters (default 200), or ``approvers`` is
  empty: the edit is written at once;
- otherwise nothing is written yet: each approver of ``approvers = {name = [logical actor names]}`` is
  spawned as a child agent with ``[actors..., approve, request_changes]`` and the diff as its task, and
  the call is answered ``AwaitingSystem``. Once every approver has sent
  ``code_with_experts.common.ApprovalResponse`` (``"Approved"`` or ``{"RequestChanges": {"changes"}}``),
  the edit is written if all approved (and the file has not changed meanwhile); otherwise the call ends
  with an ``Err`` listing the requested changes. An approver that exits without answering counts as a
  refusal. Each pending edit is tracked by its own tool call, so several can wait at the same time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from files import Place, apply_edits, exists, load, locate, numbered, save, unified_diff

from wasmind_sdk import (
    EnvelopeLike,
    HostError,
    Tool,
    ToolError,
    broadcast,
    on,
    spawn_agent,
    working_directory,
)
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
)
from wasmind_sdk.messages import Tool as ToolDefinition

APPROVAL_RESPONSE = "code_with_experts.common.ApprovalResponse"
DEFAULT_MIN_DIFF_SIZE = 200
TOOL_ACTORS = ("approve", "request_changes")
TASK_KEY = "file_interaction_with_approval:task"
TASK = """\
You are the approver '{name}'. Agent {requester} wants to make this edit to {path}:

{diff}

Review it. If it is right, call `approve`. Otherwise call `request_changes` with what must change and why. \
Call exactly one of them, once; your agent ends after it."""
PATH = {"type": "string", "description": "File path, absolute or relative to the working directory."}
READ_PARAMETERS = {
    "type": "object",
    "properties": {
        "path": PATH,
        "start_line": {"type": "integer", "minimum": 1, "description": "First line to show (default 1)."},
        "end_line": {"type": "integer", "minimum": 1, "description": "Last line to show (default: the end)."},
    },
    "required": ["path"],
}
EDIT_PARAMETERS = {
    "type": "object",
    "properties": {
        "path": PATH,
        "edits": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "old_string": {
                        "type": "string",
                        "description": "Exact text to replace ('' creates a file).",
                    },
                    "new_string": {"type": "string", "description": "The replacement text."},
                    "replace_all": {"type": "boolean", "description": "Replace every occurrence."},
                },
                "required": ["old_string", "new_string"],
            },
        },
    },
    "required": ["path", "edits"],
}
READ_DESCRIPTION = (
    "Read a text file, with line numbers. `path` is relative to the working directory (or absolute inside "
    "it); `start_line`/`end_line` select a range. Read a file before editing it."
)
EDIT_DESCRIPTION = (
    "Edit a text file by exact string replacement: each edit replaces `old_string` (matching exactly once, "
    "unless `replace_all`) with `new_string`, in order, all or none. Read the file first. One edit with an "
    "empty `old_string` creates a file. Large edits are reviewed by approvers before they are applied; the "
    "result then says whether they approved or what they want changed. Returns a unified diff."
)


@dataclass
class Pending:
    """An edit waiting for its approvers."""

    request: ExecuteToolCall
    place: Place
    before: str | None  # the file's text when the edit was asked for (None: it did not exist)
    after: str
    result: ToolCallResult  # the answer once the edit is written
    waiting: dict[str, str] = field(default_factory=dict)  # approver scope -> approver name
    changes: list[str] = field(default_factory=list)


def _line(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ToolError(f"'{name}' must be a positive integer, got {value!r}")
    return value


class Actor(Tool):
    """Offers ``read_file`` and ``edit_file``. Config: ``approvers``, ``min_diff_size``."""

    def setup(self) -> None:
        size = self.config.get("min_diff_size", DEFAULT_MIN_DIFF_SIZE)
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"'min_diff_size' must be a non-negative integer, got {size!r}")
        approvers = self.config.get("approvers", {})
        if not isinstance(approvers, dict) or not all(
            isinstance(names, list) and names and all(isinstance(n, str) for n in names)
            for names in approvers.values()
        ):
            raise ValueError("'approvers' must be a table of approver name -> non-empty list of actor names")
        self.min_diff_size: int = size
        self.approvers: dict[str, list[str]] = approvers
        self.working_dir = working_directory()
        self.seen: dict[str, str] = {}  # guest path -> the text this actor last read or wrote
        self.pending: dict[str, Pending] = {}  # tool call id -> pending edit
        self.approver_of: dict[str, str] = {}  # approver scope -> tool call id
        self._deferred = False

    def definitions(self) -> list[ToolDefinition]:
        return [
            ToolDefinition.define("read_file", READ_DESCRIPTION, READ_PARAMETERS),
            ToolDefinition.define("edit_file", EDIT_DESCRIPTION, EDIT_PARAMETERS),
        ]

    def _run(self, name: str, request: ExecuteToolCall) -> ToolCallStatus:
        self._deferred = False
        status = super()._run(name, request)
        if not self._deferred:
            return status
        approvers = ", ".join(self.pending[request.tool_call.id].waiting.values())
        note = UIDisplayInfo(f"edit_file waits for approval ({approvers})")
        return ToolCallAwaitingSystem(AwaitingSystemDetails(note))

    def call_tool(self, name: str, args: Any, request: ExecuteToolCall) -> ToolCallResult | str:
        if not isinstance(args, dict):
            raise ToolError("the arguments must be a JSON object")
        place = locate(args.get("path"), self.working_dir)
        if name == "read_file":
            start = _line(args.get("start_line"), "start_line") or 1
            text = load(place)
            self.seen[place.guest] = text
            body = numbered(text, start, _line(args.get("end_line"), "end_line"))
            return ToolCallResult(
                f"{place.display}:\n{body or '(no content)'}",
                UIDisplayInfo(f"read_file {place.display}", body or None),
            )
        return self._edit(place, args.get("edits"), request)

    def _edit(self, place: Place, edits: Any, request: ExecuteToolCall) -> ToolCallResult:
        before = load(place) if exists(place) else None
        if (
            isinstance(edits, list)
            and len(edits) == 1
            and isinstance(edits[0], dict)
            and edits[0].get("old_string") == ""
        ):
            if before:
                raise ToolError(f"{place.display} already exists and is not empty; read it, then edit it")
            after = edits[0].get("new_string")
            if not isinstance(after, str):
                raise ToolError("edits[0]: new_string is required")
        else:
            if before is None:
                raise ToolError(
                    f"{place.display} does not exist; create it with one edit whose old_string is empty"
                )
            if place.guest not in self.seen:
                raise ToolError(f"read {place.display} with read_file before editing it")
            if self.seen[place.guest] != before:
                raise ToolError(f"{place.display} has changed since you last read it; read it again first")
            after = apply_edits(place.display, before, edits)
        diff = unified_diff(place.display, before or "", after)
        result = ToolCallResult(
            f"Edited {place.display}.\n\n{diff}".rstrip("\n"),
            UIDisplayInfo(f"edit_file {place.display}", diff or None),
        )
        if not self.approvers or len(diff) <= self.min_diff_size:
            save(place, after)
            self.seen[place.guest] = after
            return result
        pending = Pending(request, place, before, after, result)
        self._ask(pending, diff)
        self.pending[request.tool_call.id] = pending
        self._deferred = True
        return result

    # ------------------------------------------------------------------ approvers
    def _ask(self, pending: Pending, diff: str) -> None:
        for name, actors in self.approvers.items():
            try:
                scope = spawn_agent([*actors, *TOOL_ACTORS], name)
            except HostError as err:
                raise ToolError(f"edit not applied: spawning approver '{name}' failed: {err}") from None
            pending.waiting[scope] = name
            self.approver_of[scope] = pending.request.tool_call.id
            task = TASK.format(name=name, requester=self.scope, path=pending.place.display, diff=diff)
            broadcast(SystemPromptContribution(scope, TASK_KEY, SystemPromptText(task), 900, "instructions"))
            broadcast(AddMessage(scope, UserMessage(f"Review this edit to {pending.place.display} now.")))

    @on(APPROVAL_RESPONSE)
    def _on_response(self, payload: Any, env: EnvelopeLike) -> None:
        if payload == "Approved":
            self._answered(env.from_scope, None)
            return
        body = payload.get("RequestChanges") if isinstance(payload, dict) else None
        changes = body.get("changes") if isinstance(body, dict) else None
        self._answered(
            env.from_scope, changes if isinstance(changes, str) else f"unreadable answer {payload!r}"
        )

    @on("wasmind.common.actors.Exit")
    def _on_exit(self, _payload: Any, env: EnvelopeLike) -> None:
        self._answered(env.from_scope, "ended without approving or requesting changes")

    def _answered(self, scope: str, changes: str | None) -> None:
        call_id = self.approver_of.pop(scope, None)
        pending = self.pending.get(call_id or "")
        if pending is None:
            return
        name = pending.waiting.pop(scope)
        if changes is not None:
            pending.changes.append(f"- {name} ({scope}): {changes}")
        if pending.waiting:
            return
        del self.pending[pending.request.tool_call.id]
        self.reply(pending.request, self._conclude(pending))

    def _conclude(self, pending: Pending) -> ToolCallStatus:
        name = pending.place.display
        if pending.changes:
            text = f"The edit to {name} was NOT applied: approvers requested changes:\n" + "\n".join(
                pending.changes
            )
            return ToolCallStatus.err(
                ToolCallResult(text, UIDisplayInfo(f"edit_file {name}: changes requested", text))
            )
        try:
            now = load(pending.place) if exists(pending.place) else None
            if now != pending.before:
                raise ToolError(
                    f"the edit to {name} was approved but NOT applied: the file changed while it waited; "
                    "read it again with read_file"
                )
            save(pending.place, pending.after)
        except ToolError as err:
            return ToolCallStatus.err(str(err))
        self.seen[pending.place.guest] = pending.after
        return ToolCallStatus.ok(pending.result)
