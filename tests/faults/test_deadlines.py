"""``handler_timeout_s`` is a budget for the whole handler call: cheap host calls never reset it."""

from __future__ import annotations

import pytest

from tests.helpers import of_type
from wasmind_nb import Wasmind
from wasmind_nb.host import context

pytestmark = pytest.mark.anyio

CONFIG = """
starting_actors = []
[actors.echo]
source = { path = "echo" }
[actors.spinner]
source = { path = "echo" }
capabilities = { handler_timeout_s = 0.5 }
"""


async def test_a_handler_looping_on_a_cheap_host_call_is_stopped_at_its_deadline(make_config) -> None:
    async with Wasmind(make_config(CONFIG), progress=False) as mind:
        spinners = [await mind.spawn_agent(["spinner"], name=f"spinner{i}") for i in range(2)]
        bystander = await mind.spawn_agent(["echo"], name="bystander")
        for scope in spinners:  # as many as there are workers: each holds one until its deadline
            await mind.broadcast("demo.HostSpin", None, scope=scope)
        await mind.broadcast("demo.Ping", None, scope=bystander)
        await mind.wait_idle(timeout=120)  # a guard: before the fix, the spinners never stopped
        assert sorted(f.scope for f in mind.faults) == sorted(spinners)
        assert all("deadline" in f.error and f.actor == "spinner" for f in mind.faults)
        assert [m.from_scope for m in of_type(mind, "demo.Pong")] == [bystander]


class _Store:
    def __init__(self) -> None:
        self.deadlines: list[int] = []

    def set_epoch_deadline(self, ticks: int) -> None:
        self.deadlines.append(ticks)


def _ctx(store: _Store, ticks: int) -> context.CallContext:
    return context.CallContext(
        services=None,  # type: ignore[arg-type]
        actor_name="a",
        scope="000000",
        capabilities=None,  # type: ignore[arg-type]
        store=store,  # type: ignore[arg-type]
        deadline_ticks=ticks,
    )


def test_time_blocked_in_the_host_is_given_back_and_nothing_more(monkeypatch) -> None:
    clock = iter([0.0, 0.3, 5.3, 6.0, 9.0])  # enter; block at 0.3 s; return at 5.3 s; block again ...
    monkeypatch.setattr(context.time, "monotonic", lambda: next(clock))
    store = _Store()
    ctx = _ctx(store, ticks=100)  # 1 s of guest time
    with context.entered(ctx):
        with ctx.blocked():
            pass
        with ctx.blocked():
            pass
    # 0.3 s used before the first wait (30 ticks); 0.3 + 0.7 = 1.0 s before the second: 1 tick (the minimum)
    assert store.deadlines == [100, 70, 1]
