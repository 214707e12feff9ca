"""Quotas: an actor cannot flood the bus or grow the agent tree without bound; the fault names the key."""

from __future__ import annotations

import pytest

from tests.helpers import of_type
from wasmind_nb import Wasmind
from wasmind_nb.errors import SpawnError
from wasmind_nb.runtime.quotas import MessageRate

pytestmark = pytest.mark.anyio


def echo(make_config, runtime: str = "", config: str = ""):
    text = f'starting_actors = ["echo"]\n[runtime]\n{runtime}\n[actors.echo]\nsource = {{ path = "echo" }}\n'
    return make_config(text + (f"config = {{ {config} }}\n" if config else ""))


async def test_too_many_messages_in_one_call_fail_the_actor_naming_the_quota(make_config) -> None:
    config = echo(make_config, "max_messages_per_call = 50")
    async with Wasmind(config, progress=False) as mind:
        await mind.broadcast("demo.Flood", {"count": 40})
        await mind.wait_idle()
        assert len(of_type(mind, "demo.Drop")) == 40 and not mind.faults
        await mind.broadcast("demo.Flood", {"count": 500})
        await mind.wait_idle()
        assert len(of_type(mind, "demo.Drop")) == 40 + 50  # the 51st was refused, and the actor failed
        (fault,) = mind.faults
        assert fault.actor == "echo" and "max_messages_per_call" in fault.error


async def test_a_chain_reaction_ends_and_the_system_goes_idle(make_config) -> None:
    config = echo(make_config, "max_message_rate = 20", "amplify = true")
    async with Wasmind(config, progress=False) as mind:
        await mind.broadcast("demo.Drop", {"n": 0})
        await mind.wait_idle(timeout=120)
        (fault,) = mind.faults
        assert "max_message_rate" in fault.error
        assert len(of_type(mind, "demo.Drop")) <= 1 + 20 * 10 + 2  # the burst, and nothing after


async def test_the_agent_tree_is_bounded_in_size_and_depth(make_config) -> None:
    async with Wasmind(echo(make_config, "max_agents = 3\nmax_spawn_depth = 1"), progress=False) as mind:
        child = await mind.spawn_agent(["echo"], "child")
        with pytest.raises(SpawnError, match=r"max_spawn_depth = 1"):
            await mind.spawn_agent(["echo"], "grandchild", parent=child)
        await mind.spawn_agent(["echo"], "second")
        with pytest.raises(SpawnError, match=r"\[runtime\] max_agents"):
            await mind.spawn_agent(["echo"], "third")
        await mind.exit_agent(child)
        await mind.wait_idle()
        await mind.spawn_agent(["echo"], "after")  # an exited agent frees its place


def test_the_rate_refills_with_time() -> None:
    now = [0.0]
    rate = MessageRate(2.0, clock=lambda: now[0])
    assert all(rate.take() for _ in range(20)) and not rate.take()  # a burst of 10 s worth
    now[0] += 1.0
    assert rate.take() and rate.take() and not rate.take()


async def test_a_host_broadcast_over_the_payload_limit_is_refused_at_once(make_config) -> None:
    from wasmind_nb.host.bytelists import MAX_PAYLOAD_BYTES, PayloadTooLarge

    async with Wasmind(echo(make_config), progress=False) as mind:
        before = len(mind.messages)
        with pytest.raises(PayloadTooLarge, match="MAX_PAYLOAD_BYTES"):
            await mind.broadcast("demo.Echo", b"x" * (MAX_PAYLOAD_BYTES + 1))
        assert len(mind.messages) == before and not mind.faults


async def test_failed_and_exited_agents_free_their_places_and_names(make_config) -> None:
    """The runtime keeps the live count and the names as agents come and go (a spawn counts none)."""
    text = (
        'starting_actors = ["echo"]\n[runtime]\nmax_agents = 3\n'
        '[actors.echo]\nsource = { path = "echo" }\n'
        '[actors.broken]\nsource = { path = "echo" }\nconfig = { trap_in_constructor = true }\n'
    )
    async with Wasmind(make_config(text), progress=False) as mind:
        for _ in range(3):  # each failed agent gives its place back
            with pytest.raises(SpawnError, match="constructor trap requested"):
                await mind.spawn_agent(["broken"], "broken")
        first = await mind.spawn_agent(["echo"], "worker")
        with pytest.raises(SpawnError, match="an agent named 'worker' already runs"):
            await mind.spawn_agent(["echo"], "worker")
        await mind.spawn_agent(["echo"], "other")
        with pytest.raises(SpawnError, match=r"\[runtime\] max_agents"):
            await mind.spawn_agent(["echo"], "third")
        await mind.exit_agent(first)
        await mind.wait_idle()
        await mind.spawn_agent(["echo"], "worker")  # its name and its place are free again
        runtime = mind.runtime
        assert runtime._live_agents == sum(1 for a in runtime.agents.values() if a.live) == 3
