"""``wasmind_sdk.panel``: one answer from each agent of a group, outside a component (spawns are faked)."""

from __future__ import annotations

import pytest

import wasmind_sdk
from wasmind_sdk import panel as panel_module
from wasmind_sdk.host import HostError
from wasmind_sdk.panel import MemberSpawnError, Panel


class FakeHost:
    """Stands in for the host's ``spawn_agent``: scopes s1, s2, ...; names in ``refuse`` fail."""

    def __init__(self, refuse: tuple[str, ...] = ()) -> None:
        self.spawned: list[tuple[list[str], str]] = []
        self.refuse = refuse

    def __call__(self, actors: list[str], name: str) -> str:
        if name in self.refuse:
            raise HostError(f"no actor named '{actors[0]}'")
        self.spawned.append((actors, name))
        return f"s{len(self.spawned)}"


@pytest.fixture
def host(monkeypatch: pytest.MonkeyPatch) -> FakeHost:
    fake = FakeHost()
    monkeypatch.setattr(panel_module, "spawn_agent", fake)
    return fake


MEMBERS = {"alice": ["alice_assistant"], "bob": ["bob_assistant", "files"]}


def test_the_panel_is_exported() -> None:
    assert {"Panel", "Round", "Seat", "MemberSpawnError"} <= set(wasmind_sdk.__all__)
    assert wasmind_sdk.Panel is Panel


def test_convene_spawns_and_briefs_each_member(host: FakeHost) -> None:
    briefed: list[tuple[str, str]] = []
    round_ = Panel().convene(
        "call1", MEMBERS, ["review_plan"], lambda name, scope: briefed.append((name, scope))
    )
    assert host.spawned == [
        (["alice_assistant", "review_plan"], "alice"),
        (["bob_assistant", "files", "review_plan"], "bob"),
    ]
    assert briefed == [("alice", "s1"), ("bob", "s2")]
    assert (round_.key, round_.pending, round_.answered, round_.complete) == ("call1", 2, 0, False)


def test_a_round_completes_when_every_member_answered_in_member_order(host: FakeHost) -> None:
    panel = Panel()
    panel.convene("call1", MEMBERS)
    partial = panel.answer("s2", "bob says")
    assert partial is not None and not partial.complete and partial.pending == 1
    done = panel.answer("s1", "alice says")
    assert done is not None and done.complete
    assert done.answers == [("alice", "s1", "alice says"), ("bob", "s2", "bob says")]
    assert "call1" not in panel  # a complete round is forgotten
    assert panel.answer("s1", "again") is None


def test_only_the_first_answer_counts_and_strangers_are_ignored(host: FakeHost) -> None:
    panel = Panel()
    panel.convene("call1", MEMBERS)
    assert panel.answer("elsewhere", "hi") is None
    panel.answer("s1", "first")
    assert panel.answer("s1", "second") is None
    assert panel.left("s1") is None  # its exit after answering changes nothing
    done = panel.answer("s2", "bob says")
    assert done is not None and done.answers[0] == ("alice", "s1", "first")


def test_a_member_that_leaves_is_a_missing_answer(host: FakeHost) -> None:
    panel = Panel()
    panel.convene("call1", MEMBERS)
    panel.answer("s1", "alice says")
    done = panel.left("s2", "failed: boom")
    assert done is not None and done.complete and done.answered == 1
    assert done.answers[1] == ("bob", "s2", None)
    assert (done.seats[1].state, done.seats[1].reason) == ("left", "failed: boom")
    assert panel.left("s1") is None


def test_rounds_are_independent(host: FakeHost) -> None:
    panel = Panel()
    panel.convene("call1", {"alice": ["a"]})
    panel.convene("call2", {"alice": ["a"]})
    second = panel.answer("s2", "for call2")
    assert second is not None and second.key == "call2" and second.complete
    assert "call1" in panel
    first = panel.answer("s1", "for call1")
    assert first is not None and first.key == "call1" and first.answers == [("alice", "s1", "for call1")]


def test_a_failed_spawn_abandons_the_round_and_names_the_member(monkeypatch: pytest.MonkeyPatch) -> None:
    host = FakeHost(refuse=("bob",))
    monkeypatch.setattr(panel_module, "spawn_agent", host)
    briefed: list[str] = []
    panel = Panel()
    with pytest.raises(MemberSpawnError) as caught:
        panel.convene("call1", MEMBERS, (), lambda name, _scope: briefed.append(name))
    assert isinstance(caught.value, HostError) and caught.value.member == "bob"
    assert "'bob'" in str(caught.value) and "bob_assistant" in str(caught.value)
    assert briefed == []  # alice was spawned but never given the task
    assert "call1" not in panel and panel.answer("s1", "late") is None


def test_a_failing_brief_abandons_the_round(host: FakeHost) -> None:
    def brief(name: str, _scope: str) -> None:
        raise RuntimeError(f"cannot brief {name}")

    panel = Panel()
    with pytest.raises(RuntimeError):
        panel.convene("call1", MEMBERS, (), brief)
    assert "call1" not in panel and panel.answer("s1", "late") is None


def test_bad_rounds_are_refused(host: FakeHost) -> None:
    panel = Panel()
    with pytest.raises(ValueError, match="at least one member"):
        panel.convene("call1", {})
    panel.convene("call1", {"alice": ["a"]})
    with pytest.raises(ValueError, match="already open"):
        panel.convene("call1", {"bob": ["b"]})
    assert len(host.spawned) == 1


def test_drop_forgets_a_round(host: FakeHost) -> None:
    panel = Panel()
    panel.convene("call1", MEMBERS)
    dropped = panel.drop("call1")
    assert dropped is not None and dropped.pending == 2
    assert panel.answer("s1", "late") is None and panel.drop("call1") is None
