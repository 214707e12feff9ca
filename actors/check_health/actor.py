"""``check_health``: every ``interval`` replies of its agent's model, spawn an analyzer agent that reviews
the recent history and answers with ``flag_issue`` or ``report_normal``.

On ``flag_issue`` this actor (which lives in the analyzed agent) pauses its agent: it asks the assistant
to wait for a system message from the agent's manager (at once if the assistant is waiting for tools,
otherwise at its next step), and alerts the manager with a system message. A message from the manager
releases the agent.
"""

from __future__ import annotations

from typing import Any

from wasmind_sdk import EnvelopeLike, HostError, broadcast, on, parent_scope, spawn_agent, warn
from wasmind_sdk.actor import ActorBase
from wasmind_sdk.messages import (
    AddMessage,
    ChatStateUpdated,
    QueueStatusChange,
    RequestStatusUpdate,
    Response,
    Status,
    StatusUpdate,
    StatusWait,
    SystemMessage,
    SystemPromptContribution,
    SystemPromptText,
    UserMessage,
    WaitingForSystemInput,
    WaitingForTools,
    WaitingForUserInput,
)

ISSUE_FLAGGED = "delegation_network.flag_issue.IssueFlagged"
ANALYZER_NAME = "Health analyzer"
CHARS_PER_MESSAGE = 2000


class Actor(ActorBase):
    """Config: ``interval`` (replies between checks, default 5), ``history_messages`` (how many recent
    messages the analyzer sees, default 20), ``analyzer_actors`` (logical actor names of the analyzer)."""

    def setup(self) -> None:
        interval = self.config.get("interval", 5)
        if not isinstance(interval, int) or isinstance(interval, bool) or interval < 1:
            raise ValueError("check_health config 'interval' must be a positive integer")
        keep = self.config.get("history_messages", 20)
        if not isinstance(keep, int) or isinstance(keep, bool) or keep < 1:
            raise ValueError("check_health config 'history_messages' must be a positive integer")
        names = self.config.get("analyzer_actors", ["health_analyzer", "flag_issue", "report_normal"])
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise ValueError("check_health config 'analyzer_actors' must be a non-empty list of names")
        self.interval, self.keep, self.analyzer_actors = interval, keep, names
        self.replies = 0
        self.history: list[Any] = []
        self.status: Status | None = None
        self.analyzer: str | None = None  # the running analyzer's scope
        self.analyzers: set[str] = set()

    # ------------------------------------------------------------------ watching the agent
    @on(ChatStateUpdated, own_scope=True)
    def _on_chat_state(self, msg: ChatStateUpdated, _env: EnvelopeLike) -> None:
        self.history = list(msg.chat_state.messages)

    @on(StatusUpdate, own_scope=True)
    def _on_status(self, msg: StatusUpdate, _env: EnvelopeLike) -> None:
        self.status = msg.status

    @on(Response, own_scope=True)
    def _on_response(self, msg: Response, _env: EnvelopeLike) -> None:
        self.replies += 1
        if self.replies % self.interval == 0 and self.analyzer is None:
            self._spawn_analyzer(msg)

    def _spawn_analyzer(self, last: Response) -> None:
        history = list(self.history)
        if not history or history[-1] != last.message:  # the reply may precede its ChatStateUpdated
            history.append(last.message)
        try:
            scope = spawn_agent(self.analyzer_actors, ANALYZER_NAME)
        except HostError as err:
            warn(f"check_health {self.scope}: spawning the analyzer failed: {err}")
            return
        self.analyzer = scope
        self.analyzers.add(scope)
        role = (
            f"Your role: {ANALYZER_NAME}\nYou check the health of agent {self.scope}, which has made "
            f"{self.replies} model calls so far. Answer with `flag_issue` or `report_normal`."
        )
        broadcast(
            SystemPromptContribution(scope, "check_health:task", SystemPromptText(role), 900, "instructions")
        )
        broadcast(AddMessage(scope, UserMessage(self._task(history[-self.keep :]))))

    def _task(self, messages: list[Any]) -> str:
        lines = [f"The last {len(messages)} messages of agent {self.scope}:"]
        for message in messages:
            data = message.to_json()
            text = data.get("content") or ""
            if len(text) > CHARS_PER_MESSAGE:
                text = text[:CHARS_PER_MESSAGE] + " [...]"
            calls = data.get("tool_calls") or []
            for call in calls:
                function = call.get("function", {})
                text += f"\n-> {function.get('name')}({function.get('arguments')})"
            lines.append(f"[{data.get('role')}] {text}".rstrip())
        lines.append("Is this agent working well? Call `flag_issue` or `report_normal`.")
        return "\n\n".join(lines)

    # ------------------------------------------------------------------ the analyzers' verdicts
    @on(ISSUE_FLAGGED)
    def _on_flagged(self, payload: Any, env: EnvelopeLike) -> None:
        if not isinstance(payload, dict) or payload.get("agent_id") != self.scope:
            return
        if env.from_scope not in self.analyzers:
            return
        reason = str(payload.get("reason") or "no reason given")
        manager = parent_scope()
        if manager is None:
            wait = StatusWait(WaitingForUserInput())
        else:
            wait = StatusWait(WaitingForSystemInput(required_scope=manager, interruptible_by_user=True))
        # at once if the assistant waits for tools now; in any case before its next model call
        if isinstance(self.status, StatusWait) and isinstance(self.status.reason, WaitingForTools):
            broadcast(RequestStatusUpdate(self.scope, wait, self.status.reason.originating_request_id))
        broadcast(QueueStatusChange(self.scope, wait))
        if manager is not None:
            text = (
                f"Health check: an analyzer flagged a problem with agent {self.scope}:\n{reason}\n"
                f"The agent is paused; send it a message (send_message) to let it continue."
            )
            broadcast(AddMessage(manager, SystemMessage(text)))

    @on("wasmind.common.actors.Exit")
    def _on_exit(self, _payload: Any, env: EnvelopeLike) -> None:
        if env.from_scope == self.analyzer:
            self.analyzer = None
