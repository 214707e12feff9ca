"""JavaScript actors against Python actors, side by side: memory per isolated actor and time per message.

    python benchmarks/js_actors.py [--agents 40] [--messages 2000]

Both actors do the same work (actors/bench and its JavaScript twin actors/bench_js). Each round spawns
``--agents`` one-actor agents isolated, reads the resident memory they add, then fans ``--messages``
bench.Fanout out to all of them; the rounds alternate so both see the same machine load. Compare the
ratios, not the absolute figures (docs/writing-actors-js.md#what-it-costs).
"""

from __future__ import annotations

import argparse
import asyncio
import gc

from benchmarks.common import HERE, rss_bytes, timed
from wasmind_nb import Config, Wasmind

FOLDERS = {"python": "actors/bench", "javascript": "actors/bench_js"}


def config(kind: str, instances: str) -> Config:
    text = (
        f'starting_actors = []\n[runtime]\ninstances = "{instances}"\nmax_agents = 100000\n'
        f'[actors.counter]\nsource = {{ path = "{FOLDERS[kind]}" }}\n'
    )
    return Config.from_toml(text, base_dir=HERE)


async def round_of(kind: str, instances: str, agents: int, messages: int) -> tuple[float, float]:
    """(MiB added per actor, microseconds per delivered message)."""
    async with Wasmind(config(kind, instances), progress=False) as mind:
        await mind.spawn_agent(["counter"], "warm-up")
        await mind.wait_idle()
        gc.collect()
        before = rss_bytes()
        for index in range(agents):
            await mind.spawn_agent(["counter"], f"a{index}")
        await mind.wait_idle()
        per_actor = (rss_bytes() - before) / agents / 2**20
        with timed() as elapsed:
            for _ in range(messages):
                await mind.broadcast("bench.Fanout", None)
            await mind.wait_idle(timeout=600)
        per_message = elapsed[0] / (messages * (agents + 1)) * 1e6
    return per_actor, per_message


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=40)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    for instances in ("isolated", "pooled"):
        results: dict[str, list[tuple[float, float]]] = {"python": [], "javascript": []}
        for _ in range(args.rounds):
            for kind in results:
                results[kind].append(await round_of(kind, instances, args.agents, args.messages))
        best = {kind: (min(r[0] for r in rows), min(r[1] for r in rows)) for kind, rows in results.items()}
        for kind, (mib, us) in best.items():
            print(f"{instances:8} {kind:10} {mib:6.2f} MiB/actor  {us:7.1f} us/delivery")
        memory = best["javascript"][0] / max(best["python"][0], 1e-9)
        time = best["javascript"][1] / best["python"][1]
        print(f"{instances:8} javascript/python: memory {memory:.2f}x, time per delivery {time:.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
