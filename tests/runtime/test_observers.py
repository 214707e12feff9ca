"""Observers get every event in order, on the loop thread, however many subscribe and whenever."""

from __future__ import annotations

import asyncio
import threading

import pytest

from wasmind_nb import AgentEvent, Envelope, Wasmind

pytestmark = pytest.mark.anyio

CONFIG = 'starting_actors = ["echo"]\n[actors.echo]\nsource = { path = "echo" }\n'


async def test_two_observers_both_see_every_envelope_in_order_on_the_loop_thread(make_config) -> None:
    async with Wasmind(make_config(CONFIG), progress=False) as mind:
        seen: dict[str, list[int]] = {"first": [], "second": []}
        threads: set[int] = set()

        def observer(name: str):
            def receive(batch) -> None:
                threads.add(threading.get_ident())
                seen[name].extend(e.seq for e in batch if isinstance(e, Envelope))

            return receive

        mind.observe(observer("first"))
        start = len(mind.messages)
        for i in range(50):
            await mind.broadcast("demo.Ping", {"i": i})
            if i == 10:
                mind.observe(observer("second"))  # subscribing must not eat the first one's events
        await mind.wait_idle()
        await asyncio.sleep(0)  # let the last batch be delivered on the loop
        expected = list(range(start, len(mind.messages)))
        assert seen["first"] == expected
        assert seen["second"] == sorted(set(seen["second"])) and seen["second"][-1] == expected[-1]
        assert threads == {threading.get_ident()}


async def test_agent_events_and_unsubscribe(make_config) -> None:
    async with Wasmind(make_config(CONFIG), progress=False) as mind:
        changes: list[tuple[str, str]] = []
        stop = mind.observe(
            lambda batch: changes.extend((e.change, e.name) for e in batch if isinstance(e, AgentEvent))
        )
        scope = await mind.spawn_agent(["echo"], name="kid")
        await mind.exit_agent(scope)
        await mind.wait_idle()
        await asyncio.sleep(0)
        assert changes == [("spawning", "kid"), ("spawned", "kid"), ("exited", "kid")]
        stop()
        await mind.spawn_agent(["echo"], name="unseen")
        await asyncio.sleep(0)
        assert ("spawning", "unseen") not in changes
