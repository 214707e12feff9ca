"""Turn every actor of a config into what the runtime instantiates: a compiled component and its grants.

Python actors run on the shared interpreter (:mod:`wasmind_nb.build.interpreter`): the interpreter is
built and compiled once, and each actor's sources are prepared (:mod:`wasmind_nb.build.prepare`) in well
under a second. With ``[runtime] python_build = "standalone"`` each Python actor is instead built into a
component of its own with componentize-py, in parallel (one process per core) with a progress bar.
Everything is cached by content: the same sources, SDK, WIT and tool versions are never rebuilt.
"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wasmind_nb.build.componentize import build_python_actor, component_path
from wasmind_nb.build.interpreter import interpreter_component, interpreter_path, stdlib_dir
from wasmind_nb.build.javascript import build_js_actor
from wasmind_nb.build.javascript import component_path as js_component_path
from wasmind_nb.build.prepare import prepare_actor
from wasmind_nb.errors import BuildError, ComponentLoadError

if TYPE_CHECKING:
    from wasmtime.component import Component

    from wasmind_nb.config import ActorSpec
    from wasmind_nb.host.engine import EngineHost
    from wasmind_nb.host.instance import Preopen


@dataclass(frozen=True)
class LoadedActor:
    """One actor type as the runtime instantiates it."""

    component: Component
    preopens: tuple[Preopen, ...] = ()  # granted read-only besides the actor's own fs grants
    #: the message types its SDK handlers take (``None``: unknown, so every message may matter)
    handled_types: tuple[str, ...] | None = None
    boot: str = ""  # put in front of the config of an instance's first constructor call


def _needs_build(spec: ActorSpec, cache: Path) -> bool:
    if spec.kind == "javascript":
        return not js_component_path(spec.source_path, cache).is_file()
    return not component_path(spec.source_path, cache, spec.name, spec.python_path).is_file()


def wasm_for(spec: ActorSpec, cache: Path) -> Path:
    """The component file of a prebuilt actor, a JavaScript actor, or a Python actor built standalone
    (building it)."""
    if spec.kind == "wasm":
        if not spec.source_path.is_file():
            raise ComponentLoadError(f"actor '{spec.name}': component file {spec.source_path} does not exist")
        return spec.source_path
    if spec.kind == "javascript":
        return build_js_actor(spec.source_path, cache, spec.name)
    return build_python_actor(spec.source_path, cache, spec.name, spec.python_path)


def build_all(
    specs: Iterable[ActorSpec], cache: Path, *, progress: bool = True, jobs: int | None = None
) -> dict[str, Path]:
    """Build (or find in the cache) a standalone component for every actor; returns name -> .wasm path."""
    specs = list(specs)
    unique: dict[Path, ActorSpec] = {}
    for spec in specs:
        unique.setdefault(spec.source_path, spec)
    todo = [spec for spec in unique.values() if spec.kind != "wasm" and _needs_build(spec, cache)]
    built: dict[Path, Path] = {}
    errors: list[str] = []
    if todo:
        jobs = jobs or max(1, min(len(todo), os.cpu_count() or 1))
        bar = _progress_bar(len(todo), "Building actors", "actor", enabled=progress)
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
    specs: Iterable[ActorSpec],
    engine: EngineHost,
    cache: Path,
    *,
    progress: bool = True,
    standalone: bool = False,
) -> dict[str, LoadedActor]:
    """Build, compile and prepare every actor; returns name -> :class:`LoadedActor` (shared by all spawns)."""
    specs = list(specs)
    on_interpreter = [spec for spec in specs if spec.kind == "python" and not standalone]
    files = [spec for spec in specs if spec not in on_interpreter]
    wasm = build_all(files, cache, progress=progress)
    paths = set(wasm.values())
    interpreter = _interpreter(cache, progress) if on_interpreter else None
    if interpreter is not None:
        paths.add(interpreter)
    compiled = _compile(paths, wasm, engine, cache)
    loaded = {name: LoadedActor(compiled[path]) for name, path in wasm.items()}
    if interpreter is not None:
        loaded.update(_prepare_all(on_interpreter, compiled[interpreter], engine, cache))
    return {spec.name: loaded[spec.name] for spec in specs}


def _interpreter(cache: Path, progress: bool) -> Path:
    """The shared interpreter's file, built with a progress bar the first time."""
    if interpreter_path(cache).is_file():
        return interpreter_path(cache)
    bar = _progress_bar(1, "Building the Python interpreter (once)", "build", enabled=progress)
    try:
        return interpreter_component(cache)
    finally:
        if bar is not None:
            bar.update(1)
            bar.close()


def _compile(
    paths: set[Path], wasm: dict[str, Path], engine: EngineHost, cache: Path
) -> dict[Path, Component]:
    by_file: dict[Path, Component] = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        futures = {path: pool.submit(engine.load_component, path, cache) for path in paths}
        failures = []
        for path, future in futures.items():
            try:
                by_file[path] = future.result()
            except ComponentLoadError as err:
                names = ", ".join(sorted(n for n, p in wasm.items() if p == path)) or "the Python interpreter"
                failures.append(f"actor(s) {names}: {err}")
    if failures:
        raise ComponentLoadError("\n".join(failures))
    return by_file


def _prepare_all(
    specs: list[ActorSpec], interpreter: Component, engine: EngineHost, cache: Path
) -> dict[str, LoadedActor]:
    stdlib = stdlib_dir(cache)
    loaded: dict[str, LoadedActor] = {}
    errors: list[str] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        futures = {spec.name: pool.submit(prepare_actor, spec, interpreter, engine, cache) for spec in specs}
        for name, future in futures.items():
            try:
                prepared = future.result()
            except BuildError as err:
                errors.append(str(err))
                continue
            loaded[name] = LoadedActor(
                interpreter, prepared.preopens(stdlib), prepared.handled_types, prepared.boot
            )
    if errors:
        raise BuildError("\n\n".join(errors))
    return loaded


def _progress_bar(total: int, description: str, unit: str, *, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=description, unit=unit)
