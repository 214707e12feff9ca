"""What every place says of an agent: its state once actors crash (AgentInfo, `%wasmind status`, a view
made later), and names that find one agent (unique among a parent's live children)."""

from __future__ import annotations

import pytest

from wasmind_nb import SpawnError, Wasmind
from wasmind_nb.errors import WasmindError
from wasmind_nb.notebook.render import StatusTable
from wasmind_nb.notebook.view_state import A_DETAIL, A_FAILED, A_FAULTS, A_STATE
from wasmind_nb.notebook.widget import AgentView

pytestmark = pytest.mark.anyio

CONFIG = """
starting_actors = ["echo"]
[actors.echo]
source = { path = "echo" }
[actors.probe]
source = { path = "probe" }
"""


def rows(view: AgentView) -> dict[str, list[object]]:
    return {row[0]: row for row in view.agents}


async def test_crashed_agents_are_failed_in_the_record_the_status_and_a_later_view(make_config) -> None:
    async with Wasmind(make_config(CONFIG), progress=False) as mind:
        boom = await mind.spawn_agent(["echo"], name="boom")
        pair = await mind.spawn_agent(["echo", "probe"], name="pair")
        await mind.broadcast("demo.Trap", None, scope=boom)
        await mind.broadcast("demo.Trap", None, scope=pair)  # only its echo traps; its probe lives
        await mind.wait_idle()

        dead, hurt = mind.agents[boom], mind.agents[pair]
        assert (dead.state, dead.alive, dead.failed_actors) == ("failed", False, ("echo",))
        assert dead.error is not None and dead.error.startswith("actor 'echo' failed: ")
        assert (hurt.state, hurt.state_text, hurt.failed_actors) == (
            "running",
            "running, 1 actor failed",
            ("echo",),
        )
        assert mind.agents["000000"].state_text == "running"

        status = repr(StatusTable(mind.agents, messages=len(mind.messages), running=True))
        lines = {line.split()[1]: line for line in status.splitlines()[2:]}
        assert "failed" in lines["boom"] and "running" not in lines["boom"]
        assert "running, 1 actor failed" in lines["pair"]
        assert "2 live agents" in status.splitlines()[0]  # root and pair

        view = AgentView(mind)  # created after the crash: rings, faults and states all there
        try:
            r = rows(view)
            assert (r[boom][A_STATE], r[boom][A_FAULTS]) == ("failed", 1)
            assert str(r[boom][A_DETAIL]).startswith("actor 'echo' failed: ")
            assert (r[pair][A_STATE], r[pair][A_FAULTS], r[pair][A_FAILED]) == ("live", 1, 1)
            assert sorted(f[0] for f in view.faults if not f[3]) == sorted([boom, pair])
        finally:
            view.close()
    # Stopped: the dead agent stays failed, the others exited.
    assert mind.agents[boom].state == "failed" and mind.agents[pair].state == "exited"


async def test_a_name_is_unique_among_the_live_children_of_a_parent(make_config) -> None:
    async with Wasmind(make_config(CONFIG), progress=False) as mind:
        first = await mind.spawn_agent(["echo"], name="c1")
        with pytest.raises(SpawnError, match=r"an agent named 'c1' already runs under 'root' \(000000\)"):
            await mind.spawn_agent(["echo"], name="c1")
        assert mind.scope_of("c1") == first
        # Another parent may have its own c1: `parent/name` tells them apart.
        other = await mind.spawn_agent(["echo"], name="c1", parent=first)
        with pytest.raises(WasmindError, match=r"several live agents are named 'c1'.*'parent/c1'"):
            mind.scope_of("c1")
        assert (mind.scope_of("root/c1"), mind.scope_of(f"{first}/c1")) == (first, other)
        # Once it exited, the name is free again, and names the new agent.
        await mind.exit_agent(other)
        await mind.exit_agent(first)
        await mind.wait_idle()
        assert mind.scope_of("c1") == other  # the latest spawned of the ended ones, while none lives
        again = await mind.spawn_agent(["echo"], name="c1")
        assert again not in (first, other) and mind.scope_of("c1") == again
        with pytest.raises(WasmindError, match="no agent named or scoped 'c2'"):
            mind.scope_of("c2")
