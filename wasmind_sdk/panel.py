"""Ask a group of agents one question and collect exactly one answer from each.

    panel = Panel()
    round_ = panel.convene(call_id, {"security": ["reviewer_assistant"]}, ["review_plan"], brief)
    ...
    done = panel.answer(envelope.from_scope, feedback)   # on each answer message
    done = panel.left(envelope.from_scope)               # on each Exit
    if done is not None and done.complete:
        ...                                              # every member answered or left

Each round is keyed (say by the tool call that asked), so several rounds can run at the same time.
A member agent that exits (or fails) without answering counts as a missing answer, so no round waits
forever. Only the first answer of a member counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from wasmind_sdk.actor import EnvelopeLike
from wasmind_sdk.host import HostError, spawn_agent
from wasmind_sdk.messages import UserNotification

HOST_SENDERS = ("wasmind__context", "wasmind__coordinator")  # the host's sender ids


class MemberSpawnError(HostError):
    """Spawning the agent of ``member`` failed; the round was abandoned."""

    def __init__(self, member: str, error: HostError) -> None:
        super().__init__(f"spawning '{member}' failed: {error}")
        self.member = member


@dataclass(slots=True)
class Seat:
    """One member of a round: its agent's scope and, once known, its answer."""

    name: str
    scope: str
    state: Literal["waiting", "answered", "left"] = "waiting"
    value: Any = None  # the answer (state "answered")
    reason: str = ""  # why there is no answer (state "left")


@dataclass(slots=True)
class Round:
    """The members asked for one request, in the order given to :meth:`Panel.convene`."""

    key: str
    seats: list[Seat] = field(default_factory=list)

    @property
    def pending(self) -> int:
        """Members that have neither answered nor left."""
        return sum(seat.state == "waiting" for seat in self.seats)

    @property
    def answered(self) -> int:
        """Members that answered."""
        return sum(seat.state == "answered" for seat in self.seats)

    @property
    def complete(self) -> bool:
        return self.pending == 0

    @property
    def answers(self) -> list[tuple[str, str, Any]]:
        """``(name, scope, answer or None)`` per member, in member order."""
        return [(seat.name, seat.scope, seat.value) for seat in self.seats]


class Panel:
    """The open rounds of one actor, and which member agent belongs to which round."""

    def __init__(self) -> None:
        self._rounds: dict[str, Round] = {}
        self._seats: dict[str, tuple[Round, Seat]] = {}  # member scope -> its round and seat

    def __contains__(self, key: str) -> bool:
        return key in self._rounds

    def convene(
        self,
        key: str,
        members: dict[str, list[str]],
        extra_actors: Iterable[str] = (),
        brief: Callable[[str, str], None] | None = None,
    ) -> Round:
        """Spawn one child agent per member (``name -> logical actor names``, plus ``extra_actors``),
        then call ``brief(name, scope)`` for each, and track the round under ``key``.

        Every agent is spawned before any is briefed, so if a spawn fails (:class:`MemberSpawnError`,
        naming the member) or ``brief`` raises, the round is dropped and the agents already spawned
        were never given a task; answers from them are ignored.
        """
        if key in self._rounds:
            raise ValueError(f"a round '{key}' is already open")
        if not members:
            raise ValueError("a round needs at least one member")
        extra = list(extra_actors)
        round_ = Round(key)
        for name, actors in members.items():
            try:
                scope = spawn_agent([*actors, *extra], name)
            except HostError as err:
                raise MemberSpawnError(name, err) from None
            round_.seats.append(Seat(name, scope))
        if brief is not None:
            for seat in round_.seats:
                brief(seat.name, seat.scope)
        self._rounds[key] = round_
        for seat in round_.seats:
            self._seats[seat.scope] = (round_, seat)
        return round_

    def answer(self, scope: str, value: Any) -> Round | None:
        """Record the answer of the member agent of ``scope``.

        Returns its round (check ``complete``; a complete round is forgotten), or ``None`` if ``scope``
        is not a member still waiting to answer.
        """
        return self._settle(scope, "answered", value, "")

    def left(self, scope: str, reason: str = "exited without answering") -> Round | None:
        """The member agent of ``scope`` exited or failed: a missing answer if it had not answered.

        Returns as :meth:`answer` does.
        """
        return self._settle(scope, "left", None, reason)

    def failed(self, notification: UserNotification, envelope: EnvelopeLike) -> Round | None:
        """The host reported an error in a member's agent (an ``Error`` ``UserNotification`` from the
        host whose ``source`` is the agent's scope: its spawn failed, or one of its actors trapped). A
        failed spawn never sends ``Exit``, so without this the round would wait forever; any reported
        error counts as :meth:`left`, on the safe side. Returns as :meth:`answer` does."""
        if notification.level != "Error" or envelope.from_actor_id not in HOST_SENDERS:
            return None
        reason = f"failed: {notification.title}: {notification.message}"
        return self.left(notification.source or "", reason)

    def drop(self, key: str) -> Round | None:
        """Forget the round ``key``, answered or not (later answers of its members are ignored)."""
        round_ = self._rounds.pop(key, None)
        for seat in round_.seats if round_ else ():
            self._seats.pop(seat.scope, None)
        return round_

    def _settle(
        self, scope: str, state: Literal["answered", "left"], value: Any, reason: str
    ) -> Round | None:
        found = self._seats.pop(scope, None)
        if found is None:
            return None
        round_, seat = found
        seat.state, seat.value, seat.reason = state, value, reason
        if round_.complete:
            del self._rounds[round_.key]
        return round_
