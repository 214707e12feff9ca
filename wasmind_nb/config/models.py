"""Pydantic models of the TOML files exactly as written: the user config and ``Wasmind.toml`` manifests.

They check types and reject unknown keys; nothing here touches the filesystem or resolves names.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from wasmind_nb.config.settings import LLMSettings, RuntimeSettings
from wasmind_nb.config.specs import InstanceMode, ScopeFilter

#: Union tags start with "<" so that error locations can drop them (see ``parse.dotted_key``).
PATH_TAG = "<path source>"
GIT_TAG = "<git source>"
BUILTIN_TAG = "<builtin source>"


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


def _source_tag(value: Any) -> str | None:
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
    | Annotated[BuiltinSource, Tag(BUILTIN_TAG)],
    Discriminator(
        _source_tag,
        custom_error_type="source_kind",
        custom_error_message=(
            "expected a table with 'path' (a folder or .wasm file), 'git' (a repo URL) "
            "or 'builtin' (an actor shipped with wasmind-nb)"
        ),
    ),
]


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
        return value


class CapabilitiesTable(_Table):
    """A ``capabilities`` table; every key is optional and unset keys inherit from lower layers."""

    fs: list[PreopenTable] | None = None
    commands: list[Annotated[str, Field(min_length=1)]] | None = None
    http_hosts: list[str] | None = None
    handler_timeout_s: Annotated[float, Field(gt=0)] | None = None
    max_memory_bytes: Annotated[int, Field(gt=0)] | None = None
    max_output_bytes: Annotated[int, Field(gt=0)] | None = None

    @field_validator("http_hosts")
    @classmethod
    def _host_names(cls, hosts: list[str] | None) -> list[str] | None:
        return None if hosts is None else [_check_host(host) for host in hosts]


def _check_host(host: str) -> str:
    name = host.strip().lower()
    if not name or "/" in name or any(char.isspace() for char in name):
        raise ValueError(f"'{host}' is not a host name (write 'api.example.com', not a URL)")
    if "*" in name and not (name.startswith("*.") and "*" not in name[2:]):
        raise ValueError(f"'{host}': a wildcard is only allowed as a leading '*.' (as in '*.example.com')")
    return name


class _Declaration(_Table):
    """Keys shared by ``[actors.X]``, ``[actor_overrides.X]`` and ``[dependencies.X]``; None = not set."""

    config: dict[str, Any] | None = None
    auto_spawn: bool | None = None
    required_spawn_with: list[str] | None = None
    instance: InstanceMode | None = None
    listens_to: list[str] | None = None
    scope_filter: ScopeFilter | None = None
    capabilities: CapabilitiesTable | None = None


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
    GitRef, PathSource, GitSource, BuiltinSource, PreopenTable, CapabilitiesTable, ActorTable,
    ManifestFile, ConfigFile, LLMSettings, RuntimeSettings,
)  # fmt: skip

#: The tables a key belongs to, for a key written in the wrong one (``base_url`` at the top level).
KEY_TABLES: dict[str, tuple[str, ...]] = {
    key: tuple(table for table, model in (
        ("[llm]", LLMSettings), ("[runtime]", RuntimeSettings), ("[actors.NAME]", ActorTable),
        ("capabilities", CapabilitiesTable), ("source", GitSource), ("git_ref", GitRef),
    ) if key in model.model_fields)
    for key in KNOWN_KEYS
}  # fmt: skip
