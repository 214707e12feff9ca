"""The resolved, immutable description of each actor: what the runtime and host consume."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import tomli_w

ActorKind = Literal["python", "javascript", "wasm"]
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
class CommandLimits:
    """Bounds on one command and every process it starts (enforced by the OS, inside the sandbox)."""

    cpu_s: float = 60.0
    memory_bytes: int = 2 * 1024**3
    processes: int = 256
    file_size_bytes: int = 1024**3


@dataclass(frozen=True)
class Capabilities:
    """What an actor may do. Every default denies: an actor that nobody granted anything can only
    broadcast, log, and read host info. See ``docs/security.md`` for each grant."""

    fs: tuple[Preopen, ...] = ()
    commands: tuple[str, ...] = ()
    command_network: bool = False
    command_env: tuple[tuple[str, str], ...] = ()
    command_limits: CommandLimits = field(default_factory=CommandLimits)
    http_hosts: tuple[str, ...] = ()
    llm: bool = False
    spawn: tuple[str, ...] = ()
    call_tools: bool = False
    message_agents: tuple[str, ...] = ()
    handler_timeout_s: float | None = None
    max_memory_bytes: int | None = None
    max_output_bytes: int | None = None

    def may_spawn(self, actor_name: str) -> bool:
        """Whether an agent with ``actor_name`` in its requested actors may be spawned."""
        return "*" in self.spawn or actor_name in self.spawn

    def summary(self) -> str:
        """One line of what is granted, for ``%wasmind status`` and the start summary."""
        parts = [f"fs {p.guest_path}{'' if p.read_only else ' (rw)'}" for p in self.fs]
        if self.commands:
            net = ", network" if self.command_network else ""
            parts.append(f"commands {', '.join(self.commands)}{net}")
        if self.http_hosts:
            parts.append(f"http {', '.join(self.http_hosts)}")
        if self.llm:
            parts.append("llm")
        if self.call_tools:
            parts.append("call tools")
        if self.spawn:
            parts.append(f"spawn {', '.join(self.spawn)}")
        if self.message_agents:
            parts.append(f"message {', '.join(self.message_agents)}")
        return "; ".join(parts) or "nothing"


@dataclass(frozen=True)
class McpServer:
    """The MCP server an ``mcp`` source names: a stdio ``command`` or a streamable-HTTP ``url``."""

    command: str | None = None
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    cwd: str | None = None
    url: str | None = None
    tools: tuple[str, ...] | None = None  # None: every tool the server lists
    prefix: str = ""  # put before each tool's name as the agent sees it
    env_from_host: tuple[str, ...] = ()  # host variables a stdio server gets (read when it starts)
    bearer_token_env: str | None = None  # the host variable of an HTTP server's bearer token
    call_timeout_s: float = 60.0
    start_timeout_s: float = 30.0

    def describe(self) -> str:
        """The server in a few words, for messages: its URL or its command line."""
        return self.url or " ".join((self.command or "", *self.args))


@dataclass(frozen=True)
class UngrantedRequest:
    """A capability an actor's manifest asks for that no trusted layer granted."""

    key: str
    value: Any
    requested_in: str

    def __str__(self) -> str:
        return f"{self.key} = {self.value!r} (requested in {self.requested_in})"


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
    ungranted: tuple[UngrantedRequest, ...] = ()  # requests of untrusted manifests, not granted
    stand_in: str | None = None  # the built-in serving this upstream Rust actor (docs/config.md)
    approval: bool | tuple[str, ...] = False  # ``approval = true`` or the tool names that need approval
    mcp: McpServer | None = None  # the MCP server whose tools this actor offers (``source = { mcp = ... }``)

    def __post_init__(self) -> None:
        if not self.actor_id:
            object.__setattr__(self, "actor_id", self.name)

    def needs_approval(self, tool: str) -> bool:
        """Whether a call of ``tool`` (one this actor owns) waits for a person's decision."""
        return self.approval is True or (isinstance(self.approval, tuple) and tool in self.approval)

    def config_toml(self) -> str:
        """The config table as TOML text, as the actor's constructor receives it (``""`` when empty)."""
        return tomli_w.dumps(self.config) if self.config else ""
