"""AgentView's Python side: state rows, deltas, throttling, filters and front-end requests.

A fake source stands in for ``Wasmind`` and a fake loop for the asyncio clock, so timing is exact.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wasmind_nb.config import Config
from wasmind_nb.notebook.view_state import (
    A_DETAIL,
    A_FAILED,
    A_FAULTS,
    A_NAME,
    A_PARENT,
    A_STATE,
    A_STATUS,
    A_USAGE,
    FLAG_CUT,
    FLAG_REPLAY,
    M_FLAGS,
    M_SEQ,
    M_TARGET,
    M_TEXT,
)
from wasmind_nb.notebook.widget import AgentView, Throttle, ViewState, message_matches, status_of
from wasmind_nb.runtime.events import ActorFault, AgentEvent, Envelope, RuntimeEvent
from wasmind_nb.usage import RESPONSE_TYPE, Pricing

ROOT = "000000"
STATUS = "wasmind.common.assistant.StatusUpdate"
SPAWNED = "wasmind.common.actors.AgentSpawned"
FILTER_CASES = Path(__file__).parents[2] / "js" / "test" / "filter_cases.json"


# -- fakes -------------------------------------------------------------------------------------------


class FakeHandle:
    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeLoop:
    """``time()`` + ``call_later()`` on a clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 100.0
        self.timers: list[FakeHandle] = []
        self.delays: list[float] = []

    def time(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[[], None]) -> FakeHandle:
        self.delays.append(delay)
        handle = FakeHandle(self.now + delay, callback)
        self.timers.append(handle)
        return handle

    @property
    def scheduled(self) -> list[FakeHandle]:
        return [h for h in self.timers if not h.cancelled]

    def advance(self, seconds: float) -> None:
        end = self.now + seconds
        while due := [h for h in self.scheduled if h.when <= end + 1e-12]:
            handle = min(due, key=lambda h: h.when)
            self.timers.remove(handle)
            self.now = max(self.now, handle.when)
            handle.callback()
        self.now = end


class FakeMind:
    """The ``AgentSource`` protocol: observers, an agent table and the message history."""

    def __init__(self) -> None:
        self.agents: dict[str, dict[str, Any]] = {}
        self.messages: list[Envelope] = []
        self.observers: list[Callable[[list[RuntimeEvent]], None]] = []

    def observe(self, callback: Callable[[list[RuntimeEvent]], None]) -> Callable[[], None]:
        self.observers.append(callback)
        return lambda: self.observers.remove(callback)

    def emit(self, *events: RuntimeEvent) -> None:
        for event in events:
            if isinstance(event, Envelope):
                self.messages.append(event)
            elif isinstance(event, AgentEvent):
                state = {"spawned": "running"}.get(event.change, event.change)
                self.agents[event.scope] = {
                    "name": event.name,
                    "parent": event.parent,
                    "actors": event.actors,
                    "state": state,
                }
        for observer in list(self.observers):
            observer(list(events))

    def envelope(
        self,
        message_type: str,
        payload: object,
        scope: str,
        actor: str = "assistant",
        *,
        replay: bool = False,
    ) -> Envelope:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        seq = len(self.messages)
        return Envelope(seq, f"root:{seq:06d}", message_type, actor, scope, data, replay)

    def say(self, message_type: str, payload: object, scope: str, actor: str = "assistant") -> Envelope:
        env = self.envelope(message_type, payload, scope, actor)
        self.emit(env)
        return env


def spawned(
    scope: str, name: str, parent: str | None = ROOT, actors: tuple[str, ...] = ("assistant",)
) -> AgentEvent:
    return AgentEvent("spawned", scope, name, parent, actors)


def make_view(
    mind: FakeMind | None = None, **options: Any
) -> tuple[AgentView, FakeLoop, list[dict[str, Any]]]:
    loop = FakeLoop()
    view = AgentView(loop=loop, **options)
    sent: list[dict[str, Any]] = []
    view.send = lambda content, buffers=None: sent.append(copy.deepcopy(content))  # type: ignore[method-assign]
    if mind is not None:
        view.attach(mind)
    return view, loop, sent


def deltas(sent: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in sent if m["kind"] == "delta"]


def front_end_apply(state: dict[str, Any], delta: dict[str, Any]) -> None:
    """What js/src/store.js does with a delta (kept deliberately literal)."""
    assert delta["rev"] == state["rev"] + 1, "deltas must arrive in order, without gaps"
    index = {row[0]: i for i, row in enumerate(state["agents"])}
    for row in delta["agents"]:
        if row[0] in index:
            state["agents"][index[row[0]]] = row
        else:
            index[row[0]] = len(state["agents"])
            state["agents"].append(row)
    state["faults"].extend(delta["faults"])
    state["messages"].extend(delta["messages"])
    drop = delta["dropped"] - state["dropped"]
    del state["messages"][:drop]
    state["dropped"] = delta["dropped"]
    state["rev"] = delta["rev"]


def synced_state(view: AgentView) -> dict[str, Any]:
    """A deep copy of the traitlets, as a front end connecting now would receive them."""
    return copy.deepcopy(
        {
            "agents": view.agents,
            "messages": view.messages,
            "faults": view.faults,
            "rev": view.meta["rev"],
            "dropped": view.meta["dropped"],
        }
    )


# -- status ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"status": {"Processing": {"request_id": "r1"}}}, ("processing", "")),
        ({"status": {"Wait": {"reason": "WaitingForUserInput"}}}, ("waiting", "WaitingForUserInput")),
        (
            {
                "status": {
                    "Wait": {"reason": {"WaitingForTools": {"originating_request_id": "r", "tool_calls": {}}}}
                }
            },
            ("waiting", "WaitingForTools"),
        ),
        (
            {"status": {"Done": {"result": {"Ok": {"summary": "all good", "success": True}}}}},
            ("done", "all good"),
        ),
        (
            {"status": {"Done": {"result": {"Ok": {"summary": "gave up", "success": False}}}}},
            ("error", "gave up"),
        ),
        ({"status": {"Done": {"result": {"Err": "boom"}}}}, ("error", "boom")),
        ({"status": "Weird"}, ("", "")),
        (None, ("", "")),
    ],
)
def test_status_of_maps_every_status(payload: object, expected: tuple[str, str]) -> None:
    assert status_of(payload) == expected


# -- state rows --------------------------------------------------------------------------------------


def test_agent_rows_follow_lifecycle_status_and_faults() -> None:
    state = ViewState()
    state.apply(
        [
            AgentEvent("spawning", "aaaaaa", "manager", ROOT, ("assistant", "spawn_agent")),
            spawned("aaaaaa", "manager", actors=("assistant", "spawn_agent")),
            Envelope(
                0, "root:x", STATUS, "assistant", "aaaaaa", b'{"status":{"Processing":{"request_id":"1"}}}'
            ),
            ActorFault("aaaaaa", "spawn_agent", "trap: unreachable"),
            AgentEvent("failed", "bbbbbb", "worker", "aaaaaa", ("assistant",), "constructor trapped"),
            AgentEvent("exited", "aaaaaa", "manager", ROOT, ("assistant", "spawn_agent")),
        ]
    )
    # The root placeholder comes first: a parent row always precedes its children.
    assert [row[0] for row in state.agents] == [ROOT, "aaaaaa", "bbbbbb"]
    root, manager, worker = state.agents
    assert (root[A_NAME], root[A_STATE]) == ("root", "unknown")
    assert manager[A_PARENT] == ROOT
    assert (manager[A_STATE], manager[A_STATUS], manager[A_FAULTS]) == ("exited", "processing", 1)
    assert (worker[A_STATE], worker[A_DETAIL], worker[A_PARENT]) == (
        "failed",
        "constructor trapped",
        "aaaaaa",
    )
    assert state.faults == [["aaaaaa", "spawn_agent", "trap: unreachable", False]]


def test_message_rows_carry_target_preview_and_flags() -> None:
    state = ViewState(payload_preview=16)
    big = json.dumps({"agent": "cccccc", "message": {"role": "user", "content": "x" * 100}}).encode()
    state.apply(
        [
            Envelope(0, "root:a", "wasmind.common.assistant.AddMessage", "wasmind__context", ROOT, big),
            Envelope(1, "a:b", "litellm.BaseUrlUpdate", "litellm", ROOT, b'{"base_url":"u"}', replay=True),
            Envelope(2, "a:c", "custom.Binary", "tool", "dddddd", b"\xff\xfe"),
        ]
    )
    add, base, binary = state.messages
    assert add[M_TARGET] == "cccccc"
    assert add[M_TEXT] == big[:16].decode()
    assert add[M_FLAGS] == FLAG_CUT
    assert base[M_FLAGS] == FLAG_REPLAY
    assert base[M_TARGET] == ""
    assert binary[M_TEXT] == "\ufffd\ufffd"
    # A sender nobody announced still appears in the graph.
    assert state.agents[-1][0] == "dddddd"


def test_agent_spawned_messages_describe_agents() -> None:
    state = ViewState()
    body = {"agent_id": "eeeeee", "name": "worker", "parent_agent": "aaaaaa", "actors": ["assistant", "bash"]}
    state.apply([Envelope(0, "root:a", SPAWNED, "wasmind__context", ROOT, json.dumps(body).encode())])
    row = state.agents[state.index["eeeeee"]]
    assert (row[A_NAME], row[A_PARENT], row[6], row[A_STATE]) == (
        "worker",
        "aaaaaa",
        ["assistant", "bash"],
        "live",
    )


def test_envelopes_already_seen_are_dropped() -> None:
    state = ViewState()
    first = Envelope(0, "root:a", "t", "a", ROOT, b"null")
    state.apply([first, Envelope(1, "root:b", "t", "a", ROOT, b"null")])
    state.apply([first])
    assert [m[M_SEQ] for m in state.messages] == [0, 1]


def test_max_messages_drops_oldest_and_counts_them() -> None:
    state = ViewState(max_messages=3)
    state.apply([Envelope(i, f"root:{i}", "t", "a", ROOT, b"null") for i in range(5)])
    assert [m[M_SEQ] for m in state.messages] == [2, 3, 4]
    assert state.dropped == 2
    assert state.take_delta()["dropped"] == 2  # type: ignore[index]


def test_take_delta_lists_each_changed_agent_once() -> None:
    state = ViewState()
    state.apply([spawned("aaaaaa", "a")])
    state.take_delta()
    state.apply(
        [
            Envelope(0, "root:a", STATUS, "assistant", "aaaaaa", b'{"status":{"Processing":{}}}'),
            Envelope(
                1,
                "root:b",
                STATUS,
                "assistant",
                "aaaaaa",
                b'{"status":{"Wait":{"reason":"WaitingForLiteLLM"}}}',
            ),
        ]
    )
    delta = state.take_delta()
    assert delta is not None
    assert [row[0] for row in delta["agents"]] == ["aaaaaa"]
    assert delta["agents"][0][A_STATUS] == "waiting"
    assert len(delta["messages"]) == 2
    assert state.take_delta() is None


# -- throttle ----------------------------------------------------------------------------------------


def test_throttle_coalesces_and_caps_the_rate() -> None:
    loop = FakeLoop()
    calls: list[float] = []
    throttle = Throttle(lambda: calls.append(loop.now), 0.1, lambda: loop)
    throttle.request()
    throttle.request()
    assert loop.delays == [0.0]  # leading edge: the first change goes out on the next loop turn
    loop.advance(0)
    assert calls == [100.0]
    throttle.request()
    assert loop.delays[-1] == pytest.approx(0.1)  # then no sooner than one interval later
    loop.advance(0.05)
    throttle.request()
    assert len(loop.scheduled) == 1
    loop.advance(0.05)
    assert calls == [100.0, pytest.approx(100.1)]


def test_throttle_without_a_loop_runs_at_once() -> None:
    calls: list[int] = []
    throttle = Throttle(lambda: calls.append(1), 0.1, lambda: None)
    throttle.request()
    assert calls == [1]


def test_a_stream_of_events_is_flushed_at_most_30_times_a_second() -> None:
    mind = FakeMind()
    view, loop, sent = make_view(mind)
    mind.emit(spawned("aaaaaa", "a"))
    for _ in range(3000):  # one message every millisecond, for three seconds
        mind.say("t", None, "aaaaaa")
        loop.advance(0.001)
    loop.advance(1)
    assert 85 <= len(deltas(sent)) <= 92
    assert sum(len(d["messages"]) for d in deltas(sent)) == 3000
    assert len(view.messages) == 3000


# -- the widget: deltas and synced state ---------------------------------------------------------------


def test_attach_publishes_history_and_agent_table() -> None:
    mind = FakeMind()
    mind.emit(spawned("aaaaaa", "manager"), spawned("bbbbbb", "worker", parent="aaaaaa"))
    mind.say(STATUS, {"status": {"Wait": {"reason": "WaitingForUserInput"}}}, "aaaaaa")
    mind.agents["bbbbbb"]["state"] = "exited"
    view, _, sent = make_view(mind)
    rows = {row[0]: row for row in view.agents}
    assert rows["aaaaaa"][A_STATE] == "live"  # the runtime's "running"
    assert (rows["aaaaaa"][A_STATUS], rows["aaaaaa"][A_DETAIL]) == ("waiting", "WaitingForUserInput")
    assert rows["bbbbbb"][A_STATE] == "exited"
    assert len(view.messages) == 1
    assert view.meta == {"rev": 1, "dropped": 0}
    assert sent == []  # attach is a full state sync, not a delta


def test_agents_only_in_history_are_shown_as_exited() -> None:
    mind = FakeMind()
    mind.say("t", None, "aaaaaa")
    view, _, _ = make_view(mind)
    assert {row[0]: row[A_STATE] for row in view.agents} == {"aaaaaa": "exited"}


def test_live_changes_travel_as_deltas_not_state_resends() -> None:
    mind = FakeMind()
    view, loop, sent = make_view(mind)
    resent: list[str] = []
    view.observe(lambda change: resent.append(change["name"]), names=["agents", "messages", "faults", "meta"])
    mind.emit(spawned("aaaaaa", "a"))
    mind.say("t", {"x": 1}, "aaaaaa")
    assert sent == []  # nothing before the loop turns
    loop.advance(0)
    (delta,) = deltas(sent)
    assert delta["rev"] == view.meta["rev"] == 2
    assert [row[0] for row in delta["agents"]] == [ROOT, "aaaaaa"]
    assert [m[M_SEQ] for m in delta["messages"]] == [0]
    assert resent == []  # the traitlets were updated in place: no full-state sync
    assert len(view.messages) == 1


def test_deltas_rebuild_the_final_state_and_late_views_start_from_it() -> None:
    rng = random.Random(7)
    mind = FakeMind()
    view, loop, sent = make_view(mind, max_messages=500)
    early = synced_state(view)
    late: dict[str, Any] | None = None
    scopes = [ROOT]
    for step in range(2000):
        roll = rng.random()
        if roll < 0.05:
            scope = f"s{step:05d}"
            mind.emit(spawned(scope, f"agent{step}", parent=rng.choice(scopes)))
            scopes.append(scope)
        elif roll < 0.07:
            mind.emit(AgentEvent("exited", rng.choice(scopes), "x", None))
        elif roll < 0.08:
            mind.emit(ActorFault(rng.choice(scopes), "tool", "trap"))
        elif roll < 0.3:
            status = rng.choice([{"Processing": {}}, {"Wait": {"reason": "WaitingForTools"}}, {"Done": {}}])
            mind.say(STATUS, {"status": status}, rng.choice(scopes))
        else:
            mind.say("custom.Event", {"agent": rng.choice(scopes), "n": step}, rng.choice(scopes))
        loop.advance(rng.choice([0, 0.001, 0.02]))
        if step == 1000:
            late = synced_state(view)  # a front end connecting now gets this state, then later deltas
            late_from = len(deltas(sent))
    loop.advance(1)
    final = synced_state(view)
    for delta in deltas(sent):
        front_end_apply(early, delta)
    assert late is not None
    for delta in deltas(sent)[late_from:]:
        front_end_apply(late, delta)
    assert early == final
    assert late == final
    assert final["dropped"] == len(mind.messages) - 500


def test_pending_events_are_not_in_the_synced_state_until_flushed() -> None:
    mind = FakeMind()
    view, loop, _sent = make_view(mind)
    mind.say("t", None, ROOT)
    assert view.messages == []  # a front end connecting now sees rev 1 and receives the change as rev 2
    loop.advance(0)
    assert view.meta["rev"] == 2
    assert len(view.messages) == 1


def test_detach_flushes_and_stops_following() -> None:
    mind = FakeMind()
    view, loop, _sent = make_view(mind)
    mind.say("t", None, ROOT)
    view.detach()
    assert len(view.messages) == 1
    assert mind.observers == []
    mind.say("t", None, ROOT)
    loop.advance(1)
    assert len(view.messages) == 1
    assert loop.scheduled == []


def test_reattaching_replaces_the_state() -> None:
    first, second = FakeMind(), FakeMind()
    first.emit(spawned("aaaaaa", "a"))
    second.emit(spawned("bbbbbb", "b"))
    view, _, _ = make_view(first)
    rev = view.meta["rev"]
    changes: list[str] = []
    view.observe(lambda change: changes.append(change["name"]), names=["agents", "meta"])
    view.attach(second)
    assert [row[0] for row in view.agents] == [ROOT, "bbbbbb"]
    assert view.meta["rev"] == rev + 1
    assert set(changes) == {"agents", "meta"}
    assert first.observers == []


def test_an_observer_error_never_reaches_the_runtime(caplog: pytest.LogCaptureFixture) -> None:
    mind = FakeMind()
    view, _, _ = make_view(mind)
    view._pending = None  # type: ignore[assignment]  # break the widget on purpose
    mind.emit(spawned("aaaaaa", "a"))
    assert "could not take events" in caplog.text


def test_events_without_a_running_loop_are_applied_at_once() -> None:
    mind = FakeMind()
    view = AgentView(mind)
    mind.say("t", None, ROOT)
    assert len(view.messages) == 1


# -- front-end requests ----------------------------------------------------------------------------------


def test_payload_request_returns_the_full_payload() -> None:
    mind = FakeMind()
    view, loop, sent = make_view(mind, payload_preview=8)
    env = mind.say("t", {"text": "a long payload"}, ROOT)
    loop.advance(0)
    assert view.messages[0][M_FLAGS] & FLAG_CUT
    view._on_front_end_message(view, {"kind": "payload", "seq": env.seq}, [])
    view._on_front_end_message(view, {"kind": "payload", "seq": 99}, [])
    assert sent[-2:] == [
        {"kind": "payload", "seq": 0, "text": env.payload.decode()},
        {"kind": "payload", "seq": 99, "text": None},
    ]


def test_a_bad_request_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    view, _, sent = make_view(FakeMind())
    view._on_front_end_message(view, {"kind": "payload", "seq": "not a number"}, [])
    view._on_front_end_message(view, "junk", [])
    assert sent == []
    assert "could not answer 'payload'" in caplog.text


def test_resync_request_returns_a_snapshot_of_everything() -> None:
    mind = FakeMind()
    view, _loop, sent = make_view(mind)
    mind.emit(spawned("aaaaaa", "a"))
    mind.say("t", None, "aaaaaa")
    view._on_front_end_message(view, {"kind": "resync"}, [])
    snapshot = sent[-1]
    assert snapshot["kind"] == "snapshot"
    assert snapshot["rev"] == view.meta["rev"] == 2  # pending events were flushed first
    assert len(snapshot["messages"]) == 1
    assert [row[0] for row in snapshot["agents"]] == [ROOT, "aaaaaa"]


# -- filters ---------------------------------------------------------------------------------------------


def test_filters_agree_with_the_front_end_cases() -> None:
    cases = json.loads(FILTER_CASES.read_text())
    for case in cases["cases"]:
        pairs = [tuple(pair) for pair in cases.get("agents", [])]
        got = [row[M_SEQ] for row in cases["rows"] if message_matches(row, **case["filter"], agents=pairs)]
        assert got == case["seqs"], case


def test_filtered_messages_use_the_synced_filters() -> None:
    mind = FakeMind()
    view, _loop, _ = make_view(mind)
    mind.emit(spawned("aaaaaa", "a"), spawned("bbbbbb", "b"))
    mind.say(STATUS, {"status": {"Processing": {}}}, "aaaaaa")
    mind.say("wasmind.common.assistant.AddMessage", {"agent": "aaaaaa"}, "bbbbbb", actor="send_message")
    mind.say("wasmind.common.tools.ExecuteToolCall", {}, "bbbbbb")
    view.filter(scope="aaaaaa")
    assert [m.seq for m in view.filtered_messages()] == [0, 1]  # flushes first; target counts
    view.filter(type="tools.")
    assert view.filtered_messages() == []
    view.filter(scope="", type="", actor="SEND")
    assert [(m.seq, m.type, m.actor) for m in view.filtered_messages()] == [
        (1, "wasmind.common.assistant.AddMessage", "send_message")
    ]
    assert (view.filter_scope, view.filter_type, view.filter_actor) == ("", "", "SEND")


# -- issue 12: faults at creation, failed agents, usage, name and text filters -----------------------


class FaultyMind(FakeMind):
    """A source whose ``faults`` list, like ``Wasmind.faults``, holds the very objects it emitted."""

    def __init__(self) -> None:
        super().__init__()
        self.faults: list[ActorFault] = []

    def emit(self, *events: RuntimeEvent) -> None:
        self.faults.extend(e for e in events if isinstance(e, ActorFault))
        super().emit(*events)


def test_a_view_created_after_a_crash_shows_the_fault() -> None:
    mind = FaultyMind()
    mind.emit(spawned("aaaaaa", "boom", actors=("echo",)))
    mind.emit(spawned("bbbbbb", "calm", actors=("echo", "probe")))
    mind.emit(ActorFault("aaaaaa", "echo", "ValueError: trap requested\nmore"))
    mind.emit(ActorFault("bbbbbb", "probe", "trap"))
    mind.agents["aaaaaa"]["state"] = "failed"  # what Wasmind.agents says of an agent whose actors all failed
    view, _loop, _ = make_view(mind)
    rows = {row[0]: row for row in view.agents}
    assert rows["aaaaaa"][A_FAULTS] == 1 and rows["aaaaaa"][A_STATE] == "failed"
    assert (rows["bbbbbb"][A_FAULTS], rows["bbbbbb"][A_FAILED], rows["bbbbbb"][A_STATE]) == (1, 1, "live")
    assert [f[:2] for f in view.faults] == [["aaaaaa", "echo"], ["bbbbbb", "probe"]]
    # The observer may deliver a fault the history already held: it is counted once.
    for observer in mind.observers:
        observer([mind.faults[0]])
    view.flush()
    assert {row[0]: row[A_FAULTS] for row in view.agents}["aaaaaa"] == 1
    assert len(view.faults) == 2


def test_an_agent_whose_actors_all_failed_is_failed_even_after_it_exits() -> None:
    state = ViewState()
    state.apply(
        [
            spawned("aaaaaa", "pair", actors=("echo", "probe")),
            ActorFault("aaaaaa", "echo", "first\nsecond"),
            ActorFault("aaaaaa", "probe", "restarted after a trap in its pool", True),
        ]
    )
    (_, row) = state.agents
    assert (row[A_STATE], row[A_FAILED], row[A_FAULTS]) == ("live", 1, 2)  # a restart is no failure
    state.apply([ActorFault("aaaaaa", "probe", "trap")])
    assert (row[A_STATE], row[A_DETAIL], row[A_FAILED]) == ("failed", "actor 'echo' failed: first", 2)
    state.apply([AgentEvent("exited", "aaaaaa", "pair", ROOT, ("echo", "probe"))])
    assert row[A_STATE] == "failed"


def test_agent_rows_count_model_usage_and_cost() -> None:
    config = Config.from_toml(
        'starting_actors = []\n[actors.assistant]\nsource = { builtin = "assistant" }\n'
        'config = { model_name = "m" }\n[actors.other]\nsource = { builtin = "assistant" }\n'
        'config = { model_name = "free" }\n'
        '[llm]\nprices = { "m" = { input_per_mtok = 2.0, output_per_mtok = 10.0 } }\n'
    )
    state = ViewState(pricing=Pricing(config.actors, config.llm.prices))

    def response(seq: int, prompt: int, completion: int, actor: str = "assistant") -> Envelope:
        usage = {"prompt_tokens": prompt, "completion_tokens": completion}
        payload = json.dumps({"message": {"content": "hi"}, "usage": usage}).encode()
        return Envelope(seq, f"r:{seq}", RESPONSE_TYPE, actor, "aaaaaa", payload)

    state.apply([spawned("aaaaaa", "coder"), response(0, 1000, 100), response(1, 500, 50)])
    row = state.agents[state.index["aaaaaa"]]
    assert row[A_USAGE] == [2, 1500, 150, pytest.approx((1500 * 2 + 150 * 10) / 1e6)]
    state.apply([response(2, 10, 1, actor="other")])  # a model without a price: the cost is unknown
    assert row[A_USAGE] == [3, 1510, 151, None]
    assert ViewState().agents == [] and ViewState()._agent("x")[A_USAGE] == [0, 0, 0, None]


def test_the_scope_filter_takes_an_agent_name_and_search_looks_in_payloads() -> None:
    mind = FakeMind()
    view, _loop, _ = make_view(mind)
    mind.emit(spawned("aaaaaa", "Coder"), spawned("bbbbbb", "reviewer"))
    mind.say(STATUS, {"status": {"Processing": {}}}, "aaaaaa")
    mind.say("wasmind.common.assistant.AddMessage", {"agent": "aaaaaa", "text": "Make it GREET"}, ROOT)
    mind.say("custom.Note", {"text": "greetings"}, "bbbbbb")
    view.filter(scope="coder")
    assert [m.seq for m in view.filtered_messages()] == [0, 1]
    view.filter(scope="reviewer", text="GREET")
    assert [m.seq for m in view.filtered_messages()] == [2]
    view.filter(scope="", text="greet")
    assert [m.seq for m in view.filtered_messages()] == [1, 2]
    assert view.filter_text == "greet" and view.message_count == 3
    view.filter(text="absent")
    assert view.filtered_messages() == []
