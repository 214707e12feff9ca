"""Input waiting to be sent to the model, and which input wakes the assistant from which wait.

A new user message replaces a pending one; system messages pile up, each tagged with the scope that sent
it. When submitted, system messages come first, then the user message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wasmind_sdk.messages import (
    ChatMessage,
    SystemMessage,
    UserMessage,
    WaitingForAgentCoordination,
    WaitingForSystemInput,
    WaitingForUserInput,
    WaitReason,
)


@dataclass
class Inbox:
    """Pending user and system input."""

    user: UserMessage | None = None
    system: list[tuple[SystemMessage, str]] = field(default_factory=list)

    def put_user(self, message: UserMessage) -> None:
        self.user = message

    def put_system(self, message: SystemMessage, from_scope: str) -> None:
        self.system.append((message, from_scope))

    def __bool__(self) -> bool:
        return self.user is not None or bool(self.system)

    def _has_system_from(self, scope: str | None) -> bool:
        return any(scope is None or sender == scope for _, sender in self.system)

    def wakes(self, reason: WaitReason) -> bool:
        """Whether what is pending ends a wait for ``reason``.

        User input ends ``WaitingForUserInput``, and the system and coordination waits when they allow the
        user to interrupt. System input ends those two waits when it comes from their scope (any scope when
        they name none). Nothing here ends any other wait.
        """
        if isinstance(reason, WaitingForUserInput):
            return self.user is not None
        if isinstance(reason, WaitingForSystemInput):
            user_ok = reason.interruptible_by_user and self.user is not None
            return user_ok or self._has_system_from(reason.required_scope)
        if isinstance(reason, WaitingForAgentCoordination):
            user_ok = reason.user_can_interrupt and self.user is not None
            return user_ok or self._has_system_from(reason.target_agent_scope)
        return False

    def drain(self) -> list[ChatMessage]:
        """Everything pending, system messages first, then the user message; leaves the inbox empty."""
        messages: list[ChatMessage] = [message for message, _ in self.system]
        if self.user is not None:
            messages.append(self.user)
        self.user = None
        self.system = []
        return messages
