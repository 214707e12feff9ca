"""Spawn (transitive dependencies, unknown names), readiness exactly once, replay, exit."""

from __future__ import annotations

import pytest

from tests.helpers import of_type, payloads
from wasmind_nb import SpawnError, Wasmind
from wasmind_sdk.messages import ActorReady, AgentSpawned, AllActorsReady, Exit

ACTOR_READY, AGENT_SPAWNED = ActorReady.MESSAGE_TYPE, AgentSpawned.MESSAGE_TYPE
ALL_ACTORS_READY, EXIT = AllActorsReady.MESSAGE_TYPE, Exit.MESSAGE_TYPE

pytestmark = pytest.mark.anyio

NETWORK = """
starting_actors = ["echo"]
[actors.echo]
source = { path = "echo" }
[actors.lead]
source = { path = "echo" }
required_spawn_with = ["helper"]
config = { announce = true }
[actors.helper]
source = { path = "echo" }
required_spawn_with = ["sidekick"]
[actors.sidekick]
source = { path = "echo" }
[actors.monitor]
source = { path = "echo" }
auto_spawn = true
"""


SINGLE = """
starting_actors = ["echo"]
[actors.echo]
source = { path = "echo" }
"""


async def test_spawn_expands_required_and_auto_spawn_transitively(make_config) -> None:
    async with Wasmind(make_config(NETWORK), progress=False) as mind:
        scope = await mind.spawn_agent(["lead"], name="team")
        info = mind.agents[scope]
        assert set(info.actors) == {"lead", "helper", "sidekick", "monitor"}
        assert info.parent == "000000" and info.state == "running"
        spawned = [p for p in payloads(mind, AGENT_SPAWNED) if p["agent_id"] == scope]
        assert spawned == [
            {"agent_id": scope, "name": "team", "parent_agent": "000000", "actors": list(info.actors)}
        ]


async def test_readiness_is_announced_exactly_once_per_scope_and_after_every_actor(make_config) -> None:
    async with Wasmind(make_config(NETWORK), progress=False) as mind:
        scopes = [await mind.spawn_agent(["lead"], name=f"t{i}") for i in range(3)]
        await mind.wait_idle()
        for scope in ["000000", *scopes]:
            ready = [m for m in of_type(mind, ACTOR_READY) if m.from_scope == scope]
            assert sorted(m.from_actor_id for m in ready) == sorted(mind.agents[scope].actors)
            (all_ready,) = [m for m in of_type(mind, ALL_ACTORS_READY) if m.from_scope == scope]
            assert all_ready.from_actor_id == "wasmind__coordinator"
            assert all(m.seq < all_ready.seq for m in ready)


async def test_constructor_broadcasts_reach_actors_constructed_later(make_config) -> None:
    async with Wasmind(make_config(NETWORK), progress=False) as mind:
        scope = await mind.spawn_agent(["lead"], name="team")
        await mind.broadcast("demo.Dump", None, scope=scope)
        await mind.wait_idle()
        (announce,) = [m for m in of_type(mind, "demo.Announce") if m.from_scope == scope]
        for dump in payloads(mind, "demo.Dumped"):
            assert announce.id in [entry[0] for entry in dump["received"]]


async def test_unknown_actor_is_rejected_before_anything_starts(make_config) -> None:
    async with Wasmind(make_config(NETWORK), progress=False) as mind:
        before_agents, before_messages = dict(mind.agents), len(mind.messages)
        with pytest.raises(SpawnError, match="nosuch"):
            await mind.spawn_agent(["echo", "nosuch"], name="broken")
        assert mind.agents == before_agents
        assert len(mind.messages) == before_messages


async def test_guest_spawn_links_parent_and_reports_errors(make_config) -> None:
    granted = SINGLE + 'capabilities = { spawn = ["*"] }\n'
    async with Wasmind(make_config(granted), progress=False) as mind:
        await mind.broadcast("demo.Spawn", {"actors": ["echo"], "name": "kid"})
        await mind.broadcast("demo.Spawn", {"actors": ["ghost"], "name": "nope"})
        await mind.wait_idle()
        (spawned,) = payloads(mind, "demo.Spawned")
        kid = spawned["scope"]
        assert mind.agents[kid].parent == "000000" and mind.agents[kid].name == "kid"
        assert "ghost" in payloads(mind, "demo.SpawnFailed")[0]["error"]
        await mind.broadcast("demo.Parent", None, scope=kid)
        await mind.broadcast("demo.Parent", None)
        await mind.wait_idle()
        assert sorted(payloads(mind, "demo.ParentIs"), key=str) == sorted(
            [{"parent": "000000"}, {"parent": None}], key=str
        )
        assert list(mind.graph.edges) == [("000000", kid)]


async def test_replayable_messages_reach_agents_spawned_later(make_config) -> None:
    async with Wasmind(make_config(SINGLE), progress=False) as mind:
        url = {"base_url": "http://127.0.0.1:1", "models_available": ["m"]}
        original = await mind.broadcast("wasmind.common.litellm.BaseUrlUpdate", url)
        scope = await mind.spawn_agent(["echo"], name="late")
        await mind.broadcast("demo.Dump", None, scope=scope)
        await mind.wait_idle()
        replays = [m for m in mind.messages if m.replay and m.seq > original.seq]
        assert [(m.message_type, m.json(), m.from_actor_id) for m in replays] == [
            (original.message_type, url, original.from_actor_id)
        ]
        (dump,) = payloads(mind, "demo.Dumped")
        seen = [entry[0] for entry in dump["received"]]
        assert replays[0].id in seen and original.id not in seen


async def test_exit_of_one_scope_runs_its_destructors_after_queued_messages(make_config) -> None:
    async with Wasmind(make_config(NETWORK), progress=False) as mind:
        doomed = await mind.spawn_agent(["echo"], name="doomed")
        survivor = await mind.spawn_agent(["echo"], name="survivor")
        await mind.broadcast("demo.Ping", None, scope=doomed)
        await mind.exit_agent(doomed)
        await mind.broadcast("demo.Ping", None, scope=doomed)  # after the Exit: never handled
        await mind.broadcast("demo.Ping", None, scope=survivor)
        await mind.wait_idle()
        doomed_msgs = [m for m in mind.messages if m.from_scope == doomed and m.from_actor_id == "echo"]
        assert [m.message_type for m in doomed_msgs][-2:] == ["demo.Pong", "demo.Bye"]
        assert doomed_msgs[-1].json() == {"scope": doomed, "count": 1}
        assert mind.agents[doomed].state == "exited" and mind.agents[survivor].state == "running"
        assert doomed not in mind.live_graph and doomed in mind.graph
        assert any(m.from_scope == survivor and m.message_type == "demo.Pong" for m in mind.messages)
        with pytest.raises(SpawnError):
            await mind.spawn_agent(["echo"], name="orphan", parent=doomed + "x")


async def test_exit_of_the_root_stops_everything(make_config) -> None:
    async with Wasmind(make_config(NETWORK), progress=False) as mind:
        await mind.spawn_agent(["echo"], name="a")
        await mind.spawn_agent(["lead"], name="b")
        await mind.broadcast(EXIT, None)
        await mind.wait_idle()
        assert {info.state for info in mind.agents.values()} == {"exited"}
        byes = {p["scope"] for p in payloads(mind, "demo.Bye")}
        assert byes == set(mind.agents)


async def test_a_config_without_starting_actors_starts_an_empty_root(make_config) -> None:
    config = make_config('[actors.echo]\nsource = { path = "echo" }\n')
    async with Wasmind(config, progress=False) as mind:
        assert mind.agents["000000"].state == "running" and mind.agents["000000"].actors == ()
        assert len([m for m in of_type(mind, ALL_ACTORS_READY) if m.from_scope == "000000"]) == 1
        scope = await mind.spawn_agent(["echo"], name="first")
        assert mind.agents[scope].parent == "000000"


async def test_actors_added_to_a_running_system_are_spawnable(make_config, actors_dir) -> None:
    from wasmind_nb import ActorSpec

    async with Wasmind(make_config(SINGLE), progress=False) as mind:
        with pytest.raises(SpawnError, match="late"):
            await mind.spawn_agent(["late"], name="too-early")
        spec = ActorSpec(name="late", source_path=actors_dir / "echo", kind="python")
        await mind.add_actor(spec)
        scope = await mind.spawn_agent(["late"], name="now")
        assert mind.agents[scope].actors == ("late",) and "late" in mind.config.actors


async def test_exited_isolated_agents_leave_no_lanes_behind(make_config) -> None:
    async with Wasmind(make_config(SINGLE), progress=False) as mind:
        lanes_before = len(mind.runtime.lanes)
        for i in range(5):
            scope = await mind.spawn_agent(["echo"], name=f"temp{i}")
            await mind.exit_agent(scope)
        await mind.wait_idle()
        assert len(mind.runtime.lanes) == lanes_before
        assert mind.runtime.busy_report() == "nothing"
