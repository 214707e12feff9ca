"""wasmind-nb: the Wasmind actor system (WebAssembly component actors) for Python and Jupyter.

from wasmind_nb import Wasmind, Config

async with Wasmind("wasmind.toml") as mind:
    scope = await mind.spawn_agent(["assistant", "execute_bash"], name="worker")
    await mind.send_user_message(scope, "List the files here")
    await mind.wait_idle()
"""

from __future__ import annotations

from wasmind_nb.config import ActorSpec, Config
from wasmind_nb.errors import (
    ActorTrap,
    BuildError,
    ComponentLoadError,
    ConfigError,
    IdleTimeout,
    SpawnError,
    WasmindError,
)
from wasmind_nb.mind import AgentInfo, Wasmind
from wasmind_nb.runtime.events import ActorFault, AgentEvent, Envelope

__version__ = "0.1.0"


def load_ipython_extension(ipython):
    """``%load_ext wasmind_nb``: register the ``%wasmind`` magics."""
    from wasmind_nb.notebook.magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython):
    from wasmind_nb.notebook.magics import unload_ipython_extension as unload

    unload(ipython)


__all__ = [
    "ActorFault",
    "ActorSpec",
    "ActorTrap",
    "AgentEvent",
    "AgentInfo",
    "BuildError",
    "ComponentLoadError",
    "Config",
    "ConfigError",
    "Envelope",
    "IdleTimeout",
    "SpawnError",
    "Wasmind",
    "WasmindError",
    "__version__",
]
