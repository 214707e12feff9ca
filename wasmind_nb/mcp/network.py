"""The MCP client's connections to a streamable-HTTP server, held to the actor's ``http_hosts`` at every
connection, as the ``http`` capability holds a guest's requests (``host/transport.py``).

The host name is resolved when a connection opens, every address it gives is checked with
:meth:`~wasmind_nb.host.netpolicy.HttpPolicy.check_address`, and the connection goes to a checked
address; TLS still verifies the URL's name. So a name that resolves to a granted address when the session
starts and to another one later (DNS rebinding) is refused at the later connection, never followed: the
request fails, the actor's call gets the error and the refusal is a denial in ``mind.denials``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import anyio.to_thread
import httpcore2
import httpx2

from wasmind_nb.host.denial import Denial
from wasmind_nb.host.netpolicy import HttpPolicy
from wasmind_nb.host.transport import Resolver

__all__ = ["CheckedBackend", "checked_transport"]


class CheckedBackend(httpcore2.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses ``policy`` allows for the host."""

    def __init__(self, policy: HttpPolicy, resolver: Resolver, refused: Callable[[Denial], str]) -> None:
        self._policy = policy
        self._resolver = resolver
        self._refused = refused
        self._inner = httpcore2.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        try:
            addresses = await anyio.to_thread.run_sync(self._resolver, host, port)
        except OSError as err:
            raise httpcore2.ConnectError(f"{host} does not resolve ({err})") from None
        if not addresses:
            raise httpcore2.ConnectError(f"{host} does not resolve")
        for address in addresses:
            denial = self._policy.check_address(host, port, address)
            if denial is not None:
                raise httpcore2.ConnectError(self._refused(denial))
        return await self._inner.connect_tcp(addresses[0], port, timeout, local_address, socket_options)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore2.AsyncNetworkStream:
        raise httpcore2.ConnectError("an MCP server is reached over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def checked_transport(
    policy: HttpPolicy, resolver: Resolver, refused: Callable[[Denial], str]
) -> httpx2.AsyncHTTPTransport:
    """An httpx transport (no proxy, the system's trust store) whose connections :class:`CheckedBackend`
    opens."""
    transport = httpx2.AsyncHTTPTransport(trust_env=False)
    # httpx takes no network backend; its pool is the documented httpcore one, rebuilt with ours.
    transport._pool = httpcore2.AsyncConnectionPool(
        ssl_context=httpx2.create_ssl_context(trust_env=False),
        network_backend=CheckedBackend(policy, resolver, refused),
    )
    return transport
