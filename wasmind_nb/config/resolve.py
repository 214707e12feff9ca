"""Dependency resolution: from the ``[actors]`` roots through every manifest to one spec per logical name."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from wasmind_nb.config.merge import Layer, build_capabilities, manifest_layer, merge_layers
from wasmind_nb.config.models import (
    ActorTable,
    BuiltinSource,
    ConfigFile,
    GitSource,
    McpSource,
    OverrideTable,
    PathSource,
)
from wasmind_nb.config.notices import ConfigWarning
from wasmind_nb.config.sources import LocatedActor, locate, source_identity
from wasmind_nb.config.specs import ActorSpec
from wasmind_nb.config.standins import serve, stand_ins_enabled, warn_served
from wasmind_nb.errors import ConfigError

__all__ = ["ConfigWarning", "resolve_actors"]


@dataclass(frozen=True)
class _Declared:
    """A declaration of a logical name together with its source, if it gives one."""

    layer: Layer
    source: PathSource | GitSource | BuiltinSource | McpSource | None

    @property
    def identity(self) -> str:
        assert self.source is not None
        return source_identity(self.source, self.layer.base_dir)


def resolve_actors(config: ConfigFile, *, file: str, base_dir: Path) -> dict[str, ActorSpec]:
    """Every logical actor known from ``config``: its ``[actors]`` and, recursively, their dependencies."""
    return _Resolver(config, file=file, base_dir=base_dir).run()


def _declared(
    name: str,
    table: ActorTable | OverrideTable,
    *,
    file: str,
    key: str,
    base_dir: Path,
    trusted: bool = True,
) -> _Declared:
    values = table.model_dump(exclude={"source"}, exclude_none=True)
    return _Declared(Layer(file, f"{key}.{name}", base_dir, values, trusted), table.source)


class _Resolver:
    """Walks the dependency graph depth-first by logical name, detecting cycles and source conflicts."""

    def __init__(self, config: ConfigFile, *, file: str, base_dir: Path) -> None:
        self.user = {
            name: _declared(name, table, file=file, key="actors", base_dir=base_dir)
            for name, table in config.actors.items()
        }
        self.overrides = {
            name: _declared(name, table, file=file, key="actor_overrides", base_dir=base_dir)
            for name, table in config.actor_overrides.items()
        }
        self.cache = config.runtime.cache_dir
        self.stand_ins = stand_ins_enabled(config.runtime.stand_ins)
        self.fresh_clones: set[Path] = set()  # git clones already updated by this load
        self.dependencies: dict[str, _Declared] = {}
        self.located: dict[str, LocatedActor] = {}
        self.stack: list[str] = []

    def run(self) -> dict[str, ActorSpec]:
        for name, declared in self.overrides.items():
            if name in self.user:
                raise ConfigError(
                    f"'{name}' is both declared in [actors] and overridden in [actor_overrides]; "
                    f"set everything in [actors.{name}]",
                    file=declared.layer.file,
                    key=declared.layer.key,
                )
        for name in self.user:
            self._visit(name, self.user[name].layer)
        self._warn_unused_overrides()
        order = [*self.user, *(name for name in self.located if name not in self.user)]
        specs = {name: self._spec(name) for name in order}
        served = {name: (spec.actor_id, self.located[name].source_path.name) for name, spec in specs.items()}
        warn_served(
            {name: key for name, key in served.items() if self.located[name].stand_in},
            "they cannot be built here (no `cargo component`, or its build failed)",
        )
        return specs

    def _visit(self, name: str, via: Layer) -> None:
        """Locate ``name`` (declared by ``via``) and, recursively, the dependencies its manifest declares."""
        if name in self.stack:
            cycle = " -> ".join([*self.stack[self.stack.index(name) :], name])
            raise ConfigError(f"circular dependency: {cycle}", file=via.file, key=via.key)
        if name in self.located:
            return
        self.stack.append(name)
        declared = self._source_declaration(name)
        assert declared.source is not None
        if isinstance(declared.source, McpSource) and not declared.layer.trusted:
            raise ConfigError(
                f"actor '{name}': an MCP server (source.mcp) may only be declared in your own config, not "
                "by a manifest fetched with git; declare it under [actors] or [actor_overrides]",
                file=declared.layer.file,
                key=f"{declared.layer.key}.source.mcp",
            )
        located = locate(
            declared.source,
            base_dir=declared.layer.base_dir,
            file=declared.layer.file,
            key=declared.layer.key,
            cache=self.cache,
            stand_ins=self.stand_ins,
            fresh_clones=self.fresh_clones,
        )
        self.located[name] = located
        if located.manifest is not None and located.manifest_path is not None:
            for dep_name, table in located.manifest.dependencies.items():
                dep = _declared(
                    dep_name,
                    table,
                    file=str(located.manifest_path),
                    key="dependencies",
                    base_dir=located.manifest_path.parent,
                    trusted=located.trusted,
                )
                self._declare_dependency(dep_name, dep)
                self._visit(dep_name, dep.layer)
        self.stack.pop()

    def _source_declaration(self, name: str) -> _Declared:
        """The declaration whose source wins: an override's, else ``[actors]``'s, else a manifest's."""
        override = self.overrides.get(name)
        if override is not None and override.source is not None:
            return override
        return self.user.get(name) or self.dependencies[name]

    def _declare_dependency(self, name: str, dep: _Declared) -> None:
        """Record a manifest's declaration of ``name``; the first counts, later ones must agree on source."""
        first = self.dependencies.setdefault(name, dep)
        if first is dep:
            return
        pinned = name in self.user or (name in self.overrides and self.overrides[name].source is not None)
        if first.identity != dep.identity:
            if pinned:
                return
            raise ConfigError(
                f"conflicting sources for actor '{name}': {first.layer.file} declares {first.identity}, "
                f"this manifest declares {dep.identity}; pick one with [actor_overrides.{name}] source = ...",
                file=dep.layer.file,
                key=f"{dep.layer.key}.source",
            )
        if first.layer.values != dep.layer.values:
            warnings.warn(
                f"actor '{name}' is declared by {first.layer.file} and again, with other settings, by "
                f"{dep.layer.file}; the first declaration is used",
                ConfigWarning,
                stacklevel=2,
            )

    def _warn_unused_overrides(self) -> None:
        for name, declared in self.overrides.items():
            if name not in self.located:
                warnings.warn(
                    f"[actor_overrides.{name}] in {declared.layer.file} matches no actor and is ignored "
                    f"(known actors: {_names(self.located)}); declare new actors under [actors]",
                    ConfigWarning,
                    stacklevel=2,
                )

    def _layers(self, name: str) -> list[Layer]:
        """The declarations of ``name``, lowest precedence first."""
        declarations = (self.dependencies.get(name), self.user.get(name), self.overrides.get(name))
        return [declared.layer for declared in declarations if declared is not None]

    def _spec(self, name: str) -> ActorSpec:
        located = self.located[name]
        own = None
        code, code_path = located.code_manifest
        if code is not None and code_path is not None:
            trusted = located.trusted or located.stand_in is not None  # a stand-in's code is ours
            own = manifest_layer(code, code_path, trusted=trusted)
        merged = merge_layers([own, *self._layers(name)] if own else self._layers(name))
        if located.stand_in is not None:
            serve(located.stand_in, merged, self._layers(name))
        required = self._required(name, own, merged.origins.get("required_spawn_with"))
        listens_to = merged.values.get("listens_to")
        if merged.ungranted:
            asked = "; ".join(str(request) for request in merged.ungranted.values())
            warnings.warn(
                f"actor '{name}' requests capabilities that nothing trusted grants, so it runs without "
                f"them: {asked}. Grant what you trust under [actors.{name}.capabilities] "
                f"(or [actor_overrides.{name}.capabilities])",
                ConfigWarning,
                stacklevel=2,
            )
        return ActorSpec(
            name=name,
            actor_id=located.manifest.actor_id if located.manifest else name,
            source_path=located.source_path,
            kind=located.kind,
            config=merged.values.get("config", {}),
            auto_spawn=merged.values.get("auto_spawn", False),
            required_spawn_with=required,
            instance=merged.values.get("instance"),
            listens_to=None if listens_to is None else tuple(listens_to),
            scope_filter=merged.values.get("scope_filter", "all"),
            capabilities=build_capabilities(merged.capabilities),
            declared_in=(self.user.get(name) or self.dependencies[name]).layer.file,
            python_path=_python_path(name, located),
            ungranted=tuple(merged.ungranted.values()),
            stand_in=located.source_path.name if located.stand_in else None,
            approval=_approval(merged.values.get("approval")),
            mcp=located.mcp,
        )

    def _required(self, name: str, own: Layer | None, winner: Layer | None) -> tuple[str, ...]:
        """The actor's own manifest list plus the winning declaration's list; each name must be known."""
        manifest = self.located[name].manifest
        lists = [(own, manifest.required_spawn_with)] if own and manifest else []
        if winner is not None:
            lists.append((winner, winner.values["required_spawn_with"]))
        for layer, names in lists:
            for required in names:
                if required not in self.located:
                    raise ConfigError(
                        f"actor '{name}' requires unknown actor '{required}' "
                        f"(known actors: {_names(self.located)})",
                        file=layer.file,
                        key=layer.key_of("required_spawn_with"),
                    )
        return tuple(dict.fromkeys(required for _, names in lists for required in names))


def _python_path(name: str, located: LocatedActor) -> tuple[Path, ...]:
    """The folders a Python actor's manifest adds to its build, resolved from the manifest's folder."""
    manifest, path = located.code_manifest
    if manifest is None or path is None or not manifest.python_path:
        return ()
    if located.kind != "python":
        raise ConfigError(
            f"actor '{name}' is a prebuilt component; python_path applies to Python actors only",
            file=str(path),
            key="python_path",
        )
    folders = []
    for index, entry in enumerate(manifest.python_path):
        folder = (path.parent / entry).resolve()
        if not folder.is_dir():
            raise ConfigError(
                f"actor '{name}': python_path folder '{entry}' does not exist (looked for {folder})",
                file=str(path),
                key=f"python_path[{index}]",
            )
        folders.append(folder)
    return tuple(folders)


def _names(names: Iterable[str]) -> str:
    return ", ".join(sorted(names)) or "none"


def _approval(value: bool | list[str] | None) -> bool | tuple[str, ...]:
    """``approval`` as the spec keeps it: ``True``, ``False`` or a tuple of tool names."""
    if isinstance(value, list):
        return tuple(value)
    return bool(value)
