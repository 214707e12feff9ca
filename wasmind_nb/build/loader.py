"""Turn every actor of a config into a compiled component: build Python actors, compile, cache.

Builds run in parallel (one componentize-py process per core) with a progress bar; anything already in
the cache (same sources, same SDK/WIT, same tool versions) is reused without a rebuild or recompile.
"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from wasmind_nb.build.componentize import build_python_actor, component_path
from wasmind_nb.errors import BuildError, ComponentLoadError

if TYPE_CHECKING:
    from wasmtime.component import Component

    from wasmind_nb.config import ActorSpec
    from wasmind_nb.host.engine import EngineHost


def _needs_build(spec: ActorSpec, cache: Path) -> bool:
    return (
        spec.kind == "python"
        and not component_path(spec.source_path, cache, spec.name, spec.python_path).is_file()
    )


def wasm_for(spec: ActorSpec, cache: Path) -> Path:
    """The component file of an actor (building a Python actor if needed)."""
    if spec.kind == "wasm":
        if not spec.source_path.is_file():
            raise ComponentLoadError(f"actor '{spec.name}': component file {spec.source_path} does not exist")
        return spec.source_path
    return build_python_actor(spec.source_path, cache, spec.name, spec.python_path)


def build_all(
    specs: Iterable[ActorSpec], cache: Path, *, progress: bool = True, jobs: int | None = None
) -> dict[str, Path]:
    """Build (or find in the cache) the component file of every actor; returns name -> .wasm path."""
    specs = list(specs)
    unique: dict[Path, ActorSpec] = {}
    for spec in specs:
        unique.setdefault(spec.source_path, spec)
    todo = [spec for spec in unique.values() if _needs_build(spec, cache)]
    built: dict[Path, Path] = {}
    errors: list[str] = []
    if todo:
        jobs = jobs or max(1, min(len(todo), os.cpu_count() or 1))
        bar = _progress_bar(len(todo), enabled=progress)
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(wasm_for, spec, cache): spec for spec in todo}
            for future in concurrent.futures.as_completed(futures):
                spec = futures[future]
                try:
                    built[spec.source_path] = future.result()
                except (BuildError, ComponentLoadError) as err:
                    errors.append(str(err))
                if bar is not None:
                    bar.set_postfix_str(spec.name)
                    bar.update(1)
        if bar is not None:
            bar.close()
    if errors:
        raise BuildError("\n\n".join(errors))
    for spec in unique.values():
        if spec.source_path not in built:
            built[spec.source_path] = wasm_for(spec, cache)
    return {spec.name: built[spec.source_path] for spec in specs}


def load_all(
    specs: Iterable[ActorSpec], engine: EngineHost, cache: Path, *, progress: bool = True
) -> dict[str, Component]:
    """Build and compile every actor; returns name -> compiled component (shared by all spawns)."""
    specs = list(specs)
    wasm = build_all(specs, cache, progress=progress)
    by_file: dict[Path, Component] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        futures = {path: pool.submit(engine.load_component, path, cache) for path in set(wasm.values())}
        failures = []
        for path, future in futures.items():
            try:
                by_file[path] = future.result()
            except ComponentLoadError as err:
                names = ", ".join(sorted(n for n, p in wasm.items() if p == path))
                failures.append(f"actor(s) {names}: {err}")
    if failures:
        raise ComponentLoadError("\n".join(failures))
    return {name: by_file[path] for name, path in wasm.items()}


def _progress_bar(total: int, *, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="Building actors", unit="actor")
