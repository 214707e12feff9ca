"""A plain user script: spawn agents, trap some actors, shut down, let the interpreter exit.

Run as ``python trap_then_exit.py isolated|pooled ACTORS_DIR``; its exit status is what the test checks.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from wasmind_nb import Wasmind
from wasmind_nb.config import Config

CONFIG = """
starting_actors = ["echo"]
[actors.echo]
source = {{ path = "echo" }}
[runtime]
instances = "{instances}"
"""


async def main(instances: str, actors: Path) -> None:
    config = Config.from_toml(CONFIG.format(instances=instances), base_dir=actors)
    mind = Wasmind(config, progress=False)
    await mind.start()
    scopes = [await mind.spawn_agent(["echo"], name=f"agent{i}") for i in range(4)]
    for scope in scopes[:2]:
        await mind.broadcast("demo.Trap", None, scope=scope)
    await mind.broadcast("demo.Ping", None)
    await mind.wait_idle()
    if not any("trap requested" in fault.error for fault in mind.faults):
        raise SystemExit(f"no actor trapped: {mind.faults}")
    await mind.shutdown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2])))
