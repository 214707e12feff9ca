"""Actors for the magics: build and compile with a progress bar, and actors defined in a notebook cell.

The progress bar is shown whenever actors are loaded, built or found in the cache alike, so a notebook's
saved outputs are the same on a cold and a warm cache (nbval compares them; only the bar's live updates,
which nbval ignores, differ).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import tomli_w

from wasmind_nb.build.loader import LoadedActor, load_all
from wasmind_nb.config import ActorSpec, Config
from wasmind_nb.errors import ConfigError
from wasmind_nb.notebook.freezing import close_bar, progress_bar

if TYPE_CHECKING:
    from wasmind_nb.host.engine import EngineHost

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
INLINE_FOLDER = "notebook-actors"


async def load_actors(
    specs: Iterable[ActorSpec],
    engine: EngineHost,
    cache: Path,
    *,
    progress: bool = True,
    standalone: bool = False,
) -> dict[str, LoadedActor]:
    """Prepare (or build) and compile every actor, one progress step per actor; returns name -> loaded.

    Runs ``load_all`` per actor source on worker threads, at most one per core at a time, so the loop
    stays free. Cancelling stops waiting; a build already running finishes into the cache.
    """
    by_source: dict[Path, list[ActorSpec]] = {}
    for spec in specs:
        by_source.setdefault(spec.source_path, []).append(spec)
    if not by_source:
        return {}
    bar, shown = (
        progress_bar(total=len(by_source), desc="Loading actors", unit="actor") if progress else (None, None)
    )
    slots = asyncio.Semaphore(os.cpu_count() or 1)

    async def one(group: list[ActorSpec]) -> dict[str, LoadedActor]:
        async with slots:
            loaded = await asyncio.to_thread(
                load_all, group[:1], engine, cache, progress=False, standalone=standalone
            )
        if bar is not None:
            bar.set_postfix_str(group[0].name, refresh=False)
            bar.update(1)
        component = loaded[group[0].name]
        return {spec.name: component for spec in group}

    tasks = [asyncio.ensure_future(one(group)) for group in by_source.values()]
    try:
        results = await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        if bar is not None:
            close_bar(bar, shown)
    return {name: component for result in results for name, component in result.items()}


def check_actor_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ConfigError(f"invalid actor name '{name}': use letters, digits, '_' and '-'")
    return name


def write_inline_actor(name: str, source: str, cache: Path) -> Path:
    """Write a cell's Python source as an actor folder (``actor.py`` + ``Wasmind.toml``) under the cache.

    The folder name carries a hash of the source, so a changed cell is a new folder (and a new build).
    """
    check_actor_name(name)
    manifest = tomli_w.dumps({"actor_id": f"notebook:{name}"})
    digest = hashlib.sha256(f"{name}\0{source}".encode()).hexdigest()[:16]
    folder = cache / INLINE_FOLDER / f"{name}-{digest}"
    if not (folder / "actor.py").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "Wasmind.toml").write_text(manifest, encoding="utf-8")
        partial = folder / f"actor.py.{os.getpid()}.partial"
        partial.write_text(source, encoding="utf-8")
        os.replace(partial, folder / "actor.py")
    return folder


def cell_error(text: str, folder: Path, name: str) -> str:
    """An error about the actor written by :func:`write_inline_actor`, in terms of its cell: the cell's
    source is ``actor.py`` line for line, so only the file's name changes."""
    return text.replace(f" ({folder})", "").replace(
        f'File "{folder / "actor.py"}"', f"cell %%wasmind actor {name}"
    )


def inline_spec(
    name: str, folder: Path, *, requires: Sequence[str] = (), auto_spawn: bool = False
) -> ActorSpec:
    """The ``ActorSpec`` of an actor folder written by :func:`write_inline_actor`."""
    spec = Config.from_toml(_actor_table(name, folder), base_dir=folder).actors[name]
    return dataclasses.replace(
        spec,
        required_spawn_with=tuple(requires),
        auto_spawn=auto_spawn,
        declared_in=f"%%wasmind actor {name}",
    )


def _actor_table(name: str, folder: Path) -> str:
    return tomli_w.dumps({"actors": {name: {"source": {"path": str(folder)}}}})


def declared_actor_names(text: str) -> set[str]:
    """The names a config text declares under ``[actors]`` (empty if it does not parse)."""
    import tomllib

    try:
        actors = tomllib.loads(text).get("actors", {})
    except tomllib.TOMLDecodeError:
        return set()
    return set(actors) if isinstance(actors, dict) else set()


def config_with_inline(
    text: str, inline: dict[str, ActorSpec], *, base_dir: Path, source_name: str
) -> Config:
    """Load config text, adding the notebook's inline actors that it does not declare itself.

    They are declared in the text (so ``starting_actors`` and ``required_spawn_with`` may name them),
    then replaced by their exact specs. A config's own ``[actors.<name>]`` wins over an inline actor.
    """
    added = {name: spec for name, spec in inline.items() if name not in declared_actor_names(text)}
    extra = "".join("\n" + _actor_table(name, spec.source_path) for name, spec in added.items())
    config = Config.from_toml(text + extra, base_dir=base_dir, source_name=source_name)
    for spec in added.values():
        config = config.with_actor(spec)
    return config
