"""The actor and agent state machines: only the listed transitions happen, and final states stay final."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from wasmind_nb.runtime.state import ACTOR_MOVES, AGENT_MOVES, Actor, Agent, IllegalTransition


def _actor(state: str) -> Actor:
    actor = Actor(
        uid=1,
        name="a",
        scope="000000",
        spec=None,
        lane=None,
        config_toml="",
        listens_to=None,
        own_scope_only=False,
    )  # type: ignore[arg-type]
    actor.state = state  # type: ignore[assignment]
    return actor


def _agent(state: str) -> Agent:
    agent = Agent(scope="000000", name="root", parent=None, actor_names=())
    agent.state = state  # type: ignore[assignment]
    return agent


@pytest.mark.parametrize(("make", "moves"), [(_actor, ACTOR_MOVES), (_agent, AGENT_MOVES)])
def test_every_transition_is_either_allowed_or_refused(make: Any, moves: dict[str, frozenset[str]]) -> None:
    for before, after in itertools.product(moves, moves):
        thing = make(before)
        if after in moves[before]:
            thing.move(after, "why")
            assert (thing.state, thing.error) == (after, "why")
        else:
            with pytest.raises(IllegalTransition, match=f"{before} -> {after}"):
                thing.move(after)
            assert thing.state == before


def test_final_states_are_final_and_the_predicates_follow_the_states() -> None:
    assert (
        ACTOR_MOVES["failed"]
        == ACTOR_MOVES["exited"]
        == AGENT_MOVES["failed"]
        == AGENT_MOVES["exited"]
        == set()
    )
    assert [s for s in ACTOR_MOVES if _actor(s).live] == ["pending", "ready"]
    assert [s for s in AGENT_MOVES if _agent(s).live] == ["spawning", "running", "exiting"]
    assert [s for s in AGENT_MOVES if _agent(s).starting_or_running] == ["spawning", "running"]
    assert [s for s in AGENT_MOVES if _agent(s).ended] == ["exited", "failed"]
