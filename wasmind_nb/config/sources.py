"""Turning a ``source`` table into a local actor: a Python source folder or a ``.wasm`` component."""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from pathlib import Path

from wasmind_nb.config.cargo import INSTALL_HINT, build_crate, find_cargo_component, is_rust_crate
from wasmind_nb.config.git import checkout, normalize_url, ref_label
from wasmind_nb.config.manifest import MANIFEST_NAME, read_manifest
from wasmind_nb.config.models import BuiltinSource, GitSource, ManifestFile, McpSource, PathSource
from wasmind_nb.config.notices import ConfigWarning
from wasmind_nb.config.specs import ActorKind, McpServer
from wasmind_nb.config.standins import STAND_INS
from wasmind_nb.errors import ConfigError
from wasmind_nb.paths import builtin_actors_dir

AnySource = PathSource | GitSource | BuiltinSource | McpSource

PYTHON_ENTRY = "actor.py"
#: The built-in that serves every ``source = { mcp = ... }`` actor.
MCP_BUILTIN = "mcp_tools"
JS_ENTRY = "actor.js"


@dataclass(frozen=True)
class LocatedActor:
    """Where an actor's code is on this machine, and its manifest (None for a bare ``.wasm``)."""

    source_path: Path
    kind: ActorKind
    manifest: ManifestFile | None = None
    manifest_path: Path | None = None
    trusted: bool = True  # False for code fetched with git: its manifest only requests capabilities
    stand_in: str | None = None  # the upstream actor_id a built-in serves (see config/standins.py)
    code_manifest_path: Path | None = None  # a stand-in's: the built-in's manifest, describing its code
    mcp: McpServer | None = None  # an ``mcp`` source's server (the code is the ``mcp_tools`` built-in)

    @property
    def code_manifest(self) -> tuple[ManifestFile | None, Path | None]:
        """The manifest of the code that runs (``listens_to``, capabilities, ``python_path``)."""
        if self.code_manifest_path is not None:
            return read_manifest(self.code_manifest_path), self.code_manifest_path
        return self.manifest, self.manifest_path


def builtin_names() -> list[str]:
    """The actors shipped with wasmind-nb."""
    return sorted(p.name for p in builtin_actors_dir().iterdir() if (p / MANIFEST_NAME).is_file())


def source_identity(source: AnySource, base_dir: Path) -> str:
    """A string equal for two sources exactly when they name the same code (no cloning needed)."""
    if isinstance(source, BuiltinSource):
        return str((builtin_actors_dir() / source.builtin).resolve())
    if isinstance(source, PathSource):
        return str(_local_path(source, base_dir))
    if isinstance(source, McpSource):
        return f"mcp:{source.mcp.model_dump_json()}"
    return f"{normalize_url(source.git, base_dir)}#{ref_label(source.git_ref)}:{source.sub_dir or ''}"


def locate(
    source: AnySource,
    *,
    base_dir: Path,
    file: str,
    key: str,
    cache: Path | None = None,
    stand_ins: bool = True,
    fresh_clones: set[Path] | None = None,
) -> LocatedActor:
    """Find the code that ``source`` (written at dotted ``key`` of ``file``) names.

    Git sources are cloned under ``cache`` (None: the default cache folder); Rust crates are built there.
    ``stand_ins``: an upstream actor that cannot be built here may be served by a built-in.
    ``fresh_clones``: clones this load already updated (see ``git.checkout``).
    """
    if isinstance(source, McpSource):
        return _mcp_actor(source)
    if isinstance(source, BuiltinSource):
        known = builtin_names()
        if source.builtin not in known:
            raise ConfigError(
                f"there is no built-in actor '{source.builtin}' (built-in actors: {', '.join(known)})",
                file=file,
                key=f"{key}.source.builtin",
            )
        path = (builtin_actors_dir() / source.builtin).resolve()
    elif isinstance(source, PathSource):
        path = _local_path(source, base_dir)
        if not path.exists():
            where = "path" if source.package is None else "package"
            raise ConfigError(f"source path '{path}' does not exist", file=file, key=f"{key}.source.{where}")
    else:
        url = normalize_url(source.git, base_dir)
        root = checkout(
            url, source.git_ref, cache=cache, file=file, key=f"{key}.source.git", fresh=fresh_clones
        )
        path = (root / source.sub_dir).resolve() if source.sub_dir else root
        if not path.is_relative_to(root.resolve()):
            raise ConfigError(
                f"sub_dir '{source.sub_dir}' leads outside the repository {url}",
                file=file,
                key=f"{key}.source.sub_dir",
            )
        if not path.exists():
            raise ConfigError(
                f"sub_dir '{source.sub_dir}' does not exist in {url} ({ref_label(source.git_ref)})",
                file=file,
                key=f"{key}.source.sub_dir",
            )
    located = inspect_actor(path, file=file, key=f"{key}.source", cache=cache, stand_ins=stand_ins)
    return dataclasses.replace(located, trusted=False) if isinstance(source, GitSource) else located


def inspect_actor(
    path: Path, *, file: str, key: str, cache: Path | None = None, stand_ins: bool = True
) -> LocatedActor:
    """Classify an existing path as a Python actor folder, a ``.wasm`` component or a Rust crate,
    reading its manifest."""
    if path.is_file():
        return _wasm_file(path, file=file, key=key)
    manifest_path = path / MANIFEST_NAME
    if not manifest_path.is_file():
        raise ConfigError(f"actor folder '{path}' has no {MANIFEST_NAME}", file=file, key=key)
    manifest = read_manifest(manifest_path)
    if manifest.component is not None:
        component = (path / manifest.component).resolve()
        if not component.is_file():
            raise ConfigError(
                f"component '{component}' does not exist", file=str(manifest_path), key="component"
            )
        return LocatedActor(component, "wasm", manifest, manifest_path)
    if (path / PYTHON_ENTRY).is_file():
        return LocatedActor(path, "python", manifest, manifest_path)
    if (path / JS_ENTRY).is_file():
        return LocatedActor(path, "javascript", manifest, manifest_path)
    if is_rust_crate(path):
        return _rust_actor(
            path, manifest, manifest_path, cache=cache, stand_ins=stand_ins, file=file, key=key
        )
    raise ConfigError(
        f"actor folder '{path}' has neither {PYTHON_ENTRY} (a Python actor), {JS_ENTRY} (a JavaScript "
        f"actor) nor "
        f'component = "<file>.wasm" in its {MANIFEST_NAME} (a prebuilt component)',
        file=file,
        key=key,
    )


def _rust_actor(
    path: Path,
    manifest: ManifestFile,
    manifest_path: Path,
    *,
    cache: Path | None,
    stand_ins: bool,
    file: str,
    key: str,
) -> LocatedActor:
    """A Rust crate: built with ``cargo component`` if it works here, else (not installed, or the build
    failed) served by a built-in stand-in when it is one of upstream's actors, else an error naming what
    to install (or cargo's own)."""
    stand_in = STAND_INS.get(manifest.actor_id) if stand_ins else None
    cargo = find_cargo_component()
    if cargo is not None:
        try:
            component = build_crate(path, cargo, cache=cache, file=file, key=key)
        except ConfigError as err:
            if stand_in is None:
                raise
            warnings.warn(f"{err}; the built-in '{stand_in.builtin}' serves it instead", ConfigWarning, 2)
        else:
            return LocatedActor(component, "wasm", manifest, manifest_path)
    if stand_in is not None:
        builtin = (builtin_actors_dir() / stand_in.builtin).resolve()
        return LocatedActor(
            builtin, "python", manifest, manifest_path, stand_in=manifest.actor_id,
            code_manifest_path=builtin / MANIFEST_NAME,
        )  # fmt: skip
    why = " (stand-ins are turned off)" if not stand_ins and manifest.actor_id in STAND_INS else ""
    raise ConfigError(
        f"actor folder '{path}' is a Rust crate ({manifest.actor_id}): building it needs "
        f"`cargo component`, which is not installed{why}; {INSTALL_HINT}",
        file=file,
        key=key,
    )


def _mcp_actor(source: McpSource) -> LocatedActor:
    """An MCP server: the ``mcp_tools`` built-in offers its tools; the host runs the server."""
    table = source.mcp
    server = McpServer(
        command=table.command,
        args=tuple(table.args),
        env=tuple(table.env.items()),
        cwd=table.cwd,
        url=table.url,
        tools=None if table.tools is None else tuple(table.tools),
        prefix=table.prefix,
        env_from_host=tuple(table.env_from_host),
        bearer_token_env=table.bearer_token_env,
        call_timeout_s=table.call_timeout_s,
        start_timeout_s=table.start_timeout_s,
    )
    path = (builtin_actors_dir() / MCP_BUILTIN).resolve()
    return LocatedActor(path, "python", read_manifest(path / MANIFEST_NAME), path / MANIFEST_NAME, mcp=server)


def _wasm_file(path: Path, *, file: str, key: str) -> LocatedActor:
    """A ``.wasm`` source; a ``Wasmind.toml`` beside it, if any, is its manifest."""
    if path.suffix != ".wasm":
        raise ConfigError(f"source '{path}' is neither a folder nor a .wasm file", file=file, key=key)
    manifest_path = path.parent / MANIFEST_NAME
    if not manifest_path.is_file():
        return LocatedActor(path, "wasm")
    manifest = read_manifest(manifest_path)
    if manifest.component is not None and (path.parent / manifest.component).resolve() != path:
        raise ConfigError(
            f"this manifest names component '{manifest.component}', not '{path.name}'",
            file=str(manifest_path),
            key="component",
        )
    return LocatedActor(path, "wasm", manifest, manifest_path)


def _local_path(source: PathSource, base_dir: Path) -> Path:
    path = base_dir / Path(source.path).expanduser()
    return (path / source.package if source.package else path).resolve()
