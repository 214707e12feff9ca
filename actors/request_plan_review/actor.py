"""``request_plan_review {task, plan}``: reviewer agents read a plan before the caller carries it out.

Each reviewer of ``reviewers = {name = [logical actor names]}`` is spawned as a child agent with
``[actors..., review_plan]``, the task and the plan as its instructions, and the call is answered
``AwaitingSystem``. Once every reviewer has sent ``review_plan.common.PlanReviewResponse {feedback}`` or
ended without one, the call ends ``Ok`` with every reviewer's feedback, labelled and in config order
(``Err`` if no reviewer gave any). With no reviewers configured, the call is answered at once. Each call
has its own round of reviewers, so several reviews can run at the same time. ``review_actors`` (default
``["review_plan"]``) names the logical actors that give each reviewer its ``review_plan`` tool.
"""

from __future__ import annotations

from typing import Any, ClassVar

from wasmind_sdk import EnvelopeLike, MemberSpawnError, Panel, Round, Tool, ToolError, broadcast, on
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

PLAN_REVIEW_RESPONSE = "review_plan.common.PlanReviewResponse"
REVIEW_TOOL = "review_plan"
TASK_KEY = "request_plan_review:task"
USAGE_KEY = "request_plan_review:usage"
USAGE = """\
`request_plan_review` sends your task and your plan to reviewer agents and returns their feedback. Use it \
once you have a plan for a task with several steps or real risk, before you start carrying it out; skip it \
for trivial work. State the task with its goal and constraints, and the plan as numbered steps. Then \
weigh the feedback and adjust the plan before you act."""
TASK = """\
You are the plan reviewer '{name}'. Agent {requester} is about to carry out a plan and asks for your \
review first.

Task:
{task}

Plan:
{plan}

Check whether the plan achieves the task: wrong or missing steps, risks, wrong order, simpler ways. You \
may use your other tools to look things up. Then call `review_plan` once with your feedback; your agent \
ends after it."""
DESCRIPTION = (
    "Ask reviewer agents to review your plan for a task before you carry it out. Waits for all of them "
    "and returns each reviewer's feedback."
)


def _text(args: Any, key: str) -> str:
    value = args.get(key) if isinstance(args, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise ToolError(f"request_plan_review: '{key}' is required and must be a non-empty string")
    return value.strip()


def _reviewers(value: Any) -> dict[str, list[str]]:
    """The ``reviewers`` config table, checked."""
    if not isinstance(value, dict):
        raise ValueError(
            f"request_plan_review config 'reviewers' must be a table of reviewer name -> list of logical "
            f"actor names, got {value!r}"
        )
    for name, actors in value.items():
        if not (
            isinstance(actors, list) and actors and all(isinstance(a, str) and a.strip() for a in actors)
        ):
            raise ValueError(
                f"request_plan_review config 'reviewers.{name}' must be a non-empty list of logical actor "
                f"names, got {actors!r}"
            )
    return value


def _names(value: Any, key: str) -> list[str]:
    """A non-empty list of logical actor names (config ``key``)."""
    if not isinstance(value, list) or not value or not all(isinstance(n, str) and n for n in value):
        raise ValueError(f"request_plan_review config '{key}' must be a non-empty list of actor names")
    return value


class Actor(Tool):
    """Offers ``request_plan_review {task, plan}``. Config: ``reviewers``."""

    name = "request_plan_review"
    description = DESCRIPTION
    parameters: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "task": {"type": "string", "description": "What you want to achieve, with its constraints."},
            "plan": {"type": "string", "description": "Your plan for it, step by step."},
        },
        "required": ["task", "plan"],
    }

    def setup(self) -> None:
        self.reviewers = _reviewers(self.config.get("reviewers", {}))
        self.review_actors = _names(self.config.get("review_actors", [REVIEW_TOOL]), "review_actors")
        self.panel = Panel()
        self.requests: dict[str, ExecuteToolCall] = {}  # tool call id -> the call its round answers
        usage = SystemPromptContribution(self.scope, USAGE_KEY, SystemPromptText(USAGE), 500, "tools")
        broadcast(usage)

    def call(self, args: Any, request: ExecuteToolCall) -> str | ToolCallStatus:
        task, plan = _text(args, "task"), _text(args, "plan")
        if not self.reviewers:
            return (
                "No plan reviewers are configured (request_plan_review's 'reviewers' is empty), so nobody "
                "reviewed the plan. Go on with your own judgement."
            )

        def brief(name: str, scope: str) -> None:
            text = TASK.format(name=name, requester=self.scope, task=task, plan=plan)
            broadcast(SystemPromptContribution(scope, TASK_KEY, SystemPromptText(text), 900, "instructions"))
            broadcast(AddMessage(scope, UserMessage("Review the plan in your instructions now.")))

        call_id = request.tool_call.id
        try:
            round_ = self.panel.convene(call_id, self.reviewers, self.review_actors, brief)
        except MemberSpawnError as err:
            raise ToolError(f"request_plan_review: {err}; the plan was not reviewed") from None
        self.requests[call_id] = request
        return self._progress(round_)

    # ------------------------------------------------------------------ the reviewers
    @on(PLAN_REVIEW_RESPONSE)
    def _on_feedback(self, payload: Any, env: EnvelopeLike) -> None:
        feedback = payload.get("feedback") if isinstance(payload, dict) else None
        if not isinstance(feedback, str):
            feedback = f"(unreadable answer: {payload!r})"
        self._settled(self.panel.answer(env.from_scope, feedback))

    @on("wasmind.common.actors.Exit")
    def _on_exit(self, _payload: Any, env: EnvelopeLike) -> None:
        self._settled(self.panel.left(env.from_scope, "ended without giving feedback"))

    @on(UserNotification)
    def _on_failure(self, msg: UserNotification, env: EnvelopeLike) -> None:
        self._settled(self.panel.failed(msg, env))

    def _settled(self, round_: Round | None) -> None:
        if round_ is None:
            return
        request = self.requests[round_.key]
        if not round_.complete:
            self.reply(request, self._progress(round_))
            return
        del self.requests[round_.key]
        self.reply(request, self._conclude(round_))

    @staticmethod
    def _progress(round_: Round) -> ToolCallStatus:
        waiting = ", ".join(seat.name for seat in round_.seats if seat.state == "waiting")
        total = len(round_.seats)
        note = UIDisplayInfo(
            f"plan review: {total - round_.pending} of {total} reviewers done (waiting: {waiting})"
        )
        return ToolCallAwaitingSystem(AwaitingSystemDetails(note))

    @staticmethod
    def _conclude(round_: Round) -> ToolCallStatus:
        parts = []
        for seat in round_.seats:
            body = seat.value if seat.state == "answered" else f"({seat.reason})"
            parts.append(f"## {seat.name} (agent {seat.scope})\n{body}")
        total = len(round_.seats)
        head = f"Plan review: {round_.answered} of {total} reviewers gave feedback."
        text = head + "\n\n" + "\n\n".join(parts)
        display = UIDisplayInfo(f"request_plan_review: {round_.answered}/{total} reviews", text)
        if round_.answered == 0:
            return ToolCallStatus.err(ToolCallResult(f"No reviewer gave feedback. {text}", display))
        return ToolCallStatus.ok(ToolCallResult(text, display))
