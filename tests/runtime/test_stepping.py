"""Pause, step and breakpoints: nothing lost while paused, one step = one envelope to all its recipients."""

from __future__ import annotations

import pytest

from tests.helpers import of_type, payloads
from wasmind_nb import Wasmind
from wasmind_nb.errors import BusPaused, SpawnError, WasmindError

pytestmark = pytest.mark.anyio

ECHO = """
starting_actors = ["echo"]
[actors.echo]
source = { path = "echo" }
"""


def bus(mind: Wasmind) -> list[tuple]:
    """The log; the embedded model's address (a free port) left out."""
    return [
        (
            m.seq,
            m.id,
            m.message_type,
            m.from_actor_id,
            m.from_scope,
            b"" if "BaseUrl" in m.message_type else m.payload,
        )
        for m in mind.messages
    ]


async def test_paused_messages_are_logged_but_delivered_only_by_steps(make_config) -> None:
    async with Wasmind(make_config(ECHO), progress=False) as mind:
        await mind.wait_idle()
        mind.pause()
        assert mind.paused and mind.bus_state.held == 0
        await mind.wait_idle()  # paused with nothing held: idle, no error
        ping = await mind.broadcast("demo.Ping", {"x": 1})
        assert mind.messages[-1] is ping  # in the log at once, in order
        state = mind.bus_state
        assert state.paused and state.held == 1 and state.at == ping and state.reason == "paused"
        with pytest.raises(
            BusPaused, match=r"paused \(paused\) with 1 message\(s\) held; next: #\d+ demo.Ping"
        ):
            await mind.wait_idle()
        assert not of_type(mind, "demo.Pong")  # nothing was delivered

        assert await mind.step() == [ping]  # the echo handled it: its Pong is logged, held
        (pong,) = of_type(mind, "demo.Pong")
        assert mind.bus_state.at == pong and mind.bus_state.held == 1
        assert await mind.step(5) == [pong]  # nothing more once the Pong is delivered
        assert await mind.step() == []
        mind.resume()
        assert not mind.paused
        await mind.wait_idle()
        assert payloads(mind, "demo.Pong") == [{"n": 1, "echo": {"x": 1}}]


async def test_step_counts_and_order(make_config) -> None:
    async with Wasmind(make_config(ECHO), progress=False) as mind:
        await mind.wait_idle()
        mind.pause()
        sent = [await mind.broadcast("demo.Ping", {"i": i}) for i in range(3)]
        assert mind.bus_state.held == 3
        stepped = await mind.step(2)
        assert stepped == sent[:2]
        # the two Pongs were logged after the three Pings, behind the held third Ping
        assert [m.message_type for m in mind.messages[-5:]] == ["demo.Ping"] * 3 + ["demo.Pong"] * 2
        assert mind.bus_state.at == sent[2] and mind.bus_state.held == 3
        rest = await mind.step(10)
        assert [m.message_type for m in rest] == ["demo.Ping", "demo.Pong", "demo.Pong", "demo.Pong"]
        assert [p["echo"]["i"] for p in payloads(mind, "demo.Pong")] == [0, 1, 2]


async def test_step_and_break_on_refuse_bad_calls(make_config) -> None:
    async with Wasmind(make_config(ECHO), progress=False) as mind:
        with pytest.raises(WasmindError, match=r"step\(\) needs a paused bus: call mind.pause\(\) first"):
            await mind.step()
        mind.pause()
        with pytest.raises(ValueError, match=r"n must be 1 or more"):
            await mind.step(0)
        with pytest.raises(WasmindError, match="break_on needs message_type, scope or actor"):
            mind.break_on()
        with pytest.raises(WasmindError, match=r"no agent named or scoped .nobody."):
            mind.break_on(scope="nobody")
        with pytest.raises(WasmindError, match=r"no breakpoint 7 \(breakpoints: none\)"):
            mind.clear_breakpoint(7)
        assert mind.breakpoints == [] and mind.paused  # nothing was set, the bus is still paused


async def test_a_breakpoint_on_a_type_pauses_in_front_of_it(make_config) -> None:
    async with Wasmind(make_config(ECHO), progress=False) as mind:
        await mind.wait_idle()
        point = mind.break_on("Pong")  # the last segment of the type is enough
        assert mind.breakpoints == [point] and point.describe() == "type=Pong"
        ping = await mind.broadcast("demo.Ping", {})
        with pytest.raises(BusPaused, match=r"breakpoint 1 \(type=Pong\)"):
            await mind.wait_idle()
        (pong,) = of_type(mind, "demo.Pong")
        state = mind.bus_state
        assert state.paused and state.at == pong and state.reason == "breakpoint 1 (type=Pong)"
        assert pong.seq > ping.seq
        # resume moves past the breakpoint it stopped at, and stops at the next match
        await mind.broadcast("demo.Ping", {})  # held behind the first Pong
        mind.resume()
        with pytest.raises(BusPaused, match="type=Pong"):
            await mind.wait_idle()
        assert len(of_type(mind, "demo.Pong")) == 2 and mind.bus_state.at == of_type(mind, "demo.Pong")[1]
        mind.clear_breakpoint(point)
        assert mind.breakpoints == []
        mind.resume()
        await mind.wait_idle()
        assert not mind.paused and mind.bus_state.held == 0


async def test_breakpoints_on_scope_and_actor(make_config) -> None:
    async with Wasmind(make_config(ECHO), progress=False) as mind:
        child = await mind.spawn_agent(["echo"], name="kid")
        await mind.wait_idle()
        by_scope = mind.break_on(scope="kid")  # by name; stored as the scope
        assert by_scope.scope == child
        await mind.broadcast("demo.Ping", {}, scope="000000")  # from the root: runs on
        await mind.wait_idle()
        ping = await mind.broadcast("demo.Ping", {}, scope=child)
        assert mind.bus_state.at == ping
        mind.clear_breakpoint()
        mind.resume()
        await mind.wait_idle()

        sender = mind.break_on(actor="echo", message_type="demo.Pong")
        await mind.broadcast("demo.Ping", {})
        with pytest.raises(BusPaused, match=r"type=demo.Pong actor=echo"):
            await mind.wait_idle()
        assert mind.bus_state.at.message_type == "demo.Pong"
        mind.clear_breakpoint(sender.id)
        mind.resume()
        await mind.wait_idle()

        # an actor that receives it: context messages are sent by wasmind__context, received by echo
        mind.break_on(actor="echo")
        custom = await mind.broadcast("demo.Whatever", {})
        assert mind.bus_state.at == custom
        mind.clear_breakpoint()
        mind.resume()
        await mind.wait_idle()


async def test_spawns_complete_while_paused_and_an_exit_waits_for_its_turn(make_config) -> None:
    async with Wasmind(make_config(ECHO), progress=False) as mind:
        await mind.wait_idle()
        mind.pause()
        child = await mind.spawn_agent(["echo"], name="kid")  # constructors are not messages
        assert mind.agents[child].state == "running"
        ping = await mind.broadcast("demo.Ping", {}, scope=child)
        await mind.exit_agent(child)
        assert mind.agents[child].state == "exiting"
        await mind.step(20)
        assert mind.agents[child].state == "exited"
        # the child answered the Ping before its destructor ran (the Exit came after it)
        (pong,) = [m for m in of_type(mind, "demo.Pong") if m.from_scope == child]
        (bye,) = [m for m in of_type(mind, "demo.Bye") if m.from_scope == child]
        assert ping.seq < pong.seq < bye.seq
        with pytest.raises(SpawnError, match="already runs"):  # names stay unique while paused
            await mind.spawn_agent(["echo"], name="other")
            await mind.spawn_agent(["echo"], name="other")
        mind.resume()


async def test_shutdown_while_paused_delivers_what_is_held(make_config) -> None:
    mind = Wasmind(make_config(ECHO), progress=False)
    await mind.start()
    await mind.wait_idle()
    mind.break_on("demo.Pong")
    mind.pause()
    await mind.broadcast("demo.Ping", {})
    await mind.shutdown()
    types = [m.message_type for m in mind.messages]
    assert types[-1] == "demo.Bye" and "demo.Pong" in types  # the held Ping was handled, then the destructor
    assert not mind.breakpoints and not mind.paused
    assert mind.agents["000000"].state == "exited"


async def test_a_stepped_run_gives_the_same_envelopes_as_an_unpaused_one(make_config) -> None:
    async def run(stepped: bool) -> list[tuple]:
        async with Wasmind(make_config(ECHO), progress=False, seed=3) as mind:

            async def settle() -> None:  # everything posted so far handled, in either mode
                if stepped:
                    while await mind.step():
                        pass
                else:
                    await mind.wait_idle()

            child = await mind.spawn_agent(["echo"], name="kid")
            await mind.wait_idle()
            if stepped:
                mind.pause()
            for i in range(6):
                # Settled after each post: unpaused, a Pong racing the next post would order by timing.
                await mind.broadcast("demo.Ping", {"i": i}, scope=child if i % 2 else "000000")
                await settle()
                if i % 3 == 2:
                    await mind.broadcast("demo.Dump", {"name": str(i)}, scope=child)
                    await settle()
            if stepped:
                mind.resume()
            await mind.exit_agent(child)
            await mind.wait_idle()
            return bus(mind)

    unpaused, stepped = await run(False), await run(True)
    assert stepped == unpaused  # same envelopes, same order, same payloads, same ids
