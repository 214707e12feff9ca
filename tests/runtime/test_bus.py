"""Total order, correlation ids, no drops, filtering by declared message types."""

from __future__ import annotations

import pytest

from tests.helpers import of_type, payloads
from wasmind_nb import Wasmind

pytestmark = pytest.mark.anyio

TWO_ECHOES = """
starting_actors = ["echo"]
[actors.echo]
source = { path = "echo" }
[actors.echo2]
source = { path = "echo" }
"""


@pytest.mark.parametrize("instances", ["isolated", "pooled"])
async def test_every_actor_sees_every_message_in_bus_order(make_config, instances) -> None:
    config = make_config(TWO_ECHOES + f'[runtime]\ninstances = "{instances}"\n')
    async with Wasmind(config, progress=False) as mind:
        scopes = [await mind.spawn_agent(["echo", "echo2"], name=f"a{i}") for i in range(3)]
        for i in range(40):
            await mind.broadcast("demo.Noise", {"i": i}, scope=scopes[i % 3])
        await mind.wait_idle()
        for scope in scopes:
            await mind.broadcast("demo.Dump", None, scope=scope)
        await mind.wait_idle()
        bus = {m.id: m.seq for m in mind.messages}
        dumps = payloads(mind, "demo.Dumped")
        assert len(dumps) == 6  # two actors in each of three scopes
        noise_ids = {m.id for m in of_type(mind, "demo.Noise")}
        for dump in dumps:
            received = [entry[0] for entry in dump["received"]]
            seqs = [bus[i] for i in received]
            assert seqs == sorted(seqs), "an actor saw messages out of bus order"
            assert noise_ids <= set(received), "an actor missed a message"


async def test_correlation_ids_chain_from_the_handled_message(make_config) -> None:
    async with Wasmind(make_config(TWO_ECHOES), progress=False) as mind:
        ping = await mind.broadcast("demo.Ping", {"x": 1})
        await mind.wait_idle()
        (pong,) = of_type(mind, "demo.Pong")
        assert ping.id.startswith("root:") and len(ping.id) == len("root:") + 6
        assert pong.id.startswith(ping.id.split(":")[1] + ":")
        assert pong.from_actor_id == "echo" and pong.from_scope == "000000"
        assert pong.json() == {"n": 1, "echo": {"x": 1}}


async def test_declared_message_types_limit_delivery(make_config) -> None:
    config = make_config(
        """
        starting_actors = ["picky"]
        [actors.picky]
        source = { path = "echo" }
        listens_to = ["demo.Dump"]
        scope_filter = "own"
        """
    )
    async with Wasmind(config, progress=False) as mind:
        other = await mind.spawn_agent(["picky"], name="other")
        await mind.broadcast("demo.Noise", None)
        await mind.broadcast("demo.Dump", None, scope=other)
        await mind.broadcast("demo.Dump", None)
        await mind.wait_idle()
        dumps = payloads(mind, "demo.Dumped")
        assert len(dumps) == 2
        for dump in dumps:  # each saw only the Dump from its own scope, nothing else
            assert [entry[1] for entry in dump["received"]] == ["demo.Dump"]


async def test_slow_consumers_lose_nothing(make_config) -> None:
    async with Wasmind(make_config(TWO_ECHOES), progress=False) as mind:
        for i in range(3000):
            await mind.broadcast("demo.Ping", {"i": i})
        await mind.wait_idle()
        assert [p["n"] for p in payloads(mind, "demo.Pong")] == list(range(1, 3001))


async def test_broadcast_accepts_bytes_text_json_pydantic_and_sdk_messages(make_config) -> None:
    from pydantic import BaseModel

    from wasmind_sdk.messages import ToolsAvailable

    class Note(BaseModel):
        text: str
        count: int

    async with Wasmind(make_config(TWO_ECHOES), progress=False) as mind:
        sent = [
            await mind.broadcast("t.Bytes", b"\x00raw"),
            await mind.broadcast("t.Text", "héllo"),
            await mind.broadcast("t.Json", {"a": [1, 2], "b": None}),
            await mind.broadcast("t.None"),
            await mind.broadcast("t.Pydantic", Note(text="é", count=2)),
            await mind.broadcast("t.Sdk", ToolsAvailable(tools=[])),
        ]
        assert [m.payload for m in sent] == [
            b"\x00raw",
            "héllo".encode(),
            b'{"a":[1,2],"b":null}',
            b"null",
            '{"text":"é","count":2}'.encode(),
            b'{"tools":[]}',
        ]
        with pytest.raises(Exception, match="unknown scope 'nosuch'"):
            await mind.broadcast("t.Nowhere", None, scope="nosuch")
