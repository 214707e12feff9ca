"""conversation_compaction: summarise an agent's history once a reply's token count reaches a threshold.

The handshake with the assistant of the same scope (README.md has the whole flow):

1. a ``Response`` whose ``usage.total_tokens`` reaches ``token_threshold`` -> this actor sends
   ``QueueStatusChange{agent, Wait{CompactingConversation}}`` (once until the compaction is done);
2. at its next submit the assistant moves its pending input into its history (``ChatStateUpdated``) and
   enters ``Wait{CompactingConversation}`` (``StatusUpdate``);
3. on that status this actor summarises everything before the last assistant message of the latest
   history and sends ``CompactedConversation{agent, messages: [summary], compacted_to}``;
4. the assistant replaces that part of its history and carries on.

If the summary fails, step 3 still answers, with the history unchanged, so the assistant never hangs.
"""

from __future__ import annotations

import traceback

from summarizer import CompactionSettings, SummaryError, summarise

from wasmind_sdk import ActorBase, EnvelopeLike, broadcast, error, info, on, warn
from wasmind_sdk.messages import (
    AssistantMessage,
    BaseUrlUpdate,
    ChatMessage,
    ChatState,
    ChatStateUpdated,
    CompactedConversation,
    CompactingConversation,
    QueueStatusChange,
    Response,
    StatusUpdate,
    StatusWait,
    UserMessage,
    UserNotification,
)

ACTOR_ID = "wasmind:conversation_compaction"
SUMMARY_TEMPLATE = (
    "The earlier part of this conversation was compacted into the summary below.\n\n"
    "<summary>\n{summary}\n</summary>\n\nContinue the task from where it stands."
)


def last_assistant(messages: list[ChatMessage]) -> int | None:
    """The index of the last assistant message: the history before it is what gets summarised."""
    for index in range(len(messages) - 1, -1, -1):
        if isinstance(messages[index], AssistantMessage):
            return index
    return None


class Actor(ActorBase, catch_all=False):
    """Watches the assistant of its own scope."""

    def setup(self) -> None:
        self.settings = CompactionSettings.from_config(self.config)
        self.base_url = self.settings.base_url
        self.chat: ChatState | None = None
        self.requested = False

    def handle_message(self, message: EnvelopeLike) -> None:
        # a malformed payload is skipped by the SDK (on_decode_error); anything else must not trap either
        try:
            super().handle_message(message)
        except Exception:  # never trap: the assistant may be waiting on us
            error(f"conversation_compaction {self.scope}: {traceback.format_exc()}")

    @on(BaseUrlUpdate)
    def _on_base_url(self, msg: BaseUrlUpdate, _env: EnvelopeLike) -> None:
        if self.settings.base_url is None:
            self.base_url = msg.base_url

    @on(ChatStateUpdated, own_scope=True)
    def _on_chat_state(self, msg: ChatStateUpdated, _env: EnvelopeLike) -> None:
        self.chat = msg.chat_state

    @on(Response, own_scope=True)
    def _on_response(self, msg: Response, _env: EnvelopeLike) -> None:
        if self.requested or msg.usage.total_tokens < self.settings.token_threshold:
            return
        cut = None if self.chat is None else last_assistant(self.chat.messages)
        if not cut:  # no assistant message yet, or nothing before the first one
            info(f"conversation_compaction {self.scope}: over the threshold, but nothing to compact yet")
            return
        self.requested = True
        broadcast(QueueStatusChange(self.scope, StatusWait(CompactingConversation())))

    @on(StatusUpdate, own_scope=True)
    def _on_status(self, msg: StatusUpdate, _env: EnvelopeLike) -> None:
        status = msg.status
        if isinstance(status, StatusWait) and isinstance(status.reason, CompactingConversation):
            self.requested = False
            self._compact()

    def _compact(self) -> None:
        messages = [] if self.chat is None else list(self.chat.messages)
        cut = last_assistant(messages)
        if cut is None:
            warn(f"conversation_compaction {self.scope}: no assistant message to compact up to")
            broadcast(CompactedConversation(self.scope, [], ""))  # lets the assistant carry on unchanged
            return
        boundary = messages[cut]
        assert isinstance(boundary, AssistantMessage) and boundary.originating_request_id is not None
        kept: list[ChatMessage] = messages[:cut]
        if cut > 0:
            try:
                if self.base_url is None:
                    raise SummaryError("no LLM base URL is known")
                summary = summarise(self.settings, self.base_url, messages[:cut])
            except SummaryError as err:
                self._notify("Warning", "Conversation not compacted", f"{err}; the history was kept as is")
            else:
                kept = [UserMessage(SUMMARY_TEMPLATE.format(summary=summary))]
                self._notify("Info", "Conversation compacted", f"{cut} messages were replaced by a summary")
        broadcast(CompactedConversation(self.scope, kept, boundary.originating_request_id))

    def _notify(self, level: str, title: str, message: str) -> None:
        broadcast(UserNotification(level, title, message, ACTOR_ID))  # type: ignore[arg-type]
