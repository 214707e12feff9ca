"""Define a component's WASI imports in a linker from the Python WASI set (:mod:`.io`, :mod:`.cli`,
:mod:`.http`, :mod:`.sockets`), with each function's declared type, so values fit exactly what the
component expects."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import wasmtime
from wasmtime.component import Component, FuncType, ResourceType

from wasmind_nb.host.wasi import cli, http, io, sockets
from wasmind_nb.host.wasi.values import ObjectTable, ResourceIds, wrap

#: Host resource ids of the Python WASI set start here (below are the wasmind:actor resources).
_FIRST_RESOURCE_ID = 1000


def provided() -> dict[str, dict[str, Callable[..., Any]]]:
    """Every interface of the Python WASI set (name without version) and its functions."""
    return {**io.functions(), **cli.functions(), **http.functions(), **sockets.functions()}


def imports_wasi_http(component: Component, engine: wasmtime.Engine) -> bool:
    """Whether ``component`` imports ``wasi:http`` (and so is linked with the Python WASI set)."""
    return any(name.startswith("wasi:http/") for name in component.type.imports(engine))


def unprovided(component: Component, engine: wasmtime.Engine) -> list[str]:
    """The WASI imports of ``component`` the Python WASI set lacks: ``interface`` or ``interface.func``."""
    known = provided()
    missing = []
    for name, item in component.type.imports(engine).items():
        if not name.startswith("wasi:"):
            continue
        funcs = known.get(name.partition("@")[0])
        if funcs is None or not name.partition("@")[2].startswith("0.2."):
            missing.append(name)
            continue
        for member, extern in item.ty.exports(engine).items():
            if isinstance(extern.ty, FuncType) and member not in funcs and "*" not in funcs:
                missing.append(f"{name} function `{member}`")
    return missing


def define(root: Any, component: Component, engine: wasmtime.Engine, table: ObjectTable) -> None:
    """Define every ``wasi:`` import of ``component`` under ``root`` (call :func:`unprovided` first)."""
    known = provided()
    ids = ResourceIds(_FIRST_RESOURCE_ID)

    def drop(store: Any, rep: int) -> None:
        table.pop(rep)

    for name, item in component.type.imports(engine).items():
        if not name.startswith("wasi:"):
            continue
        funcs = known[name.partition("@")[0]]
        with root.add_instance(name) as inst:
            for member, extern in item.ty.exports(engine).items():
                ty = extern.ty
                if isinstance(ty, ResourceType):
                    inst.add_resource(member, ResourceType.host(ids.id_of(ty)), drop)
                elif isinstance(ty, FuncType):
                    func = funcs.get(member) or funcs["*"]
                    inst.add_func(member, wrap(func, ty.params, ty.result, table, ids))
