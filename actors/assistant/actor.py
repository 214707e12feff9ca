"""The assistant actor: an agent's LLM loop (SPEC section 6). README.md describes its states and messages.

Every status change is broadcast as ``StatusUpdate``. Work that ends in another call to the model (tool
results in, a corrective retry, a compacted history) only *asks* for a submit; the loop at the end of
``handle_message`` runs them one after the other, so a long run of model calls never deepens the stack.
"""

from __future__ import annotations

import traceback

import llm_client
from inbox import Inbox
from llm_client import Interrupted, LLMError
from prompt import SystemPrompt
from settings import Settings
from tool_round import ToolRound

from wasmind_sdk import ActorBase, EnvelopeLike, broadcast, error, on, os_info, warn, working_directory
from wasmind_sdk.messages import (
    AddMessage,
    AllActorsReady,
    AssistantMessage,
    BaseUrlUpdate,
    ChatMessage,
    ChatState,
    ChatStateUpdated,
    CompactedConversation,
    CompactingConversation,
    Err,
    ExecuteToolCall,
    Exit,
    QueueStatusChange,
    Request,
    RequestStatusUpdate,
    Response,
    Status,
    StatusDone,
    StatusProcessing,
    StatusUpdate,
    StatusWait,
    SystemMessage,
    SystemPromptContribution,
    Tool,
    ToolCall,
    ToolCallDone,
    ToolCallResult,
    ToolCallStatusUpdate,
    ToolsAvailable,
    UserMessage,
    UserNotification,
    WaitingForAllActorsReady,
    WaitingForLiteLLM,
    WaitingForSystemInput,
    WaitingForTools,
    WaitingForUserInput,
    WaitReason,
)

ACTOR_ID = "wasmind:assistant"
ACTOR_FAILED = "wasmind.common.actors.ActorFailed"  # from the host: {scope, actor, error}
INTERRUPT = "wasmind.common.assistant.Interrupt"  # ours: {agent}; stop the turn, wait for the user
INTERRUPTED_RESULT = "the user interrupted the agent before this tool call finished"
CORRECTIONS = {
    "tool": (
        "Your last reply did not call a tool, and this agent must call one of its tools in every reply. "
        "Pick the tool that moves the task forward and call it."
    ),
    "empty": "Your last reply was empty. Answer with text, or call one of your tools.",
}


class Actor(ActorBase, catch_all=False):
    """The assistant of one agent (scope)."""

    def setup(self) -> None:
        self.settings = Settings.from_config(self.config)
        for key in self.settings.unknown:
            warn(f"assistant {self.scope}: unknown config key '{key}' ignored")
        self.prompt = SystemPrompt(self.scope, self.settings.system_prompt, self._system_context())
        self.inbox = Inbox()
        self.history: list[ChatMessage] = []
        self.tools: dict[str, Tool] = {}
        self.tool_owners: dict[str, str] = {}  # tool name -> the actor that announced it
        self.base_url = self.settings.base_url
        self.round: ToolRound | None = None
        self.queued: Status | None = None
        self.requests = 0
        self.corrections = 0
        self.submit_due = False
        self.status: Status = StatusWait(WaitingForAllActorsReady())
        broadcast(StatusUpdate(self.status))

    def _system_context(self) -> dict[str, str]:
        if not self.settings.system_context:
            return {}
        os_name, arch = os_info()
        return {
            "system:current_directory": f"Current working directory: {working_directory()}",
            "system:os_info": f"Operating system: {os_name} {arch}",
        }

    # ------------------------------------------------------------------ dispatch
    def handle_message(self, message: EnvelopeLike) -> None:
        if isinstance(self.status, StatusDone):
            return
        # a malformed payload is skipped by the SDK (on_decode_error); anything else must not trap either
        try:
            super().handle_message(message)
            while self.submit_due and not isinstance(self.status, StatusDone):
                self.submit_due = False
                self._submit()
        except Exception:  # a trap would kill the agent: report, and wait for the user instead
            self._recover(message.message_type, traceback.format_exc())

    def _recover(self, message_type: str, details: str) -> None:
        error(f"assistant {self.scope}: handling {message_type} failed:\n{details}")
        last_line = details.strip().splitlines()[-1]
        self._notify("Error", "Assistant error", f"handling {message_type} failed: {last_line}")
        self.submit_due = False
        self.round = None
        self._set_status(StatusWait(WaitingForUserInput()))

    # ------------------------------------------------------------------ start-up
    @on(AllActorsReady, own_scope=True)
    def _on_all_ready(self, _msg: AllActorsReady, _env: EnvelopeLike) -> None:
        if self._waiting_for(WaitingForAllActorsReady):
            if self.base_url is None:
                self._set_status(StatusWait(WaitingForLiteLLM()))
            else:
                self._idle_or_submit()

    @on(BaseUrlUpdate)
    def _on_base_url(self, msg: BaseUrlUpdate, _env: EnvelopeLike) -> None:
        if self.settings.base_url is None:
            self.base_url = msg.base_url
        if self._waiting_for(WaitingForLiteLLM):
            self._idle_or_submit()

    @on(ToolsAvailable, own_scope=True)
    def _on_tools(self, msg: ToolsAvailable, env: EnvelopeLike) -> None:
        for tool in msg.tools:
            self.tools[tool.function.name] = tool
            self.tool_owners[tool.function.name] = env.from_actor_id

    @on(ACTOR_FAILED, own_scope=True)
    def _on_actor_failed(self, failure: dict, _env: EnvelopeLike) -> None:
        """A tool actor of this agent trapped: its tools are gone, and its pending calls fail now
        (otherwise this agent would wait for their results forever)."""
        actor = failure.get("actor")
        lost = [name for name, owner in self.tool_owners.items() if owner == actor]
        for name in lost:
            self.tools.pop(name, None)
            self.tool_owners.pop(name, None)
        round_ = self.round
        if round_ is None:
            return
        reason = str(failure.get("error", "")).strip().splitlines()[:1] or ["it trapped"]
        for call in round_.calls:
            if call.function.name in lost:
                message = f"the tool's actor '{actor}' failed ({reason[0]}); the tool is no longer available"
                round_.record(call.id, Err(ToolCallResult.text(message)))
        if self._waiting_for(WaitingForTools):
            self._set_status(StatusWait(round_.wait_reason()))
        if round_.complete:
            self._finish_round()

    @on(INTERRUPT)
    def _on_interrupt(self, msg: dict, _env: EnvelopeLike) -> None:
        """Stop the turn and wait for the user. The host has already cancelled the model request in flight
        (that ended the previous call, see ``_ask_model``); here a tool round is closed with an error
        result for every call still running, and any wait ends."""
        if not isinstance(msg, dict) or msg.get("agent") != self.scope:
            return
        if not isinstance(self.status, StatusWait):
            return
        reason = self.status.reason
        if isinstance(reason, WaitingForAllActorsReady | WaitingForLiteLLM):
            return
        if self.round is None and (isinstance(reason, WaitingForUserInput) or reason == self._idle_reason()):
            return  # idle: nothing to stop
        round_ = self.round
        if round_ is not None:
            for call in round_.calls:
                round_.record(call.id, Err(ToolCallResult.text(INTERRUPTED_RESULT)))
            self._append(*round_.tool_messages())
            self.round = None
        self.submit_due = False
        self.corrections = 0
        self._notify("Info", "Assistant interrupted", "the turn was stopped; waiting for user input")
        self._set_status(StatusWait(WaitingForUserInput()))

    @on(SystemPromptContribution)
    def _on_contribution(self, msg: SystemPromptContribution, _env: EnvelopeLike) -> None:
        problem = self.prompt.add(msg)
        if problem:
            warn(f"assistant {self.scope}: {problem}")

    # ------------------------------------------------------------------ input
    @on(AddMessage)
    def _on_add_message(self, msg: AddMessage, env: EnvelopeLike) -> None:
        if msg.agent != self.scope:
            return
        if isinstance(msg.message, UserMessage):
            self.inbox.put_user(msg.message)
        elif isinstance(msg.message, SystemMessage):
            self.inbox.put_system(msg.message, env.from_scope)
        else:
            warn(f"assistant {self.scope}: AddMessage with a '{msg.message.ROLE}' message ignored")
            return
        self._wake_if_ready()

    @on(QueueStatusChange)
    def _on_queue(self, msg: QueueStatusChange, _env: EnvelopeLike) -> None:
        if msg.agent == self.scope:
            self.queued = msg.status

    @on(CompactedConversation)
    def _on_compacted(self, msg: CompactedConversation, _env: EnvelopeLike) -> None:
        if msg.agent != self.scope:
            return
        cut = next(
            (
                i
                for i, m in enumerate(self.history)
                if isinstance(m, AssistantMessage) and m.originating_request_id == msg.compacted_to
            ),
            None,
        )
        if cut is None:
            warn(f"assistant {self.scope}: compacted_to '{msg.compacted_to}' is not in the history; kept it")
        else:
            self.history = [*msg.messages, *self.history[cut:]]
            self._chat_state_updated()
        if self._waiting_for(CompactingConversation):
            self.submit_due = True

    # ------------------------------------------------------------------ tools
    @on(ToolCallStatusUpdate, own_scope=True)
    def _on_tool_status(self, msg: ToolCallStatusUpdate, _env: EnvelopeLike) -> None:
        round_ = self.round
        if round_ is None or msg.originating_request_id != round_.request_id:
            return
        if not isinstance(msg.status, ToolCallDone) or not round_.record(msg.id, msg.status.result):
            return
        if self._waiting_for(WaitingForTools):
            self._set_status(StatusWait(round_.wait_reason()))
        if round_.complete:
            self._finish_round()

    @on(RequestStatusUpdate)
    def _on_request_status(self, msg: RequestStatusUpdate, _env: EnvelopeLike) -> None:
        if msg.agent != self.scope or self.round is None or not self._waiting_for(WaitingForTools):
            return
        if msg.originating_request_id != self.round.request_id:
            return
        status = msg.status
        if isinstance(status, StatusProcessing) or (
            isinstance(status, StatusWait) and isinstance(status.reason, WaitingForTools)
        ):
            warn(f"assistant {self.scope}: RequestStatusUpdate to {status.TAG} ignored")
            return
        self._set_status(status)
        self._wake_if_ready()

    def _start_round(self, request_id: str, calls: list[ToolCall]) -> None:
        round_ = self.round = ToolRound(request_id, calls)
        unknown: list[tuple[ToolCall, Err[ToolCallResult]]] = []
        for call in calls:
            if call.function.name not in self.tools:
                available = ", ".join(sorted(self.tools)) or "none"
                result = Err(
                    ToolCallResult.text(
                        f"Tool '{call.function.name}' is not available. Available tools: {available}.",
                        collapsed=f"Unknown tool: {call.function.name}",
                    )
                )
                if round_.record(call.id, result):
                    unknown.append((call, result))
        self._set_status(StatusWait(round_.wait_reason()))
        for call, result in unknown:
            broadcast(ToolCallStatusUpdate(ToolCallDone(result), call.id, request_id))
        for call in calls:
            if call.function.name in self.tools:
                broadcast(ExecuteToolCall(call, request_id))
        if round_.complete:
            self._finish_round()

    def _finish_round(self) -> None:
        assert self.round is not None
        self._append(*self.round.tool_messages())
        self.round = None
        if self._waiting_for(WaitingForTools):
            self.submit_due = True
        else:
            self._wake_if_ready()

    # ------------------------------------------------------------------ talking to the model
    def _submit(self) -> None:
        """Take the queued status if one is due, else send everything pending to the model."""
        queued, self.queued = self.queued, None
        takes_over = queued is not None and not isinstance(queued, StatusProcessing)
        if takes_over and not (isinstance(queued, StatusWait) and self.inbox.wakes(queued.reason)):
            self._take_input()
            self._set_status(queued)
            return
        self._take_input()
        self._ask_model()

    def _take_input(self) -> None:
        pending = self.inbox.drain()
        if pending:
            self._append(*pending)

    def _ask_model(self) -> None:
        self.requests += 1
        request_id = f"req_{self.scope}_{self.requests}"
        self._set_status(StatusProcessing(request_id))
        if self.base_url is None:
            self._fail(LLMError("No LLM endpoint", "no base_url is configured and none was announced"))
            return
        rendered = self.prompt.render()
        for problem in rendered.problems:
            warn(f"assistant {self.scope}: system prompt: {problem}")
        tools = list(self.tools.values())
        broadcast(Request(ChatState(SystemMessage(rendered.text), tools, list(self.history))))
        body = llm_client.request_body(self.settings, rendered.text, self.history, tools)
        try:
            completion = llm_client.complete(self.settings, self.base_url, body, request_id, self._retrying)
        except Interrupted as stopped:
            self._notify("Info", stopped.title, f"{stopped.message}; waiting for user input")
            self._set_status(StatusWait(WaitingForUserInput()))
            return
        except LLMError as err:
            self._fail(err)
            return
        reply = completion.message
        reply.originating_request_id = request_id
        if reply.content is None and not reply.tool_calls:
            reply.content = ""  # chat APIs refuse an assistant message with neither content nor tool calls
        self._append(reply)
        broadcast(Response(reply, completion.usage))
        if completion.finish_reason == "length":
            self._notify_cut_off()
        self._handle_reply(request_id, reply)

    def _retrying(self, failure: LLMError, attempt: int, delay_s: float) -> None:
        """An attempt failed and another follows: say so now, not only once every attempt failed."""
        warn(f"assistant {self.scope}: {failure} (attempt {attempt})")
        message = llm_client.describe_retry(failure, attempt, self.settings.max_attempts, delay_s)
        self._notify("Warning", failure.title, message)

    def _notify_cut_off(self) -> None:
        limit = self.settings.sampling.max_tokens
        which = f"max_tokens = {limit}" if limit is not None else "the server's own token limit"
        self._notify(
            "Warning",
            "LLM reply cut off",
            f'the model stopped at {which} (finish_reason "length"); the reply is incomplete. '
            "Raise max_tokens in the assistant's config if replies need more.",
        )

    def _handle_reply(self, request_id: str, reply: AssistantMessage) -> None:
        if reply.tool_calls:
            self.corrections = 0
            self._start_round(request_id, reply.tool_calls)
        elif not self.settings.allow_empty_responses and not (reply.content or "").strip():
            self._correct("empty")
        elif self.settings.require_tool_call:
            self._correct("tool")
        else:
            self.corrections = 0
            self._idle_or_submit()

    def _correct(self, kind: str) -> None:
        """Ask the model again with a corrective system message, at most ``max_corrective_retries`` times."""
        limit = self.settings.max_corrective_retries
        if self.corrections >= limit:
            self.corrections = 0
            what = "call a tool" if kind == "tool" else "give a non-empty reply"
            self._notify(
                "Warning",
                "Assistant stopped retrying",
                f"the model did not {what} after {limit} corrective message(s); waiting for input",
            )
            self._go_idle()
            return
        self.corrections += 1
        self.inbox.put_system(SystemMessage(CORRECTIONS[kind]), self.scope)
        self.submit_due = True

    def _fail(self, err: LLMError) -> None:
        error(f"assistant {self.scope}: {err}")
        self._notify("Error", err.title, err.message)
        self._set_status(StatusWait(WaitingForUserInput()))

    # ------------------------------------------------------------------ state helpers
    def _idle_reason(self) -> WaitReason:
        if self.settings.wake_on_system_input:
            return WaitingForSystemInput(required_scope=None, interruptible_by_user=True)
        return WaitingForUserInput()

    def _go_idle(self) -> None:
        self._set_status(StatusWait(self._idle_reason()))
        self._wake_if_ready()

    def _idle_or_submit(self) -> None:
        if self.inbox:
            self.submit_due = True
        else:
            self._go_idle()

    def _wake_if_ready(self) -> None:
        status = self.status
        if isinstance(status, StatusWait) and self.round is None and self.inbox.wakes(status.reason):
            self.submit_due = True

    def _waiting_for(self, reason: type[WaitReason]) -> bool:
        return isinstance(self.status, StatusWait) and isinstance(self.status.reason, reason)

    def _set_status(self, status: Status) -> None:
        self.status = status
        broadcast(StatusUpdate(status))
        if isinstance(status, StatusDone):
            broadcast(Exit())

    def _append(self, *messages: ChatMessage) -> None:
        self.history.extend(messages)
        self._chat_state_updated()

    def _chat_state_updated(self) -> None:
        system = SystemMessage(self.prompt.render().text)
        broadcast(ChatStateUpdated(ChatState(system, list(self.tools.values()), list(self.history))))

    def _notify(self, level: str, title: str, message: str) -> None:
        broadcast(UserNotification(level, title, message, ACTOR_ID))  # type: ignore[arg-type]
