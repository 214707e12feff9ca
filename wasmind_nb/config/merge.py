"""Combining the declarations of one actor, lowest precedence first."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wasmind_nb.config.models import ManifestFile
from wasmind_nb.config.specs import Capabilities, CommandLimits, Preopen, UngrantedRequest


def deep_merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``top``: tables merge key by key, anything else (arrays too) is replaced."""
    merged = copy.deepcopy(dict(base))
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@dataclass(frozen=True)
class Layer:
    """One declaration of an actor: the keys it sets, where it was written, and its folder."""

    file: str
    key: str  # dotted key of the declaration ("actors.x"), "" for a manifest's top level
    base_dir: Path  # relative paths in the declaration resolve from here
    values: Mapping[str, Any]  # set keys only, as plain TOML data
    trusted: bool = True  # False for a manifest fetched with git: its capabilities are requests only

    def key_of(self, name: str) -> str:
        """The dotted key of ``name`` inside this declaration."""
        return f"{self.key}.{name}" if self.key else name


def manifest_layer(manifest: ManifestFile, path: Path, *, trusted: bool = True) -> Layer:
    """The defaults an actor's own manifest sets for it (``required_spawn_with`` is handled apart)."""
    own = {"listens_to", "scope_filter", "instance", "capabilities"}
    return Layer(str(path), "", path.parent, manifest.model_dump(include=own, exclude_none=True), trusted)


@dataclass
class Merged:
    """The result of merging layers: each key's winning value, and which layer it came from."""

    values: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, Layer] = field(default_factory=dict)
    capabilities: dict[str, Any] = field(default_factory=dict)
    ungranted: dict[str, UngrantedRequest] = field(default_factory=dict)


def merge_layers(layers: Sequence[Layer]) -> Merged:
    """Apply ``layers`` in order: ``config`` deep-merges, ``capabilities`` merge per key, others replace.

    Capabilities of an untrusted layer (a manifest fetched with git) are not granted: they are kept in
    ``ungranted`` until a trusted layer above sets the same key.
    """
    merged = Merged()
    for layer in layers:
        for key, value in layer.values.items():
            if key == "config":
                merged.values["config"] = deep_merge(merged.values.get("config", {}), value)
            elif key == "capabilities":
                _merge_capabilities(merged, _resolve_capabilities(value, layer.base_dir), layer)
            else:
                merged.values[key] = value
            merged.origins[key] = layer
    return merged


def _merge_capabilities(merged: Merged, values: Mapping[str, Any], layer: Layer) -> None:
    for key, value in values.items():
        if not layer.trusted:
            merged.ungranted[key] = UngrantedRequest(key, value, layer.file)
            continue
        merged.ungranted.pop(key, None)
        if key == "command_limits":  # its bounds merge one by one, like the capabilities around them
            value = {**merged.capabilities.get(key, {}), **value}
        merged.capabilities[key] = value


def build_capabilities(values: Mapping[str, Any]) -> Capabilities:
    """Freeze merged capability values (lists become tuples, tables become frozen values)."""
    frozen: dict[str, Any] = {}
    for key, value in values.items():
        if key == "command_limits":
            frozen[key] = CommandLimits(**value)
        elif key == "command_env":
            frozen[key] = tuple(sorted(value.items()))
        else:
            frozen[key] = tuple(dict.fromkeys(value)) if isinstance(value, list) else value
    return Capabilities(**frozen)


WORKDIR = "$WORKDIR"


def _preopen(entry: Mapping[str, Any], base_dir: Path) -> Preopen:
    """One ``fs`` entry: ``$WORKDIR[/sub]`` stays relative to the run's working directory; any other
    host path is resolved from the declaring file's folder."""
    host = str(entry["host"])
    if host == WORKDIR or host.startswith(WORKDIR + "/"):
        relative = Path(host[len(WORKDIR) :].lstrip("/") or ".")
        return Preopen(relative, entry["guest"], entry["read_only"], workdir_relative=True)
    return Preopen((base_dir / Path(host).expanduser()).resolve(), entry["guest"], entry["read_only"])


def _resolve_capabilities(table: Mapping[str, Any], base_dir: Path) -> dict[str, Any]:
    """Make ``fs`` host paths absolute (or working-directory relative, for ``$WORKDIR``)."""
    resolved = dict(table)
    if "fs" in table:
        resolved["fs"] = [_preopen(entry, base_dir) for entry in table["fs"]]
    return resolved
