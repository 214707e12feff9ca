"""Time and peak memory of moving one payload between host and guest, 1 KB to 64 MB.

Two directions, each size in a fresh process so one peak does not hide the next:

* ``deliver``: the host hands a payload to an actor (``handle-message``), which ignores it;
* ``echo``: the actor also broadcasts it back (the guest hands it to the host).

``--baseline DIR`` runs the same workload a second time with ``DIR`` (a checkout of an older commit) first
on ``PYTHONPATH`` and prints the ratios ``baseline / current``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time

from common import HERE, rss_bytes

SIZES = [1_000, 100_000, 1_000_000, 5_000_000, 20_000_000, 64_000_000]
CONFIG = '[actors.bench]\nsource = { path = "actors/bench" }\n'


class PeakRss:
    """Samples resident memory on a thread; ``peak`` is the highest value seen."""

    def __init__(self) -> None:
        self.peak = rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, rss_bytes())

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return max(self.peak, rss_bytes())


async def _measure(direction: str, size: int) -> dict[str, object]:
    from wasmind_nb import Config, Wasmind

    config = Config.from_toml(CONFIG, base_dir=HERE)
    async with Wasmind(config, progress=False) as mind:
        scope = await mind.spawn_agent(["bench"], name="bench")
        await mind.broadcast("bench.Sink", b"warm-up", scope=scope)
        await mind.wait_idle()
        payload = os.urandom(size // 2).hex().encode()[:size]
        before = rss_bytes()
        sampler = PeakRss()
        started = time.perf_counter()
        await mind.broadcast("bench.Echo" if direction == "echo" else "bench.Sink", payload, scope=scope)
        await mind.wait_idle(timeout=600)
        elapsed = time.perf_counter() - started
        peak = sampler.stop()
        echoed = [m for m in mind.messages if m.message_type == "bench.Echoed"]
        ok = not mind.faults and (direction != "echo" or (echoed and echoed[-1].payload == payload))
        error = mind.faults[0].error.splitlines()[0] if mind.faults else ""
    return {"ok": bool(ok), "s": elapsed, "peak_mib": (peak - before) / 2**20, "error": error}


def _child(direction: str, size: int, tree: str | None) -> dict[str, object]:
    env = dict(os.environ)
    if tree:
        env["PYTHONPATH"] = os.pathsep.join([tree, env.get("PYTHONPATH", "")])
    args = [sys.executable, __file__, "--child", direction, str(size)]
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=HERE)
    if done.returncode != 0:
        return {"ok": False, "s": float("nan"), "peak_mib": float("nan"), "error": done.stderr[-300:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cell(result: dict[str, object]) -> str:
    if not result["ok"]:
        return f"failed: {str(result['error'])[:60]}"
    return f"{result['s']:.3f} s, +{result['peak_mib']:.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--baseline", help="an older checkout to compare against (put first on PYTHONPATH)")
    parser.add_argument("--sizes", type=int, nargs="*", default=SIZES)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(_measure(args.child[0], int(args.child[1])))))
        return
    _child("deliver", 1_000, None)  # builds and compiles the bench actor once
    print("| direction | size | current | baseline | time ratio | memory ratio |")
    print("| --- | --- | --- | --- | --- | --- |")
    for direction in ("deliver", "echo"):
        for size in args.sizes:
            now = _child(direction, size, None)
            old = _child(direction, size, args.baseline) if args.baseline else None
            ratios = ["", ""]
            if old and old["ok"] and now["ok"]:
                ratios = [f"{old['s'] / now['s']:.1f}x", f"{old['peak_mib'] / max(now['peak_mib'], 1):.1f}x"]
            baseline = _cell(old) if old else ""
            row = [direction, f"{size:,}", _cell(now), baseline, *ratios]
            print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
