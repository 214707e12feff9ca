"""Fan-out throughput, side by side with autogen-core's SingleThreadedAgentRuntime.

    python benchmarks/fanout_vs_autogen.py [--receivers N] [--messages M] [--standalone]

The same workload in both: N receiving agents, each one handler that counts a broadcast message; the
host publishes M messages; we time until every delivery was handled (N x M handler calls). wasmind-nb's
handlers run inside WebAssembly components (a Python interpreter compiled to wasm, sandboxed) on worker
threads; autogen-core's run as plain Python coroutines on one asyncio loop. Printed: deliveries per
second and the ratio (target in DESIGN.md: >= 1.0x autogen-core). ``--standalone`` adds rows for
per-actor componentize-py builds, interleaved with the shared interpreter's.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from dataclasses import dataclass

from autogen_core import (  # pip install autogen-core (the peer; not a wasmind-nb dependency)
    MessageContext,
    RoutedAgent,
    SingleThreadedAgentRuntime,
    TopicId,
    TypeSubscription,
    message_handler,
)
from common import bench_config, timed

from wasmind_nb import Wasmind


async def wasmind_fanout(
    receivers: int, messages: int, instances: str, python_build: str = "shared"
) -> float:
    config = bench_config(instances, actors=["a"], python_build=python_build)
    async with Wasmind(config, progress=False) as mind:
        for i in range(receivers):
            await mind.spawn_agent(["a"], name=f"r{i}")
        await mind.wait_idle()
        with timed() as elapsed:
            for i in range(messages):
                await mind.broadcast("bench.Fanout", {"i": i})
            await mind.wait_idle(timeout=None)
        return receivers * messages / elapsed[0]


@dataclass
class Fanout:
    i: int


class Counter(RoutedAgent):
    """The autogen-core receiver: the same one-line handler as benchmarks/actors/bench."""

    def __init__(self) -> None:
        super().__init__("counts broadcasts")
        self.seen = 0

    @message_handler
    async def on_fanout(self, message: Fanout, ctx: MessageContext) -> None:
        self.seen += 1


async def autogen_fanout(receivers: int, messages: int) -> float:
    runtime = SingleThreadedAgentRuntime()
    for i in range(receivers):
        await Counter.register(runtime, f"counter{i}", Counter)
        await runtime.add_subscription(TypeSubscription(topic_type="fanout", agent_type=f"counter{i}"))
    runtime.start()
    topic = TopicId("fanout", "default")
    await runtime.publish_message(Fanout(-1), topic)  # instantiate every agent before timing
    await runtime.stop_when_idle()
    runtime.start()
    with timed() as elapsed:
        for i in range(messages):
            await runtime.publish_message(Fanout(i), topic)
        await runtime.stop_when_idle()
    return receivers * messages / elapsed[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--receivers", type=int, default=100)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are printed")
    parser.add_argument("--standalone", action="store_true", help="also per-actor builds, side by side")
    args = parser.parse_args()
    n, m = args.receivers, args.messages
    builds = ["shared", "standalone"] if args.standalone else ["shared"]
    rates: dict[str, list[float]] = {"autogen-core (1 loop)": []}
    for build in builds:
        suffix = "" if build == "shared" else " (standalone)"
        for mode in ("isolated", "pooled"):
            rates[f"wasmind-nb {mode}{suffix}"] = []
    for _ in range(args.rounds):  # interleaved, so a noisy moment hurts every runtime alike
        rates["autogen-core (1 loop)"].append(asyncio.run(autogen_fanout(n, m)))
        for build in builds:
            suffix = "" if build == "shared" else " (standalone)"
            for mode in ("isolated", "pooled"):
                rates[f"wasmind-nb {mode}{suffix}"].append(asyncio.run(wasmind_fanout(n, m, mode, build)))
    base = statistics.median(rates["autogen-core (1 loop)"])
    print(f"fan-out: {n} receivers x {m} messages = {n * m} deliveries, median of {args.rounds} rounds")
    print(f"{'runtime':<37} {'deliveries/s':>13} {'vs autogen-core':>16}")
    for name, values in rates.items():
        rate = statistics.median(values)
        print(f"{name:<37} {rate:>13,.0f} {rate / base:>15.2f}x")


if __name__ == "__main__":
    main()
