"""Agent names are unique among a parent's live children also when an actor spawns them: a guest's
clashing name gets the first free suffix (``kid-2``); the Python API refuses a clash with a clear error."""

from __future__ import annotations

import pytest

from tests.helpers import payloads
from wasmind_nb import Wasmind
from wasmind_nb.errors import SpawnError

pytestmark = pytest.mark.anyio

GRANTED = """
starting_actors = ["echo"]
[actors.echo]
source = { path = "echo" }
capabilities = { spawn = ["*"] }
"""


async def test_a_guest_spawn_with_a_taken_name_gets_a_suffix(make_config) -> None:
    async with Wasmind(make_config(GRANTED), progress=False) as mind:
        for _ in range(3):
            await mind.broadcast("demo.Spawn", {"actors": ["echo"], "name": "kid"})
            await mind.wait_idle()
        scopes = [p["scope"] for p in payloads(mind, "demo.Spawned")]
        assert [mind.agents[s].name for s in scopes] == ["kid", "kid-2", "kid-3"]
        assert [p["name"] for p in payloads(mind, "wasmind.common.actors.AgentSpawned")][-3:] == [
            "kid",
            "kid-2",
            "kid-3",
        ]
        assert mind.scope_of("kid") == scopes[0] and mind.scope_of("kid-2") == scopes[1]

        # under another parent the name is free; once the first kid exits, its name is free again
        await mind.broadcast("demo.Spawn", {"actors": ["echo"], "name": "kid"}, scope=scopes[0])
        await mind.wait_idle()
        grandchild = payloads(mind, "demo.Spawned")[-1]["scope"]
        assert (mind.agents[grandchild].name, mind.agents[grandchild].parent) == ("kid", scopes[0])
        await mind.exit_agent(scopes[0])
        await mind.wait_idle()
        await mind.broadcast("demo.Spawn", {"actors": ["echo"], "name": "kid"})
        await mind.wait_idle()
        assert mind.agents[payloads(mind, "demo.Spawned")[-1]["scope"]].name == "kid"


async def test_the_python_api_refuses_a_taken_name(make_config) -> None:
    async with Wasmind(make_config(GRANTED), progress=False) as mind:
        await mind.broadcast("demo.Spawn", {"actors": ["echo"], "name": "kid"})
        await mind.wait_idle()
        before = dict(mind.agents)
        with pytest.raises(SpawnError, match=r"an agent named 'kid' already runs under 'root' \(000000\)"):
            await mind.spawn_agent(["echo"], name="kid")
        assert mind.agents.keys() == before.keys()  # nothing was spawned
