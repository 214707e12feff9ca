"""Traps in constructors and handlers, runaway handlers, and what keeps running afterwards."""

from __future__ import annotations

import pytest

from tests.helpers import of_type, payloads
from wasmind_nb import IdleTimeout, SpawnError, Wasmind

pytestmark = pytest.mark.anyio

CONFIG = """
starting_actors = ["echo"]
[actors.echo]
source = { path = "echo" }
[actors.fragile]
source = { path = "echo" }
config = { trap_in_constructor = true }
[actors.spinner]
source = { path = "echo" }
capabilities = { handler_timeout_s = 0.3 }
"""


@pytest.mark.parametrize("instances", ["isolated", "pooled"])
async def test_constructor_trap_fails_the_spawn_and_leaves_nothing_running(make_config, instances) -> None:
    config = make_config(CONFIG + f'[runtime]\ninstances = "{instances}"\n')
    async with Wasmind(config, progress=False) as mind:
        with pytest.raises(SpawnError, match="constructor trap requested"):
            await mind.spawn_agent(["echo", "fragile"], name="doomed")
        await mind.wait_idle()
        (doomed,) = [info for info in mind.agents.values() if info.name == "doomed"]
        assert doomed.state == "failed" and "fragile" in doomed.error
        runtime_agent = mind.runtime.agents[doomed.scope]
        assert {a.state for a in runtime_agent.actors} <= {"failed", "exited"}
        assert not any(a.handle is not None for a in runtime_agent.actors)
        (note,) = payloads(mind, "wasmind.common.ui.UserNotification")
        assert note["level"] == "Error" and note["source"] == doomed.scope
        # the rest of the system still works, including a new agent of the same actor type
        ok = await mind.spawn_agent(["echo"], name="fine")
        await mind.broadcast("demo.Ping", None, scope=ok)
        await mind.wait_idle()
        assert any(m.from_scope == ok for m in of_type(mind, "demo.Pong"))


@pytest.mark.parametrize("instances", ["isolated", "pooled"])
async def test_handler_trap_marks_the_actor_failed_and_others_keep_running(make_config, instances) -> None:
    config = make_config(CONFIG + f'[runtime]\ninstances = "{instances}"\n')
    async with Wasmind(config, progress=False) as mind:
        victim = await mind.spawn_agent(["echo"], name="victim")
        bystander = await mind.spawn_agent(["echo"], name="bystander")
        await mind.broadcast("demo.Ping", None, scope=bystander)
        await mind.broadcast("demo.Trap", None, scope=victim)
        await mind.broadcast("demo.Ping", None, scope=victim)  # a failed actor handles nothing more
        await mind.broadcast("demo.Ping", None, scope=bystander)
        await mind.wait_idle()
        failed = [f for f in mind.faults if not f.restarted]
        assert [(f.scope, f.actor) for f in failed] == [(victim, "echo")]
        assert "ValueError: trap requested" in failed[0].error
        pongs = [m.json()["n"] for m in of_type(mind, "demo.Pong") if m.from_scope == bystander]
        # in a pool, the bystander was re-created after its instance was poisoned: its count restarts
        assert pongs == ([1, 1] if instances == "pooled" else [1, 2])
        assert not any(m.from_scope == victim for m in of_type(mind, "demo.Pong"))
        restarted = [(f.scope, f.actor) for f in mind.faults if f.restarted]
        if instances == "pooled":
            assert (bystander, "echo") in restarted and ("000000", "echo") in restarted
        else:
            assert restarted == []


async def test_a_handler_that_never_returns_is_stopped_at_its_deadline(make_config) -> None:
    async with Wasmind(make_config(CONFIG), progress=False) as mind:
        scope = await mind.spawn_agent(["spinner"], name="spinner")
        await mind.broadcast("demo.Spin", None, scope=scope)
        await mind.wait_idle(timeout=30)
        (fault,) = mind.faults
        assert fault.actor == "spinner" and "deadline" in fault.error
        await mind.broadcast("demo.Ping", None)
        await mind.wait_idle()
        assert of_type(mind, "demo.Pong")


async def test_wait_idle_timeout_names_what_is_busy(make_config) -> None:
    config = make_config(CONFIG.replace("handler_timeout_s = 0.3", "handler_timeout_s = 5"))
    async with Wasmind(config, progress=False) as mind:
        scope = await mind.spawn_agent(["spinner"], name="spinner")
        await mind.broadcast("demo.Spin", None, scope=scope)
        with pytest.raises(IdleTimeout, match=rf"spinner@{scope}.*running spinner@{scope} on demo.Spin"):
            await mind.wait_idle(timeout=0.2)
        await mind.wait_idle(timeout=30)  # the deadline ends it; the runtime is usable again
        assert mind.faults[0].actor == "spinner"


async def test_failed_isolated_actors_free_their_store_at_once(make_config) -> None:
    async with Wasmind(make_config(CONFIG), progress=False) as mind:
        lanes_before = len(mind.runtime.lanes)
        with pytest.raises(SpawnError):
            await mind.spawn_agent(["echo", "fragile"], name="doomed")
        victim = await mind.spawn_agent(["echo"], name="victim")
        await mind.broadcast("demo.Trap", None, scope=victim)
        await mind.wait_idle()
        # neither the trapped constructor's nor the trapped handler's store is kept, nor their lanes
        assert len(mind.runtime.lanes) == lanes_before
        runtime = mind.runtime
    assert all(lane.instance is None for lane in runtime.lanes)  # shutdown frees the rest
