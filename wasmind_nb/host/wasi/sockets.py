"""``wasi:sockets`` in the Python WASI set: present so a runtime that links it (CPython does) can load,
and refusing everything: no socket, no name lookup. A component here reaches the network only through
``wasi:http``, under the ``http`` grants."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wasmtime.component import Variant

#: Why every socket call fails (the WIT's ``error-code`` case).
DENIED = Variant("err", "access-denied")


class Network:
    """The ``network`` resource of ``instance-network``: a handle that grants nothing."""


def _unreachable(*args: Any) -> Any:
    raise RuntimeError("wasi:sockets: no socket can exist here, so this call cannot happen")


def functions() -> dict[str, dict[str, Callable[..., Any]]]:
    """These interfaces' functions; ``"*"`` stands for every other member (methods of sockets that
    can never be created)."""
    return {
        "wasi:sockets/network": {"network-error-code": lambda err: Variant("none"), "*": _unreachable},
        "wasi:sockets/instance-network": {"instance-network": lambda: Network()},
        "wasi:sockets/ip-name-lookup": {"resolve-addresses": lambda net, name: DENIED, "*": _unreachable},
        "wasi:sockets/tcp-create-socket": {"create-tcp-socket": lambda family: DENIED},
        "wasi:sockets/udp-create-socket": {"create-udp-socket": lambda family: DENIED},
        "wasi:sockets/tcp": {"*": _unreachable},
        "wasi:sockets/udp": {"*": _unreachable},
    }
