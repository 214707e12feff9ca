"""Warm start: how long ``await mind.start()`` takes when every actor is already built and compiled.

    python benchmarks/warm_start.py [--runs N]

Each run is a fresh Python process (nothing in memory: compiled components come from the on-disk cache),
starting the demo's agent (assistant + execute_bash + file_interaction) on the embedded model. Target
(DESIGN.md): a warm `%wasmind start` under 1 s. Also printed: the same start in a process that already
started once (what re-running a notebook's start cell costs), and the import time of wasmind_nb.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

PROBE = r"""
import asyncio, json, time
t0 = time.perf_counter()
from wasmind_nb import Config, Wasmind
from wasmind_nb.demo import DEMO_CONFIG
imported = time.perf_counter() - t0

async def once():
    config = Config.from_toml(DEMO_CONFIG)
    t = time.perf_counter()
    mind = Wasmind(config, progress=False)
    await mind.start()
    started = time.perf_counter() - t
    await mind.shutdown()
    return started

async def main():
    first = await once()
    again = await once()
    print(json.dumps({"import": imported, "first": first, "again": again}))

asyncio.run(main())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True)  # fill the caches
    runs = [
        json.loads(
            subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True, text=True).stdout
        )
        for _ in range(args.runs)
    ]
    print(f"warm start of a 3-actor agent, {args.runs} fresh processes (median, min-max), seconds")
    for key, label in (
        ("import", "import wasmind_nb"),
        ("first", "start, new process"),
        ("again", "start, same process"),
    ):
        values = [run[key] for run in runs]
        print(f"  {label:<22} {statistics.median(values):6.3f}   ({min(values):.3f}-{max(values):.3f})")


if __name__ == "__main__":
    main()
