"""The ``planner`` tool: keep a numbered task list and show it to the model in the system prompt.

``create`` replaces the plan (``title``, ``tasks``); ``update`` sets the ``status`` of task ``task_number``
(1-based). The plan is contributed as ``planner:plan`` (Data) in the ``context`` section.
"""

from __future__ import annotations

from typing import Any, ClassVar

from wasmind_sdk import Tool, ToolError, broadcast
from wasmind_sdk.messages import ExecuteToolCall, SystemPromptContribution, SystemPromptData, ToolCallResult

STATUSES = ("pending", "in_progress", "completed", "skipped", "failed")
MARKS = {"pending": "[ ]", "in_progress": "[~]", "completed": "[x]", "skipped": "[-]", "failed": "[!]"}
TEMPLATE = (
    "Your plan: {{ data.title }}\n{% for t in data.tasks %}{{ loop.index }}. {{ t.mark }} {{ t.description }}"
    " ({{ t.status }})\n{% endfor %}"
)


class Actor(Tool):
    """Offers ``planner {action: create|update, title?, tasks?, task_number?, status?}``."""

    name = "planner"
    description = (
        "Keep your plan. `create` with a `title` and a list of `tasks` (replaces any plan); `update` with "
        f"`task_number` (1-based) and a `status` ({', '.join(STATUSES)}). The plan is shown to you."
    )
    parameters: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "action": {"type": "string", "enum": ["create", "update"]},
            "title": {"type": "string"},
            "tasks": {"type": "array", "items": {"type": "string"}},
            "task_number": {"type": "integer", "minimum": 1},
            "status": {"type": "string", "enum": list(STATUSES)},
        },
        "required": ["action"],
    }

    def setup(self) -> None:
        self.title = ""
        self.tasks: list[dict[str, str]] = []

    def call(self, args: Any, request: ExecuteToolCall) -> ToolCallResult | str:
        if not isinstance(args, dict):
            raise ToolError("planner: the arguments must be an object with an 'action'")
        action = str(args.get("action", "")).strip().lower()
        if action == "create":
            self._create(args)
        elif action == "update":
            self._update(args)
        else:
            raise ToolError(f"planner: 'action' must be 'create' or 'update', got {args.get('action')!r}")
        data = {"title": self.title, "tasks": self.tasks}
        broadcast(
            SystemPromptContribution(
                self.scope, "planner:plan", SystemPromptData(data, TEMPLATE), 800, "context"
            )
        )
        return self._render()

    def _create(self, args: dict[str, Any]) -> None:
        title, tasks = args.get("title"), args.get("tasks")
        if not isinstance(title, str) or not title.strip():
            raise ToolError("planner: 'create' needs a non-empty 'title'")
        if (
            not isinstance(tasks, list)
            or not tasks
            or not all(isinstance(t, str) and t.strip() for t in tasks)
        ):
            raise ToolError("planner: 'create' needs 'tasks', a non-empty list of task descriptions")
        self.title = title.strip()
        self.tasks = [
            {"description": t.strip(), "status": "pending", "mark": MARKS["pending"]} for t in tasks
        ]

    def _update(self, args: dict[str, Any]) -> None:
        if not self.tasks:
            raise ToolError("planner: there is no plan yet; call it with action 'create' first")
        number, status = args.get("task_number"), args.get("status")
        if isinstance(number, str) and number.strip().isdigit():
            number = int(number)
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= len(self.tasks):
            raise ToolError(f"planner: 'task_number' must be between 1 and {len(self.tasks)}, got {number!r}")
        status = status.strip().lower() if isinstance(status, str) else status
        if status not in STATUSES:
            raise ToolError(
                f"planner: 'status' must be one of {', '.join(STATUSES)}, got {args.get('status')!r}"
            )
        self.tasks[number - 1].update(status=status, mark=MARKS[status])

    def _render(self) -> str:
        lines = [f"{i}. {t['mark']} {t['description']} ({t['status']})" for i, t in enumerate(self.tasks, 1)]
        return f"Plan: {self.title}\n" + "\n".join(lines)
