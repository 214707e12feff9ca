"""Pydantic models of the TOML files exactly as written: the user config and ``Wasmind.toml`` manifests.

They check types and reject unknown keys; nothing here touches the filesystem or resolves names.
"""

from __future__ import annotations

import posixpath
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from wasmind_nb.config.settings import LLMSettings, RuntimeSettings
from wasmind_nb.config.specs import InstanceMode, ScopeFilter
from wasmind_nb.host.netpolicy import HostEntry

#: Union tags start with "<" so that error locations can drop them (see ``parse.dotted_key``).
PATH_TAG = "<path source>"
GIT_TAG = "<git source>"
BUILTIN_TAG = "<builtin source>"
MCP_TAG = "<mcp source>"


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class GitRef(_Table):
    """Which commit of a repository to use: exactly one of a branch, a tag or a revision."""

    branch: str | None = None
    tag: str | None = None
    rev: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> GitRef:
        if sum(value is not None for value in (self.branch, self.tag, self.rev)) != 1:
            raise ValueError("git_ref needs exactly one of 'branch', 'tag' or 'rev'")
        return self

    @field_validator("branch", "tag", "rev")
    @classmethod
    def _not_an_option(cls, value: str | None) -> str | None:
        if value is not None and (not value or value.startswith("-")):
            raise ValueError(f"{value!r} is not a valid git ref name")
        return value

    @property
    def kind(self) -> Literal["branch", "tag", "rev"]:
        """Which of the three is set."""
        return "branch" if self.branch is not None else "tag" if self.tag is not None else "rev"

    @property
    def value(self) -> str:
        """The branch name, tag name or revision."""
        return self.branch or self.tag or self.rev or ""


class PathSource(_Table):
    """A local folder (Python sources + ``Wasmind.toml``) or a ``.wasm`` file."""

    path: str
    package: str | None = None  # upstream: a sub-folder of ``path``


class GitSource(_Table):
    """A git repository, optionally at a ref and in a sub-folder."""

    git: str
    git_ref: GitRef | None = None
    sub_dir: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _upstream_names(cls, data: Any) -> Any:
        """Accept upstream's spellings ``url`` (for ``git``) and ``package`` (for ``sub_dir``)."""
        if isinstance(data, dict):
            data = dict(data)
            for old, new in (("url", "git"), ("package", "sub_dir")):
                if old in data and new not in data:
                    data[new] = data.pop(old)
        return data


class BuiltinSource(_Table):
    """One of the actors shipped with wasmind-nb (``assistant``, ``execute_bash``, ...)."""

    builtin: str


#: A positive, finite number (``inf`` and ``nan`` are refused: a deadline of ``inf`` never fires).
PositiveSeconds = Annotated[float, Field(gt=0, le=86_400, allow_inf_nan=False)]


class McpServerTable(_Table):
    """``source.mcp``: a Model Context Protocol server whose tools the actor offers (docs/config.md).

    ``command`` (with ``args``, ``env``, ``cwd``) starts a stdio server in the command sandbox; ``url`` is a
    streamable-HTTP server, reached under the actor's ``http_hosts``.
    """

    command: Annotated[str, Field(min_length=1)] | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    tools: list[Annotated[str, Field(min_length=1)]] | None = None
    prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{0,32}$")] = ""
    env_from_host: list[str] = Field(default_factory=list)  # host variables passed to a stdio server
    bearer_token_env: str | None = None  # the host variable holding an HTTP server's bearer token
    call_timeout_s: PositiveSeconds = 60.0
    start_timeout_s: PositiveSeconds = 30.0

    @model_validator(mode="after")
    def _one_kind(self) -> McpServerTable:
        if (self.command is None) == (self.url is None):
            raise ValueError("source.mcp needs exactly one of 'command' (a stdio server) or 'url' (HTTP)")
        if self.url is not None:
            if self.args or self.env or self.cwd is not None or self.env_from_host:
                raise ValueError(
                    "'args', 'env', 'env_from_host' and 'cwd' belong to a stdio server ('command'), not 'url'"
                )
            if not re.fullmatch(r"https?://[^/?#\s]+(/\S*)?", self.url):
                raise ValueError(f"url must be an http:// or https:// URL, got {self.url!r}")
        if self.command is not None and self.bearer_token_env is not None:
            raise ValueError("'bearer_token_env' belongs to an HTTP server ('url'); use 'env_from_host'")
        named = [*self.env, *self.env_from_host, *([self.bearer_token_env] if self.bearer_token_env else [])]
        for name in named:
            if not _ENV_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not an environment variable name")
        if self.cwd is not None and not self.cwd.startswith("/"):
            raise ValueError("cwd is a path inside the sandbox and must be absolute, such as '/work'")
        return self


class McpSource(_Table):
    """An MCP server, served by the built-in ``mcp_tools`` actor."""

    mcp: McpServerTable


def _source_tag(value: Any) -> str | None:
    if isinstance(value, McpSource) or (isinstance(value, dict) and "mcp" in value):
        return MCP_TAG
    if isinstance(value, BuiltinSource) or (isinstance(value, dict) and "builtin" in value):
        return BUILTIN_TAG
    if isinstance(value, GitSource) or (isinstance(value, dict) and ("git" in value or "url" in value)):
        return GIT_TAG
    if isinstance(value, PathSource) or (isinstance(value, dict) and "path" in value):
        return PATH_TAG
    return None


Source = Annotated[
    Annotated[PathSource, Tag(PATH_TAG)]
    | Annotated[GitSource, Tag(GIT_TAG)]
    | Annotated[BuiltinSource, Tag(BUILTIN_TAG)]
    | Annotated[McpSource, Tag(MCP_TAG)],
    Discriminator(
        _source_tag,
        custom_error_type="source_kind",
        custom_error_message=(
            "expected a table with 'path' (a folder or .wasm file), 'git' (a repo URL), "
            "'builtin' (an actor shipped with wasmind-nb) or 'mcp' (an MCP server)"
        ),
    ),
]


#: Guest paths the shared Python interpreter uses: its standard library and the actor's own sources.
RESERVED_GUEST_PATHS = ("/python", "/.wasmind")


class PreopenTable(_Table):
    """One ``fs`` entry: a host folder mapped into the guest."""

    host: str
    guest: str
    read_only: bool = True

    @field_validator("guest")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("guest must be an absolute path such as '/work'")
        for reserved in RESERVED_GUEST_PATHS:
            if posixpath.normpath(value) == reserved or posixpath.normpath(value).startswith(reserved + "/"):
                raise ValueError(f"guest path {reserved} is reserved for the Python interpreter's own files")
        return value


PositiveCount = Annotated[int, Field(gt=0, le=1 << 62)]
AgentRelation = Literal["self", "parent", "children", "descendants", "any"]


class CommandLimitsTable(_Table):
    """``capabilities.command_limits``: bounds on one command and every process it starts."""

    cpu_s: PositiveSeconds | None = None
    memory_bytes: PositiveCount | None = None
    processes: Annotated[int, Field(gt=0, le=65_536)] | None = None
    file_size_bytes: PositiveCount | None = None


class CapabilitiesTable(_Table):
    """A ``capabilities`` table; every key is optional and unset keys inherit from lower layers.

    In a manifest it *requests*; in a user config it *grants* (or narrows). See ``docs/security.md``.
    """

    fs: list[PreopenTable] | None = None
    commands: list[Annotated[str, Field(min_length=1)]] | None = None
    command_network: bool | None = None
    command_env: dict[str, str] | None = None
    command_limits: CommandLimitsTable | None = None
    http_hosts: list[str] | None = None
    llm: bool | None = None
    spawn: list[Annotated[str, Field(min_length=1)]] | None = None
    call_tools: bool | None = None
    message_agents: list[AgentRelation] | None = None
    handler_timeout_s: PositiveSeconds | None = None
    max_memory_bytes: PositiveCount | None = None
    max_output_bytes: PositiveCount | None = None

    @field_validator("http_hosts")
    @classmethod
    def _host_names(cls, hosts: list[str] | None) -> list[str] | None:
        return None if hosts is None else [_check_host(host) for host in hosts]

    @field_validator("commands")
    @classmethod
    def _program_names(cls, programs: list[str] | None) -> list[str] | None:
        for program in programs or ():
            if program != program.strip() or "\0" in program:
                raise ValueError(f"{program!r} is not a program name or path")
        return programs

    @field_validator("command_env")
    @classmethod
    def _env_names(cls, env: dict[str, str] | None) -> dict[str, str] | None:
        for name in env or {}:
            if not _ENV_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not an environment variable name")
        return env


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _check_host(host: str) -> str:
    """An ``http_hosts`` entry, checked by the same parser the HTTP policy uses."""
    return HostEntry.parse(host).text.strip().lower()


class _Declaration(_Table):
    """Keys shared by ``[actors.X]``, ``[actor_overrides.X]`` and ``[dependencies.X]``; None = not set."""

    config: dict[str, Any] | None = None
    auto_spawn: bool | None = None
    required_spawn_with: list[str] | None = None
    instance: InstanceMode | None = None
    listens_to: list[str] | None = None
    scope_filter: ScopeFilter | None = None
    capabilities: CapabilitiesTable | None = None
    approval: bool | list[str] | None = None  # tool calls the host holds for a person's decision

    @field_validator("approval", mode="before")
    @classmethod
    def _approval(cls, value: Any) -> Any:
        """``true``, ``false`` or a list of distinct, non-empty tool names."""
        if value is None or isinstance(value, bool):
            return value
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ValueError(f"expected true, false or a list of tool names, got {value!r}")
        twice = sorted({v for v in value if value.count(v) > 1})
        if twice:
            raise ValueError(f"tool name(s) listed twice: {', '.join(twice)}")
        return value


class ActorTable(_Declaration):
    """``[actors.X]`` in a config, or ``[dependencies.X]`` in a manifest."""

    source: Source


class OverrideTable(_Declaration):
    """``[actor_overrides.X]``: changes an actor declared elsewhere."""

    source: Source | None = None


class ManifestFile(_Table):
    """A ``Wasmind.toml`` beside an actor's sources."""

    actor_id: str
    required_spawn_with: list[str] = Field(default_factory=list)
    listens_to: list[str] | None = None
    scope_filter: ScopeFilter | None = None
    instance: InstanceMode | None = None
    component: str | None = None
    capabilities: CapabilitiesTable | None = None
    dependencies: dict[str, ActorTable] = Field(default_factory=dict)
    python_path: list[str] = Field(default_factory=list)  # folders (relative to this file) built in too


class ConfigFile(_Table):
    """A user config file."""

    starting_actors: list[str] = Field(default_factory=list)
    actors: dict[str, ActorTable] = Field(default_factory=dict)
    actor_overrides: dict[str, OverrideTable] = Field(default_factory=dict)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    runtime: RuntimeSettings = Field(default_factory=RuntimeSettings)


def _all_keys(*models: type[BaseModel]) -> frozenset[str]:
    return frozenset(name for model in models for name in model.model_fields)


#: Every key these files may contain, for "did you mean ...?" hints.
KNOWN_KEYS = _all_keys(
    GitRef, PathSource, GitSource, BuiltinSource, McpSource, McpServerTable, PreopenTable,
    CapabilitiesTable, CommandLimitsTable, ActorTable,
    ManifestFile, ConfigFile, LLMSettings, RuntimeSettings,
)  # fmt: skip

#: The tables a key belongs to, for a key written in the wrong one (``base_url`` at the top level).
KEY_TABLES: dict[str, tuple[str, ...]] = {
    key: tuple(table for table, model in (
        ("[llm]", LLMSettings), ("[runtime]", RuntimeSettings), ("[actors.NAME]", ActorTable),
        ("capabilities", CapabilitiesTable), ("command_limits", CommandLimitsTable), ("source", GitSource),
        ("git_ref", GitRef), ("source.mcp", McpServerTable),
    ) if key in model.model_fields)
    for key in KNOWN_KEYS
}  # fmt: skip
