"""Combining the declarations of one actor, lowest precedence first."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wasmind_nb.config.models import ManifestFile
from wasmind_nb.config.specs import Capabilities, Preopen


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

    def key_of(self, name: str) -> str:
        """The dotted key of ``name`` inside this declaration."""
        return f"{self.key}.{name}" if self.key else name


def manifest_layer(manifest: ManifestFile, path: Path) -> Layer:
    """The defaults an actor's own manifest sets for it (``required_spawn_with`` is handled apart)."""
    own = {"listens_to", "scope_filter", "instance", "capabilities"}
    return Layer(str(path), "", path.parent, manifest.model_dump(include=own, exclude_none=True))


@dataclass
class Merged:
    """The result of merging layers: each key's winning value, and which layer it came from."""

    values: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, Layer] = field(default_factory=dict)
    capabilities: dict[str, Any] = field(default_factory=dict)


def merge_layers(layers: Sequence[Layer]) -> Merged:
    """Apply ``layers`` in order: ``config`` deep-merges, ``capabilities`` merge per key, others replace."""
    merged = Merged()
    for layer in layers:
        for key, value in layer.values.items():
            if key == "config":
                merged.values["config"] = deep_merge(merged.values.get("config", {}), value)
            elif key == "capabilities":
                merged.capabilities.update(_resolve_capabilities(value, layer.base_dir))
            else:
                merged.values[key] = value
            merged.origins[key] = layer
    return merged


def build_capabilities(values: Mapping[str, Any]) -> Capabilities:
    """Freeze merged capability values (lists become tuples)."""
    frozen = {key: tuple(value) if isinstance(value, list) else value for key, value in values.items()}
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
