"""Human in the loop: tool calls the host holds until a person approves or rejects them.

A tool actor whose entry says ``approval = true`` (every tool it announces) or ``approval = ["name", ...]``
gets no ``ExecuteToolCall`` for such a tool until someone decides. The envelope is still appended to the
log in its place (the total order of ``mind.messages`` never changes) and every *other* recipient gets it
at once (the assistant, monitors, the view); only the delivery to the owning tool actor is held. An
approval hands that same envelope, unchanged, to the tool actor; a rejection answers the assistant in the
tool's stead with a ``ToolCallStatusUpdate`` whose result is ``Err`` carrying the reason.

Which tools an actor owns is learnt from the ``ToolsAvailable`` it broadcasts; a name listed in
``approval = [...]`` is held even before (deny what nobody allowed). Not thread-safe: the runtime calls
every method with its lock held.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from wasmind_nb.payload_text import tool_arguments
from wasmind_nb.runtime.events import Envelope
from wasmind_nb.runtime.state import Actor

TOOLS_AVAILABLE = "wasmind.common.tools.ToolsAvailable"
EXECUTE_TOOL_CALL = "wasmind.common.tools.ExecuteToolCall"
APPROVAL_SENDER = "wasmind__approvals"
"""``from_actor_id`` of the error result the host sends for a rejected call."""

Decision = Literal["pending", "approved", "rejected", "cancelled"]


@dataclass(frozen=True, slots=True)
class PendingApproval:
    """One held tool call. ``id`` (``a1``, ``a2``, ...) is what :meth:`Wasmind.approve` takes.

    ``agent`` is the scope the call belongs to, ``actor`` the tool actor that owns ``tool``, ``arguments``
    the parsed JSON arguments (the raw string when they are not JSON), ``seq`` the envelope's place in
    ``mind.messages``. ``state`` is ``pending`` until decided; ``reason`` says why a call was rejected or
    cancelled.
    """

    id: str
    agent: str
    agent_name: str
    actor: str
    tool: str
    arguments: Any
    tool_call_id: str
    originating_request_id: str
    seq: int
    state: Decision = "pending"
    reason: str = ""

    def describe(self) -> str:
        """``a1 execute_bash(command='ls') for coder (a1B2c3)``."""
        if isinstance(self.arguments, dict):
            shown = ", ".join(f"{k}={v!r}" for k, v in self.arguments.items())
        else:
            shown = repr(self.arguments)
        if len(shown) > 200:
            shown = shown[:199] + "…"
        return f"{self.id} {self.tool}({shown}) for {self.agent_name} ({self.agent})"

    def to_json(self) -> dict[str, Any]:
        """Plain data for the view and for traces."""
        return {
            "id": self.id,
            "agent": self.agent,
            "agent_name": self.agent_name,
            "actor": self.actor,
            "tool": self.tool,
            "arguments": self.arguments,
            "tool_call_id": self.tool_call_id,
            "seq": self.seq,
            "state": self.state,
            "reason": self.reason,
        }


@dataclass(slots=True)
class _Held:
    approval: PendingApproval
    actor: Actor
    envelope: Envelope


@dataclass(slots=True)
class ApprovalDesk:
    """The held calls of one runtime, and the tools each approval-bound actor announced."""

    _held: dict[str, _Held] = field(default_factory=dict)
    _decided: dict[str, PendingApproval] = field(default_factory=dict)
    _announced: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)  # (scope, actor)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def announced(self, actor: Actor, payload: bytes) -> None:
        """``actor`` (bound by ``approval``) broadcast ``ToolsAvailable``: remember the names it owns."""
        try:
            tools = json.loads(payload)["tools"]
            names = frozenset(str(tool["function"]["name"]) for tool in tools)
        except (ValueError, KeyError, TypeError):
            return  # not a valid announcement: the assistant ignores it too
        key = (actor.scope, actor.name)
        self._announced[key] = self._announced.get(key, frozenset()) | names

    def hold(self, envelope: Envelope, recipients: list[Actor], agent_name: str) -> list[Actor]:
        """An ``ExecuteToolCall``: hold its delivery to each tool actor that must wait for a decision;
        returns the recipients that get it now."""
        bound = [a for a in recipients if a.spec.approval and a.scope == envelope.from_scope]
        if not bound:
            return recipients
        try:
            call = json.loads(envelope.payload)
            function = call["tool_call"]["function"]
            tool, raw = str(function["name"]), function.get("arguments", "")
            tool_call_id, request_id = str(call["tool_call"]["id"]), str(call["originating_request_id"])
        except (ValueError, KeyError, TypeError):
            return recipients  # not a tool call any tool would run
        now = list(recipients)
        for actor in bound:
            if not (actor.spec.needs_approval(tool) and self._owns(actor, tool)):
                continue
            approval = PendingApproval(
                id=f"a{next(self._ids)}",
                agent=envelope.from_scope,
                agent_name=agent_name,
                actor=actor.name,
                tool=tool,
                arguments=tool_arguments(raw),
                tool_call_id=tool_call_id,
                originating_request_id=request_id,
                seq=envelope.seq,
            )
            self._held[approval.id] = _Held(approval, actor, envelope)
            now.remove(actor)
        return now

    def _owns(self, actor: Actor, tool: str) -> bool:
        """``actor`` announced ``tool``; a listed name counts until it is known to be another's."""
        if tool in self._announced.get((actor.scope, actor.name), frozenset()):
            return True
        others = any(
            tool in names for (scope, name), names in self._announced.items()
            if scope == actor.scope and name != actor.name
        )  # fmt: skip
        return isinstance(actor.spec.approval, tuple) and not others

    def take(
        self, approval_id: str, state: Decision, reason: str = ""
    ) -> tuple[PendingApproval, Actor, Envelope]:
        """Decide a held call: returns it (decided), its tool actor and its envelope. ``KeyError`` when
        ``approval_id`` is unknown or already decided (see :meth:`decided`)."""
        held = self._held.pop(approval_id)
        decided = dataclasses.replace(held.approval, state=state, reason=reason)
        self._decided[approval_id] = decided
        return decided, held.actor, held.envelope

    def cancel_for(self, scope: str | None, actor: Actor | None, reason: str) -> list[PendingApproval]:
        """Cancel the held calls of every scope (``scope`` None), of ``scope``, or of ``actor``."""
        ids = [
            approval_id for approval_id, held in self._held.items()
            if (scope is None or held.approval.agent == scope) and (actor is None or held.actor is actor)
        ]  # fmt: skip
        return [self.take(approval_id, "cancelled", reason)[0] for approval_id in ids]

    def cancel_interrupted(self, payload: bytes) -> list[PendingApproval]:
        """An ``Interrupt`` (``{agent}``): the assistant drops the calls it was waiting for, so that agent's
        held calls are cancelled (a later approval would run a call nobody waits for)."""
        try:
            scope = json.loads(payload)["agent"]
        except (ValueError, KeyError, TypeError):
            return []  # not an interrupt the assistant would act on either
        return self.cancel_for(str(scope), None, "the agent was interrupted")

    def decided(self, approval_id: str) -> PendingApproval | None:
        return self._decided.get(approval_id)

    @property
    def pending(self) -> list[PendingApproval]:
        """The calls waiting for a decision, oldest first."""
        return [held.approval for held in self._held.values()]


__all__ = ["APPROVAL_SENDER", "ApprovalDesk", "Decision", "PendingApproval"]
