"""Deliveries that derived subscriptions skip: the quickstart (the demo) and the delegation example.

    python benchmarks/deliveries.py

Each scenario runs on the embedded model with four subscription rules: ``none`` (every actor is called
for every message: what an SDK actor without a manifest ``listens_to`` got before), ``manifest`` (the
hand-written ``listens_to`` lists alone), ``derived`` (the actors' ``@on`` handlers alone) and ``both``
(what runs today: their union). It prints the handler calls of each, the share ``derived`` skips against
``none``, and the wall times of ``none`` and ``both``.
"""

from __future__ import annotations

import asyncio
import io
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path

from wasmind_nb import Wasmind
from wasmind_nb.demo import run_demo
from wasmind_nb.runtime import core
from wasmind_nb.runtime.ids import ROOT_SCOPE

EXAMPLE = Path(__file__).parents[1] / "examples" / "delegation_network.toml"


RULES: dict[str, Callable[[tuple[str, ...] | None, tuple[str, ...] | None], tuple[str, ...] | None]] = {
    "none": lambda declared, handled: None,
    "manifest": lambda declared, handled: declared,
    "derived": lambda declared, handled: handled,
    "both": core.listens_to,
}


@contextmanager
def counting(rule: str) -> Iterator[list[int]]:
    """Count every handler call, with actors subscribed by ``rule`` (a key of :data:`RULES`)."""
    calls = [0]
    deliver, derive = core.Runtime._deliver, core.listens_to

    def counted(self: core.Runtime, lane: object, actor: object, envelope: object) -> None:
        calls[0] += 1
        deliver(self, lane, actor, envelope)  # type: ignore[arg-type]

    core.Runtime._deliver = counted  # type: ignore[method-assign]
    core.listens_to = RULES[rule]  # type: ignore[assignment]
    try:
        yield calls
    finally:
        core.Runtime._deliver, core.listens_to = deliver, derive  # type: ignore[method-assign]


async def quickstart(workdir: Path) -> int:
    with redirect_stdout(io.StringIO()):
        mind = await run_demo(workdir, progress=False)
    return len(mind.messages)


async def delegation(workdir: Path) -> int:
    async with Wasmind(EXAMPLE, progress=False, working_dir=workdir) as mind:
        await mind.send_user_message(ROOT_SCOPE, "Write a NOTES.md for this project.")
        await mind.wait_idle(timeout=None)
        assert not mind.faults, mind.faults
        return len(mind.messages)


def measure(scenario: Callable[[Path], Awaitable[int]], rule: str) -> tuple[int, int, float]:
    with tempfile.TemporaryDirectory() as tmp, counting(rule) as calls:
        started = time.perf_counter()
        messages = asyncio.run(scenario(Path(tmp)))
        return calls[0], messages, time.perf_counter() - started


def main() -> None:
    header = [
        "scenario",
        "messages",
        *(f"calls {rule}" for rule in RULES),
        "skipped",
        "time none",
        "time both",
    ]
    print("  ".join(f"{h:>14}" for h in header))
    for name, scenario in (("quickstart", quickstart), ("delegation", delegation)):
        measure(scenario, "both")  # warm the cache and the engine
        runs = {rule: measure(scenario, rule) for rule in RULES}
        messages = {run[1] for run in runs.values()}
        assert len(messages) == 1, runs  # the same run, message for message, under every rule
        calls = [runs[rule][0] for rule in RULES]
        skipped = 1 - runs["derived"][0] / runs["none"][0]
        cells = [
            name,
            messages.pop(),
            *calls,
            f"{skipped:.0%}",
            f"{runs['none'][2]:.2f}s",
            f"{runs['both'][2]:.2f}s",
        ]
        print("  ".join(f"{c:>14}" for c in cells))


if __name__ == "__main__":
    main()
