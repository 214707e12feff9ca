"""The resolved, immutable description of each actor: what the runtime and host consume."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import tomli_w

ActorKind = Literal["python", "wasm"]
InstanceMode = Literal["isolated", "pooled"]
ScopeFilter = Literal["all", "own"]


@dataclass(frozen=True)
class Preopen:
    """A host folder visible to the guest at ``guest_path``.

    With ``workdir_relative`` the host path is relative to the run's working directory (written
    ``$WORKDIR`` or ``$WORKDIR/sub`` in TOML) and is resolved when the actor starts.
    """

    host_path: Path
    guest_path: str
    read_only: bool = True
    workdir_relative: bool = False

    def resolve(self, working_dir: Path) -> Path:
        """The absolute host folder for a run in ``working_dir``."""
        return (working_dir / self.host_path).resolve() if self.workdir_relative else self.host_path


@dataclass(frozen=True)
class Capabilities:
    """What an actor may reach. The defaults deny the filesystem and allow commands and HTTP to anywhere."""

    fs: tuple[Preopen, ...] = ()
    commands: tuple[str, ...] | None = None
    http_hosts: tuple[str, ...] | None = None
    handler_timeout_s: float | None = None
    max_memory_bytes: int | None = None
    max_output_bytes: int | None = None


@dataclass(frozen=True)
class ActorSpec:
    """One logical actor after resolution: where its code is, its config, and how it is spawned."""

    name: str
    source_path: Path
    kind: ActorKind
    actor_id: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    auto_spawn: bool = False
    required_spawn_with: tuple[str, ...] = ()
    instance: InstanceMode | None = None
    listens_to: tuple[str, ...] | None = None
    scope_filter: ScopeFilter = "all"
    capabilities: Capabilities = field(default_factory=Capabilities)
    declared_in: str = "<unknown>"
    python_path: tuple[Path, ...] = ()  # extra folders of a Python actor's build (its manifest's python_path)

    def __post_init__(self) -> None:
        if not self.actor_id:
            object.__setattr__(self, "actor_id", self.name)

    def config_toml(self) -> str:
        """The config table as TOML text, as the actor's constructor receives it (``""`` when empty)."""
        return tomli_w.dumps(self.config) if self.config else ""
