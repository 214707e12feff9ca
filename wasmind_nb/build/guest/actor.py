"""The exported ``actor`` resource of the shared Python interpreter (this file runs inside the component).

Every Python actor on the shared interpreter is this one component. The host grants the actor's prepared
sources read-only at ``/.wasmind/actor`` and its manifest's ``python_path`` folders at ``/.wasmind/path0``,
``/.wasmind/path1``, ...; the first constructor call of an instance imports the actor's ``actor.py`` from
there (its own folder first on ``sys.path``, as in a standalone build) and every constructor call returns
an instance of that module's ``Actor`` class, which componentize-py then calls directly.

Once per source version the host runs the *prepare* pass: it grants the same folders writable plus
``/.wasmind/prepare``, and the constructor compiles every ``.py`` file to bytecode beside it, imports the
actor, and writes what its ``@on`` handlers take to ``/.wasmind/prepare/handlers.json`` (or the error that
stopped it to ``/.wasmind/prepare/error.txt``).
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
from importlib.machinery import ModuleSpec, SourceFileLoader
from importlib.util import MAGIC_NUMBER
from typing import Any

SOURCE_ROOT = "/.wasmind/actor"
PATH_ROOT = "/.wasmind/path"
PREPARE_ROOT = "/.wasmind/prepare"
_UNCHECKED_HASH = (1).to_bytes(4, "little")  # a hash-based pyc whose source is not checked

_actor_class: Any = None


def _folders() -> list[str]:
    folders = [SOURCE_ROOT]
    while os.path.isdir(f"{PATH_ROOT}{len(folders) - 1}"):
        folders.append(f"{PATH_ROOT}{len(folders) - 1}")
    return folders


def load_actor_class() -> Any:
    """The ``Actor`` class of the granted sources, imported once per instance."""
    global _actor_class
    if _actor_class is None:
        sys.path[:0] = _folders()  # new entries: no finder is cached for them (and invalidate_caches()
        # would import importlib.metadata from source, ~200 ms in every instance)
        _actor_class = _import_actor().Actor
    return _actor_class


def _import_actor() -> types.ModuleType:
    """Import ``actor.py`` as the module ``actor``, from the bytecode the prepare pass wrote beside it.

    Every isolated actor runs this in a fresh instance, where every page of the interpreter's heap it
    touches is copied or mapped anew: reading the bytecode file directly, rather than through importlib's
    loader (stat of the source, path arithmetic, a spec search), costs a fraction of the time and pages.
    The module looks as importlib would have made it (``__spec__``, ``__loader__``, ``__file__``,
    ``__cached__``); without usable bytecode (the prepare pass itself) the loader compiles the source.
    """
    source = f"{SOURCE_ROOT}/actor.py"
    cached = f"{SOURCE_ROOT}/__pycache__/actor.{sys.implementation.cache_tag}.pyc"
    loader = SourceFileLoader("actor", source)
    spec = ModuleSpec("actor", loader, origin=source)
    spec.has_location = True
    spec.cached = cached
    module = types.ModuleType("actor")
    module.__spec__, module.__loader__, module.__package__ = spec, loader, ""
    module.__file__, module.__cached__, module.__builtins__ = source, cached, builtins
    try:
        with open(cached, "rb") as handle:
            data = handle.read()
    except OSError:
        data = b""
    if data[:4] == MAGIC_NUMBER and data[4:8] == _UNCHECKED_HASH:
        code = marshal.loads(memoryview(data)[16:])
    else:
        code = loader.get_code("actor")
    sys.modules["actor"] = module  # the actor's own module, as in a standalone build
    exec(code, module.__dict__)
    return module


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
        report = _subscriptions(load_actor_class())
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


class Actor:
    """Stands in for the actor's own class: constructing it constructs that class instead."""

    def __new__(cls, scope: str, config: str) -> Any:
        if os.path.isdir(PREPARE_ROOT):
            _prepare()
            return _Prepared()
        return load_actor_class()(scope, config)
