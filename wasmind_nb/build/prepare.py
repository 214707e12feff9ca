"""Prepare a Python actor for the shared interpreter: its sources copied, compiled and inspected, once.

A Python actor needs no build of its own. Once per version of its sources (a content key over its folder,
its ``python_path`` folders and the interpreter), the host copies them into the cache and runs the
interpreter's *prepare* pass on the copy (see ``guest/actor.py``): the guest compiles every module to
bytecode beside its source and imports the actor, and reports which message types its ``@on`` handlers
take. The pass runs in its own store with nothing granted but those folders; an error in the actor's code
is a :class:`~wasmind_nb.errors.BuildError` that names the actor's own files.

Actors then get the prepared copy read-only, so every instance imports bytecode instead of compiling.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from wasmind_nb.build.hashing import content_key
from wasmind_nb.build.interpreter import STDLIB_GUEST_PATH, interpreter_key, stdlib_dir
from wasmind_nb.config.specs import Capabilities
from wasmind_nb.errors import ActorTrap, BuildError, ComponentLoadError
from wasmind_nb.host import context
from wasmind_nb.host.epoch import EPOCH_TICK_S
from wasmind_nb.host.instance import ComponentInstance, Preopen, StoreLimits
from wasmind_nb.host.linker import shared_linker
from wasmind_nb.runtime.ids import ROOT_SCOPE

if TYPE_CHECKING:
    from wasmtime.component import Component

    from wasmind_nb.config import ActorSpec
    from wasmind_nb.host.engine import EngineHost

SOURCE_GUEST_PATH = "/.wasmind/actor"
PATH_GUEST_PREFIX = "/.wasmind/path"
_PREPARE_GUEST_PATH = "/.wasmind/prepare"
_PREPARE_TIMEOUT_S = 120.0
_PREPARE_MEMORY_BYTES = 1 << 30
_COPY_IGNORE = shutil.ignore_patterns("__pycache__", ".*", "*.pyc", "*.wasm")


@dataclass(frozen=True)
class PreparedActor:
    """A Python actor ready for the shared interpreter."""

    folder: Path  # the compiled copy of the actor's folder
    python_path: tuple[Path, ...]  # compiled copies of its python_path folders, in order
    #: the message types its ``@on`` handlers take; ``None`` when it wants every message
    handled_types: tuple[str, ...] | None
    #: what the first constructor call of an instance is handed in front of the config (see ``boot``)
    boot: str = ""

    def preopens(self, stdlib: Path) -> tuple[Preopen, ...]:
        """What an instance is granted read-only: the standard library, the actor's and its paths' code."""
        folders = [(self.folder, SOURCE_GUEST_PATH)]
        folders += [(folder, f"{PATH_GUEST_PREFIX}{i}") for i, folder in enumerate(self.python_path)]
        return (
            Preopen(str(stdlib), STDLIB_GUEST_PATH, True),
            *(Preopen(str(host), guest, True) for host, guest in folders),
        )


def prepared_key(spec: ActorSpec) -> str:
    extra = [(f"path{index}", folder) for index, folder in enumerate(spec.python_path)]
    return content_key([("actor", spec.source_path), *extra], [f"interpreter={interpreter_key()}"])


def prepare_actor(spec: ActorSpec, interpreter: Component, engine: EngineHost, cache: Path) -> PreparedActor:
    """The prepared copy of ``spec``'s sources, made first if it is not in the cache."""
    source = spec.source_path
    if not (source / "actor.py").is_file():
        raise BuildError(
            f"actor '{spec.name}': {source} has no actor.py (a module `actor` with class `Actor`)"
        )
    root = cache / "prepared" / prepared_key(spec)
    if not (root / "handlers.json").is_file():
        _prepare_into(root, spec, interpreter, engine, cache)
    report = json.loads((root / "handlers.json").read_text())
    types = report["message_types"]
    bundle = root / "bundle"
    return PreparedActor(
        folder=root / "actor",
        python_path=tuple(root / f"path{i}" for i in range(len(spec.python_path))),
        handled_types=None if report["catch_all"] or types is None else tuple(types),
        boot=boot(bundle.read_bytes()) if bundle.is_file() else "",
    )


def boot(bundle: bytes) -> str:
    """The text in front of the config of an instance's first constructor call: the actor's compiled
    modules (the prepare pass's ``bundle``), so the guest imports them without opening a file.

    ``"\\0<n>\\0"`` then the ``n`` bytes as Latin-1 text; a TOML config never starts with a NUL."""
    return f"\0{len(bundle)}\0{bundle.decode('latin-1')}"


def _prepare_into(
    root: Path, spec: ActorSpec, interpreter: Component, engine: EngineHost, cache: Path
) -> None:
    staging = root.with_name(f"{root.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        shutil.copytree(spec.source_path, staging / "actor", ignore=_COPY_IGNORE)
        for index, folder in enumerate(spec.python_path):
            shutil.copytree(folder, staging / f"path{index}", ignore=_COPY_IGNORE)
        (staging / "prepare").mkdir()
        _run_prepare_pass(staging, spec, interpreter, engine, cache)
        error = staging / "prepare" / "error.txt"
        if error.is_file():
            raise BuildError(
                f"actor '{spec.name}' ({spec.source_path}): {_host_paths(error.read_text(), spec)}"
            )
        (staging / "prepare" / "handlers.json").rename(staging / "handlers.json")
        if (staging / "prepare" / "bundle").is_file():
            (staging / "prepare" / "bundle").rename(staging / "bundle")
        (staging / "prepare").rmdir()
        try:
            os.replace(staging, root)
        except OSError:  # prepared meanwhile by another thread or process
            if not (root / "handlers.json").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _run_prepare_pass(
    staging: Path, spec: ActorSpec, interpreter: Component, engine: EngineHost, cache: Path
) -> None:
    folders = [(staging / "actor", SOURCE_GUEST_PATH)]
    folders += [(staging / f"path{i}", f"{PATH_GUEST_PREFIX}{i}") for i in range(len(spec.python_path))]
    preopens = (
        Preopen(str(stdlib_dir(cache)), STDLIB_GUEST_PATH, True),
        *(Preopen(str(host), guest, False) for host, guest in folders),
        Preopen(str(staging / "prepare"), _PREPARE_GUEST_PATH, False),
    )
    label = f"{spec.name} (prepare)"
    engine.acquire_ticker()
    try:
        instance = ComponentInstance(
            shared_linker(engine.engine),
            engine.engine,
            interpreter,
            label=label,
            preopens=preopens,
            limits=StoreLimits(max_memory_bytes=_PREPARE_MEMORY_BYTES),
        )
        caller = context.CallContext(
            services=_PrepareServices(),
            actor_name=spec.name,
            scope=ROOT_SCOPE,
            capabilities=Capabilities(),
            store=instance.store,
            deadline_ticks=round(_PREPARE_TIMEOUT_S / EPOCH_TICK_S),
        )
        with context.entered(caller):
            handle = instance.construct(ROOT_SCOPE, "")
            instance.destroy(handle)
    except (ActorTrap, ComponentLoadError) as err:
        raise BuildError(
            f"actor '{spec.name}' ({spec.source_path}) failed to load: {_host_paths(str(err), spec)}"
        ) from None
    finally:
        engine.release_ticker()


def _host_paths(text: str, spec: ActorSpec) -> str:
    """``text`` with the guest's paths of the actor's files replaced by their host paths."""
    text = text.replace(f'"{SOURCE_GUEST_PATH}/', f'"{spec.source_path}/')
    for index, folder in enumerate(spec.python_path):
        text = text.replace(f'"{PATH_GUEST_PREFIX}{index}/', f'"{folder}/')
    return text


class _PrepareServices:
    """The host as the prepare pass sees it: an actor's module may log while it is imported, nothing else."""

    def broadcast_from(self, caller, message_type, payload):
        raise BuildError(
            f"actor '{caller.actor_name}' broadcast {message_type} while its module was imported"
        )

    def spawn_from(self, caller, actor_names, agent_name):
        raise BuildError(f"actor '{caller.actor_name}' spawned an agent while its module was imported")

    def parent_of(self, scope):
        return None

    def working_directory(self):
        return "/"

    def run_command(self, caller, spec):
        return "commands are not available while an actor's module is imported"

    def send_http(self, caller, spec):
        from wasmind_nb.host.httpclient import NetworkError

        return NetworkError("HTTP is not available while an actor's module is imported")

    def log_from(self, caller, level, message):
        import logging

        logging.getLogger("wasmind_nb.actor").log(
            logging.WARNING if level in ("warn", "error") else logging.INFO,
            "[%s] %s",
            caller.actor_name,
            message,
        )
