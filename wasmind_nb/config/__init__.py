"""Config loading: TOML files and ``Wasmind.toml`` manifests resolved into one ``ActorSpec`` per actor.

``Config.from_file(path)`` is the entry point; see ``docs/config.md`` for every key.
"""

from __future__ import annotations

from wasmind_nb.config.config import UPSTREAM_ONLY_TABLES, Config
from wasmind_nb.config.merge import deep_merge
from wasmind_nb.config.resolve import ConfigWarning
from wasmind_nb.config.settings import LLMSettings, LocalModelSettings, RuntimeSettings
from wasmind_nb.config.specs import ActorSpec, Capabilities, CommandLimits, Preopen, UngrantedRequest

__all__ = [
    "UPSTREAM_ONLY_TABLES",
    "ActorSpec",
    "Capabilities",
    "CommandLimits",
    "Config",
    "ConfigWarning",
    "LLMSettings",
    "LocalModelSettings",
    "Preopen",
    "RuntimeSettings",
    "UngrantedRequest",
    "deep_merge",
]
