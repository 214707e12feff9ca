"""Which imports this host provides: a component that imports anything else is refused when it is
loaded (``wasmind-nb build``, ``Wasmind.start``), naming each missing interface, never at spawn."""

from __future__ import annotations

import wasmtime
from wasmtime.component import Component

from wasmind_nb.errors import ComponentLoadError
from wasmind_nb.host.wasi.linker import imports_wasi_http, unprovided

#: The ``wasmind:actor`` interfaces (``@0.1.x``) the host links.
WASMIND_INTERFACES = frozenset(
    f"wasmind:actor/{name}"
    for name in ("actor", "messaging", "command", "http", "logger", "agent", "host-info")
)
#: wasmtime's native WASI p2 (``@0.2.x``), linked for every component that does not import wasi:http.
NATIVE_WASI = frozenset(
    {
        *(f"wasi:io/{n}" for n in ("poll", "error", "streams")),
        *(f"wasi:clocks/{n}" for n in ("monotonic-clock", "wall-clock")),
        *(f"wasi:random/{n}" for n in ("random", "insecure", "insecure-seed")),
        *(f"wasi:cli/{n}" for n in ("environment", "exit", "stdin", "stdout", "stderr")),
        *(f"wasi:cli/terminal-{n}" for n in ("input", "output", "stdin", "stdout", "stderr")),
        *(f"wasi:filesystem/{n}" for n in ("types", "preopens")),
        *(
            f"wasi:sockets/{n}"
            for n in ("network", "instance-network", "udp", "udp-create-socket", "tcp", "tcp-create-socket")
        ),
        "wasi:sockets/ip-name-lookup",
    }
)


def missing_imports(component: Component, engine: wasmtime.Engine) -> list[str]:
    """The imports of ``component`` that no linker of this host provides (empty: it links)."""
    names = list(component.type.imports(engine))
    missing = [n for n in names if n.startswith("wasmind:") and not _wasmind(n)]
    if imports_wasi_http(component, engine):
        missing += unprovided(component, engine)
    else:
        missing += [n for n in names if n.startswith("wasi:") and not _native(n)]
    missing += [n for n in names if not n.startswith(("wasi:", "wasmind:"))]
    return missing


def check_imports(component: Component, engine: wasmtime.Engine, label: str) -> None:
    """Raise :class:`ComponentLoadError` naming every import of ``component`` the host lacks."""
    missing = missing_imports(component, engine)
    if not missing:
        return
    listed = ", ".join(f"`{name}`" for name in missing)
    hint = ""
    if any(n.startswith("wasi:") for n in missing) and imports_wasi_http(component, engine):
        hint = "; a component that imports wasi:http is linked with the host's own WASI 0.2 set"
    raise ComponentLoadError(
        f"{label} imports {listed}, which this host does not provide (it links wasmind:actor@0.1, "
        f"WASI 0.2 and wasi:http 0.2 outgoing requests){hint}"
    )


def _wasmind(name: str) -> bool:
    interface, _, version = name.partition("@")
    return interface in WASMIND_INTERFACES and version.startswith("0.1.")


def _native(name: str) -> bool:
    interface, _, version = name.partition("@")
    return interface in NATIVE_WASI and version.startswith("0.2.")
