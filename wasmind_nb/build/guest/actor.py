"""The exported ``actor`` resource of the shared Python interpreter (this file runs inside the component).

Every Python actor on the shared interpreter is this one component. The host grants the actor's prepared
sources read-only at ``/.wasmind/actor`` and its manifest's ``python_path`` folders at ``/.wasmind/path0``,
``/.wasmind/path1``, ...; the first constructor call of an instance imports the actor's ``actor.py``
(its own folder first on ``sys.path``, as in a standalone build), with the modules of its folder taken
from the compiled bundle the host puts in front of that call's config, and every constructor call returns
an instance of that module's ``Actor`` class, which componentize-py then calls directly.

Once per source version the host runs the *prepare* pass: it grants the same folders writable plus
``/.wasmind/prepare``, and the constructor compiles every ``.py`` file to bytecode beside it, writes the
bundle of the actor's folder to ``/.wasmind/prepare/bundle``, imports the actor, and writes what its
``@on`` handlers take to ``/.wasmind/prepare/handlers.json`` (or the error that stopped it to
``/.wasmind/prepare/error.txt``).
"""

from __future__ import annotations

import builtins
import json
import marshal
import os
import py_compile
import sys
import traceback
import types
from importlib.machinery import ModuleSpec, PathFinder, SourceFileLoader
from typing import Any

import wasmind_sdk.bulk

SOURCE_ROOT = "/.wasmind/actor"
PATH_ROOT = "/.wasmind/path"
PREPARE_ROOT = "/.wasmind/prepare"
_BUNDLE_VERSION = 1
_BUNDLE_MAX_BYTES = 1 << 20

_actor_class: Any = None
#: module name -> (its source's guest path, whether it is a package, its marshalled code)
Bundle = dict[str, tuple[str, bool, bytes]]


def _folders() -> list[str]:
    folders = [SOURCE_ROOT]
    while os.path.isdir(f"{PATH_ROOT}{len(folders) - 1}"):
        folders.append(f"{PATH_ROOT}{len(folders) - 1}")
    return folders


def load_actor_class(bundle: Bundle | None = None) -> Any:
    """The ``Actor`` class of the granted sources, imported once per instance."""
    global _actor_class
    if _actor_class is None:
        sys.path[:0] = _folders()  # new entries: no finder is cached for them (and invalidate_caches()
        # would import importlib.metadata from source, ~200 ms in every instance)
        _actor_class = _import_actor(bundle).Actor
    return _actor_class


def _import_actor(bundle: Bundle | None) -> types.ModuleType:
    """Import ``actor.py`` as the module ``actor``, and its folder's modules from ``bundle``.

    Every isolated actor runs this in a fresh instance, where each file the guest opens costs several
    host calls and each page of the heap it touches is copied or mapped anew. So the prepare pass compiles
    the actor's folder into a bundle (:func:`_make_bundle`) that the host hands to the first constructor
    call of an instance (:func:`_split_boot`); its modules are served from memory by a finder that sits
    where the folder does on ``sys.path`` (after the built-in and frozen modules). They look as importlib
    would have made them (``__spec__``, ``__loader__``, ``__file__``, ``__cached__``). Without a bundle
    (a folder over :data:`_BUNDLE_MAX_BYTES`) they import from their files.
    """
    spec = None
    if bundle is not None:
        _FINDER.modules = bundle
        spec = _FINDER.find_spec("actor")
    if spec is None:
        source = f"{SOURCE_ROOT}/actor.py"
        spec = _file_spec("actor", SourceFileLoader("actor", source), source, False)
    module = types.ModuleType("actor")
    module.__spec__, module.__loader__, module.__package__ = spec, spec.loader, ""
    module.__file__, module.__cached__, module.__builtins__ = spec.origin, spec.cached, builtins
    code = spec.loader.get_code("actor")
    sys.modules["actor"] = module  # the actor's own module, as in a standalone build
    exec(code, module.__dict__)
    return module


def _split_boot(config: str) -> tuple[Bundle | None, str]:
    """The bundle in front of the actor's config, and the config: ``"\\0<n>\\0"``, ``n`` bytes of the
    marshalled bundle as Latin-1 text, then the TOML (which never starts with a NUL)."""
    if not config.startswith("\0"):
        return None, config
    size, _, rest = config[1:].partition("\0")
    data, config = rest[: int(size)], rest[int(size) :]
    version, modules = marshal.loads(data.encode("latin-1"))
    return (modules if version == _BUNDLE_VERSION else None), config


def _file_spec(name: str, loader: Any, origin: str, is_package: bool) -> ModuleSpec:
    spec = ModuleSpec(name, loader, origin=origin, is_package=is_package)
    spec.has_location = True
    folder, _, file = origin.rpartition("/")
    spec.cached = f"{folder}/__pycache__/{file[:-3]}.{sys.implementation.cache_tag}.pyc"
    if is_package:
        spec.submodule_search_locations = [folder]
    return spec


class _BundleLoader(SourceFileLoader):
    """A module's loader whose code comes from the bundle (its source is still there for tracebacks)."""

    def __init__(self, fullname: str, path: str, code: bytes) -> None:
        super().__init__(fullname, path)
        self._code = code

    def get_code(self, fullname: str) -> Any:
        return marshal.loads(self._code)


class _BundleFinder:
    """Finds the modules of the actor's folder in the bundle (none until the actor is imported)."""

    def __init__(self) -> None:
        self.modules: Bundle = {}

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        entry = self.modules.get(fullname)
        if entry is None:
            return None
        origin, is_package, code = entry
        return _file_spec(fullname, _BundleLoader(fullname, origin, code), origin, is_package)

    def invalidate_caches(self) -> None:
        pass


# Installed in the snapshot, where the actor's folder is on sys.path: after the built-in and frozen
# modules, before the path finder.
_FINDER = _BundleFinder()
sys.meta_path.insert(
    next((i for i, f in enumerate(sys.meta_path) if f is PathFinder), len(sys.meta_path)), _FINDER
)


def _compile_all(folders: list[str]) -> None:
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if d != "__pycache__" and not d.startswith(".")]
            for name in files:
                if name.endswith(".py"):
                    source = f"{root}/{name}"
                    py_compile.compile(
                        source, doraise=True, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
                    )


def _make_bundle() -> Bundle | None:
    """The compiled modules of the actor's folder (top-level modules and regular packages; a namespace
    package imports from its files), or ``None`` past :data:`_BUNDLE_MAX_BYTES` of bytecode. Written to
    ``/.wasmind/prepare/bundle`` for the host."""
    modules: Bundle = {}
    total = 0
    for root, dirs, files in os.walk(SOURCE_ROOT):
        package = root[len(SOURCE_ROOT) + 1 :].replace("/", ".")
        if package and "__init__.py" not in files:
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if d.isidentifier() and d != "__pycache__")
        for name in sorted(files):
            stem = name[:-3]
            if not name.endswith(".py") or not stem.isidentifier():
                continue
            fullname = package if stem == "__init__" else f"{package}.{stem}".lstrip(".")
            if not fullname:
                continue  # an __init__.py at the top: the folder itself is no package
            origin = f"{root}/{name}"
            with open(origin, "rb") as handle:
                code = marshal.dumps(compile(handle.read(), origin, "exec", dont_inherit=True))
            total += len(code)
            if total > _BUNDLE_MAX_BYTES:
                return None
            modules[fullname] = (origin, stem == "__init__", code)
    with open(f"{PREPARE_ROOT}/bundle", "wb") as out:
        out.write(marshal.dumps((_BUNDLE_VERSION, modules)))
    return modules


def _subscriptions(actor_class: Any) -> dict[str, Any]:
    """What the class's ``@on`` handlers take; ``catch_all`` when it also wants every other message."""
    from wasmind_sdk.actor import ActorBase

    if not (isinstance(actor_class, type) and issubclass(actor_class, ActorBase)):
        return {"message_types": None, "catch_all": True}
    catch_all = getattr(actor_class, "_catch_all", None)
    if catch_all is None:  # not declared: an override may want anything
        catch_all = (
            actor_class.on_message is not ActorBase.on_message
            or actor_class.handle_message is not ActorBase.handle_message
        )
    return {"message_types": sorted(actor_class._handlers), "catch_all": catch_all}


def _prepare() -> None:
    try:
        _compile_all(_folders())
        report = _subscriptions(load_actor_class(_make_bundle()))
    except BaseException as err:  # the user's code failed to compile or import: report it to the host
        own = [f for f in traceback.extract_tb(err.__traceback__) if f.filename.startswith("/.wasmind/")]
        lines = ["Traceback (most recent call last):\n", *traceback.format_list(own)] if own else []
        lines += traceback.format_exception_only(type(err), err)
        with open(f"{PREPARE_ROOT}/error.txt", "w", encoding="utf-8") as out:
            out.write("".join(lines))
        return
    with open(f"{PREPARE_ROOT}/handlers.json", "w", encoding="utf-8") as out:
        json.dump(report, out)


class _Prepared:
    """What the prepare pass's constructor returns: an actor that does nothing."""

    def handle_message(self, message: Any) -> None:
        pass

    def destructor(self) -> None:
        pass


_preparing: bool | None = None  # whether this instance runs the prepare pass, looked up once per instance


def _is_prepare_pass() -> bool:
    """Whether the host granted ``/.wasmind/prepare``; asked once (a pooled instance constructs thousands
    of actors, and each look is a host call)."""
    global _preparing
    if _preparing is None:
        _preparing = os.path.isdir(PREPARE_ROOT)
    return _preparing


class Actor:
    """Stands in for the actor's own class: constructing it constructs that class instead."""

    def __new__(cls, scope: str, config: str) -> Any:
        if _is_prepare_pass():
            _prepare()
            return _Prepared()
        bundle, config = _split_boot(config)
        if bundle is not None:  # only a wasmind-nb host sends one, and it grants every store /.wasmind/bulk
            wasmind_sdk.bulk._available = True  # (saves the guest a host call to look)
        return load_actor_class(bundle)(scope, config)
