"""Edit a Python actor and have it running again: the shared interpreter vs a standalone build.

Each round writes a one-line edit of a small SDK actor, then times ``Wasmind.start()`` up to the actor
answering a ping, in this process (the interpreter is compiled once, as in a notebook kernel). Prints the
median of each route and their ratio.

    python benchmarks/edit_loop.py [--rounds 5] [--standalone-rounds 1]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from wasmind_nb import Config, Wasmind

SOURCE = """\
from wasmind_sdk import ActorBase, broadcast, on


class Actor(ActorBase):
    @on("demo.Ping")
    def ping(self, payload, envelope) -> None:
        broadcast("demo.Pong", ["VERSION"])
"""


async def edit_and_run(folder: Path, version: str, route: str) -> float:
    (folder / "actor.py").write_text(SOURCE.replace("VERSION", version))
    config = Config.from_toml(
        f'starting_actors = ["probe"]\n[runtime]\npython_build = "{route}"\n'
        f'[actors.probe]\nsource = {{ path = "{folder}" }}\n'
    )
    started = time.perf_counter()
    async with Wasmind(config, progress=False) as mind:
        await mind.broadcast("demo.Ping", {})
        await mind.wait_idle()
        elapsed = time.perf_counter() - started
        assert [m.json() for m in mind.messages if m.message_type == "demo.Pong"] == [[version]]
    return elapsed


async def main(rounds: int, standalone_rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "probe"
        folder.mkdir()
        (folder / "Wasmind.toml").write_text('actor_id = "bench:probe"\n')
        await edit_and_run(folder, "warm-up", "shared")  # the interpreter itself is built once per version
        stamp = time.time_ns()
        shared = [await edit_and_run(folder, f"s{stamp}-{i}", "shared") for i in range(rounds)]
        alone = [await edit_and_run(folder, f"a{stamp}-{i}", "standalone") for i in range(standalone_rounds)]
    shared_median, alone_median = statistics.median(shared), statistics.median(alone)
    print(f"{'route':<28}{'median s':>10}{'runs':>6}")
    print(f"{'shared interpreter':<28}{shared_median:>10.3f}{rounds:>6}")
    print(f"{'standalone build':<28}{alone_median:>10.3f}{standalone_rounds:>6}")
    print(f"ratio standalone / shared: {alone_median / shared_median:.0f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--standalone-rounds", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.standalone_rounds))
