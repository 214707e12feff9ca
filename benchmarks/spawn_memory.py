"""Spawn rate (agents/s) and memory per agent, isolated vs pooled, agents of 5 Python actors.

    python benchmarks/spawn_memory.py [--pooled N] [--isolated N] [--standalone]

Memory is resident (RSS: every page an instance maps, shared or not) and proportional (PSS: a page
shared by n instances counts 1/n, about what an agent really costs); "system" is what the machine has
in use (``free``'s view: noisy when other processes run); "copied" is the part of an isolated actor's
memory it copied out of its component's shared memory image (every page it wrote to).
``--standalone`` runs the actors as per-actor componentize-py builds instead of the shared interpreter.

Targets (DESIGN.md): >= 500 agents/s pooled, >= 100 agents/s isolated; 10,000 live agents pooled.
Upstream recompiles the component on every spawn; here a spawn never compiles.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time

from common import (
    ACTOR_NAMES,
    bench_config,
    pss_bytes,
    rss_bytes,
    snapshot_copied_bytes,
    system_used_bytes,
    timed,
)

from wasmind_nb import Wasmind


async def measure(
    instances: str, agents: int, batch: int = 50, python_build: str = "shared"
) -> dict[str, float]:
    async with Wasmind(bench_config(instances, python_build=python_build), progress=False) as mind:
        await mind.wait_idle()
        gc.collect()
        before, before_pss, before_copied = rss_bytes(), pss_bytes(), snapshot_copied_bytes()
        before_system = system_used_bytes()
        cpu = time.process_time()
        with timed() as elapsed:
            for start in range(0, agents, batch):
                count = min(batch, agents - start)
                await asyncio.gather(
                    *(mind.spawn_agent(ACTOR_NAMES, name=f"w{start + i}") for i in range(count))
                )
            await mind.wait_idle(timeout=None)
        cpu = time.process_time() - cpu
        gc.collect()
        after, after_pss, after_copied = rss_bytes(), pss_bytes(), snapshot_copied_bytes()
        after_system = system_used_bytes()
        live = sum(1 for info in mind.agents.values() if info.alive) - 1
        assert live == agents, (live, agents)
    return {
        "agents": agents,
        "seconds": elapsed[0],
        "agents_per_s": agents / elapsed[0],
        "cpu_ms_per_agent": cpu / agents * 1e3,
        "rss_per_agent_kib": (after - before) / agents / 1024,
        "pss_per_agent_kib": (after_pss - before_pss) / agents / 1024,
        "system_per_agent_kib": (after_system - before_system) / agents / 1024,
        "copied_per_actor_kib": (after_copied - before_copied) / agents / len(ACTOR_NAMES) / 1024,
        "rss_total_mib": after / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pooled", type=int, default=10_000)
    parser.add_argument("--isolated", type=int, default=200)
    parser.add_argument(
        "--standalone", action="store_true", help="per-actor builds, not the shared interpreter"
    )
    args = parser.parse_args()
    build = "standalone" if args.standalone else "shared"
    print(f"python_build = {build}")
    print(
        f"{'mode':<9} {'agents':>7} {'seconds':>8} {'agents/s':>9} {'CPU ms/agent':>13} {'KiB/agent':>10} "
        f"{'PSS KiB/agent':>14} {'system KiB/agent':>17} {'copied KiB/actor':>17} {'RSS MiB':>8}"
    )
    for mode, count in (("isolated", args.isolated), ("pooled", args.pooled)):
        if count == 0:
            continue
        r = asyncio.run(measure(mode, count, python_build=build))
        print(
            f"{mode:<9} {r['agents']:>7} {r['seconds']:>8.2f} {r['agents_per_s']:>9.0f} "
            f"{r['cpu_ms_per_agent']:>13.2f} {r['rss_per_agent_kib']:>10.0f} "
            f"{r['pss_per_agent_kib']:>14.0f} {r['system_per_agent_kib']:>17.0f} "
            f"{r['copied_per_actor_kib']:>17.0f} {r['rss_total_mib']:>8.0f}"
        )


if __name__ == "__main__":
    main()
