"""Helpers shared by the benchmarks: configs, resident memory, a timer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from wasmind_nb import Config

HERE = Path(__file__).resolve().parent
ACTOR_NAMES = ["a", "b", "c", "d", "e"]


def bench_config(
    instances: str,
    actors: list[str] = ACTOR_NAMES,
    starting: list[str] | None = None,
    python_build: str = "shared",
) -> Config:
    """Five logical actors (one component) so an agent of all five is five Python actors.

    ``python_build="standalone"`` runs them as a per-actor componentize-py build (the route before the
    shared interpreter), for side-by-side numbers."""
    lines = [
        f"starting_actors = {starting or []!r}".replace("'", '"'),
        "[runtime]",
        f'instances = "{instances}"',
        f'python_build = "{python_build}"',
        "max_agents = 100000",  # the benchmarks spawn up to 10,000 agents; the default bound is 1,000
    ]
    for name in actors:
        lines += [f"[actors.{name}]", 'source = { path = "actors/bench" }']
    return Config.from_toml("\n".join(lines) + "\n", base_dir=HERE)


def rss_bytes() -> int:
    """Resident memory of this process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def pss_bytes() -> int:
    """Proportional set size of this process: its private pages plus its share of pages it maps with
    others. Every isolated actor maps the interpreter's snapshot; resident memory counts each mapped page
    once per instance, the proportional size counts it once."""
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no Pss in /proc/self/smaps_rollup")


def system_used_bytes() -> int:
    """Memory the whole machine has in use (``MemTotal - MemAvailable``): a shared page counts once, as
    ``free`` shows it. Other processes move it too: compare on a quiet machine."""
    fields = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = int(value.split()[0]) * 1024
    return fields["MemTotal"] - fields["MemAvailable"]


def snapshot_copied_bytes() -> int:
    """Private memory in the mappings of components' memory images: the pages instances copied out of a
    shared snapshot (wasmtime maps the image copy-on-write from the compiled file or a memfd)."""
    total = 0
    counting = False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if "-" in fields[0] and len(fields) >= 5:  # a mapping's header line
            path = fields[5] if len(fields) > 5 else ""
            counting = fields[1] == "rw-p" and (path.endswith(".cwasm") or "wasm-memory-image" in path)
        elif counting and fields[0] == "Private_Dirty:":
            total += int(fields[1]) * 1024
    return total


@contextmanager
def timed() -> Iterator[list[float]]:
    """``with timed() as t: ...`` then ``t[0]`` is the elapsed seconds."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)
