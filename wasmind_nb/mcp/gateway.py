"""Where an MCP actor reaches its server: the ``http`` import, at an origin that never leaves the host.

A request of any actor to ``http://mcp.wasmind.invalid/...`` is answered here, before any network policy
or transport: an actor declared with ``source = { mcp = ... }`` reaches the one session the host keeps for
it (one per actor, per agent), every other actor gets an error and nothing else. The session starts at
the actor's first request (its ``tools/list`` at start) and ends when the actor exits or fails, or at
shutdown. Routes (JSON in and out; a failure is status 502 with ``{"error": "..."}``):

* ``POST /tools/list``: ``{"server": label, "tools": [{"name", "description", "inputSchema"}]}``, each
  name with the source's ``prefix``;
* ``POST /tools/call`` with ``{"name", "arguments"}``: the ``CallToolResult`` as the MCP SDK dumps it.

A stdio server starts through :mod:`.launch` (the command sandbox, the actor's grants); an HTTP server
must be granted by the actor's ``http_hosts``, its host and every address it resolves to, exactly as the
``http`` capability checks them (a refusal is a denial in ``mind.denials``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import mcp_types
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from wasmind_nb.config.specs import McpServer
from wasmind_nb.host.cgroup import PidsCgroup
from wasmind_nb.host.command_grant import CommandGrant
from wasmind_nb.host.context import CallContext
from wasmind_nb.host.denial import Denial
from wasmind_nb.host.netpolicy import HttpPolicy
from wasmind_nb.host.transport import HttpResponse, system_resolver
from wasmind_nb.mcp.connection import McpConnection, McpFailure, McpLoop, Transport
from wasmind_nb.mcp.launch import scratch_folder, server_parameters
from wasmind_nb.mcp.network import checked_transport

GATEWAY_HOST = "mcp.wasmind.invalid"


def resolve(host: str, port: int) -> list[str]:
    """The addresses of ``host`` (the system resolver; the tests replace this to play DNS)."""
    return system_resolver(host, port)


_JSON = (("content-type", "application/json"),)

ServerOf = Callable[[str], McpServer | None]
RecordDenial = Callable[[Denial], str]


@dataclasses.dataclass
class _Session:
    connection: McpConnection
    server: McpServer
    scratch: Path | None = None
    cgroup: PidsCgroup | None = None
    offered: dict[str, str] = dataclasses.field(default_factory=dict)  # name as listed -> the server's

    def close(self) -> None:
        self.connection.close()
        if self.cgroup is not None:
            self.cgroup.remove()  # whatever the server left behind dies with it
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


class McpGateway:
    """The MCP sessions of one runtime's actors. Thread-safe; :meth:`serve` blocks (worker threads)."""

    def __init__(
        self,
        server_of: ServerOf,
        *,
        working_dir: Path,
        record_denial: RecordDenial,
        unsandboxed: bool = False,
    ) -> None:
        self._server_of = server_of
        self._working_dir = working_dir
        self._record = record_denial
        self._unsandboxed = unsandboxed
        self._loop = McpLoop()
        self._lock = threading.Lock()
        self._sessions: dict[tuple[str, str], _Session] = {}
        self._closing: list[threading.Thread] = []
        self._closed = False

    @staticmethod
    def handles(url: str) -> bool:
        """Whether ``url`` is the gateway's (answered here, never sent)."""
        with contextlib.suppress(ValueError):
            return (urlsplit(url).hostname or "").rstrip(".").lower() == GATEWAY_HOST
        return False

    def serve(self, caller: CallContext, method: str, url: str, body: bytes | None) -> HttpResponse:
        """Answer one request of ``caller`` to the gateway."""
        server = self._server_of(caller.actor_name)
        if server is None:
            return _answer(
                404,
                {
                    "error": f"actor '{caller.actor_name}' has no MCP server: the gateway serves actors "
                    "declared with source = { mcp = { command = ... } } or { mcp = { url = ... } }"
                },
            )
        path = urlsplit(url).path
        if method.upper() != "POST" or path not in ("/tools/list", "/tools/call"):
            return _answer(404, {"error": f"the MCP gateway has no route {method} {path}"})
        try:
            if path == "/tools/list":
                return _answer(200, self._list(caller, server))
            return _answer(200, self._call(caller, server, body))
        except McpFailure as err:
            return _answer(502, {"error": str(err)})

    def release(self, scope: str, actor_name: str) -> None:
        """End the session of one actor (it exited or failed), without waiting for the server to stop."""
        with self._lock:
            session = self._sessions.pop((scope, actor_name), None)
            if session is None:
                return
            closer = threading.Thread(target=session.close, name="wasmind-mcp-close", daemon=True)
            self._closing = [*(t for t in self._closing if t.is_alive()), closer]
        closer.start()

    def close(self) -> None:
        """End every session (servers are stopped, killed if need be) and refuse later requests."""
        with self._lock:
            self._closed = True
            sessions = list(self._sessions.values())
            self._sessions.clear()
            closing = list(self._closing)
        for session in sessions:
            closer = threading.Thread(target=session.close, name="wasmind-mcp-close", daemon=True)
            closer.start()
            closing.append(closer)
        for closer in closing:
            closer.join()
        self._loop.close()

    def running(self) -> int:
        """How many sessions are open."""
        with self._lock:
            return len(self._sessions)

    # ---------------------------------------------------------------- routes
    def _list(self, caller: CallContext, server: McpServer) -> dict[str, Any]:
        session = self._session(caller, server)
        tools = session.connection.list_tools()
        if server.tools is not None:
            names = {tool.name for tool in tools}
            missing = [name for name in server.tools if name not in names]
            if missing:
                raise McpFailure(
                    f"MCP server {session.connection.label} does not offer {', '.join(missing)} "
                    f"(named in source.mcp.tools); it offers {', '.join(sorted(names)) or 'no tools'}"
                )
            tools = [tool for tool in tools if tool.name in server.tools]
        session.offered = {server.prefix + tool.name: tool.name for tool in tools}
        listed = [_tool_json(tool, server.prefix) for tool in tools]
        return {"server": session.connection.label, "tools": listed}

    def _call(self, caller: CallContext, server: McpServer, body: bytes | None) -> dict[str, Any]:
        try:
            request = json.loads(body or b"")
            name, arguments = request["name"], request.get("arguments") or {}
        except (ValueError, TypeError, KeyError):
            raise McpFailure("a tools/call request needs a JSON body with 'name' and 'arguments'") from None
        session = self._session(caller, server)
        if not isinstance(name, str) or name not in session.offered or not isinstance(arguments, dict):
            raise McpFailure(f"MCP server {session.connection.label} offers no tool {name!r} to this actor")
        result = session.connection.call_tool(session.offered[name], arguments)
        return result.model_dump(mode="json", by_alias=True, exclude_none=True)

    # ---------------------------------------------------------------- sessions
    def _session(self, caller: CallContext, server: McpServer) -> _Session:
        key = (caller.scope, caller.actor_name)
        with self._lock:
            if self._closed:
                raise McpFailure("the runtime is shutting down")
            session = self._sessions.get(key)
        if session is not None:
            return session
        session = self._open(caller, server)
        with self._lock:
            if not self._closed and key not in self._sessions:
                self._sessions[key] = session
                return session
        session.close()
        raise McpFailure("the runtime is shutting down")

    def _open(self, caller: CallContext, server: McpServer) -> _Session:
        label = f"'{caller.actor_name}' ({server.describe()})"
        scratch = cgroup = None
        if server.url is not None:
            policy = self._check_url(caller, server.url, label)
            headers = {}
            if server.bearer_token_env is not None:
                (token,) = _host_values(label, (server.bearer_token_env,), "bearer_token_env")
                headers["Authorization"] = f"Bearer {token}"

            def refused(denial: Denial) -> str:  # a later connection the grant does not cover
                return self._record(denial.in_scope(caller.scope))

            transport = _http_transport(server.url, headers, checked_transport(policy, resolve, refused))
        else:
            passed = zip(
                server.env_from_host, _host_values(label, server.env_from_host, "env_from_host"), strict=True
            )
            server = dataclasses.replace(server, env=(*server.env, *passed))
            grant = CommandGrant.for_actor(caller.actor_name, caller.capabilities, self._working_dir)
            if self._unsandboxed:
                grant = dataclasses.replace(grant, unsandboxed=True)
            scratch = scratch_folder()
            cgroup = PidsCgroup.create(grant.limits.processes)
            params = server_parameters(server, grant, scratch, cgroup)
            if isinstance(params, Denial | str):
                shutil.rmtree(scratch, ignore_errors=True)
                if cgroup is not None:
                    cgroup.remove()
                reason = self._record(params.in_scope(caller.scope)) if isinstance(params, Denial) else params
                raise McpFailure(f"MCP server {label} cannot start: {reason}")

            def transport(errlog: Any) -> contextlib.AbstractAsyncContextManager[Any]:
                return stdio_client(params, errlog=errlog)

        connection = McpConnection(
            label,
            transport,
            self._loop,
            start_timeout_s=server.start_timeout_s,
            call_timeout_s=server.call_timeout_s,
        )
        session = _Session(connection, server, scratch, cgroup)
        try:
            connection.start()
        except McpFailure:
            session.close()
            raise
        return session

    def _check_url(self, caller: CallContext, url: str, label: str) -> HttpPolicy:
        """The actor's ``http_hosts`` must grant the server's host and each address it resolves to (now,
        and at every connection: :mod:`.network`); returns the policy."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        policy = HttpPolicy(caller.capabilities.http_hosts, caller.actor_name)
        denial = policy.check(host, port)
        if denial is None:
            try:
                addresses = resolve(host, port)
            except OSError as err:
                why = f"{host} does not resolve ({err})"
                raise McpFailure(f"MCP server {label} cannot be reached: {why}") from None
            denial = next(
                (d for a in sorted(addresses) if (d := policy.check_address(host, port, str(a)))), None
            )
        if denial is not None:
            reason = self._record(denial.in_scope(caller.scope))
            raise McpFailure(f"MCP server {label} cannot be reached: {reason}")
        return policy


def _host_values(label: str, names: tuple[str, ...], key: str) -> list[str]:
    """The host's values of the variables ``names`` (named by ``source.mcp.<key>``); each must be set."""
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        raise McpFailure(
            f"MCP server {label} cannot start: environment variable {', '.join(missing)} "
            f"(named by source.mcp.{key}) is not set"
        )
    return [os.environ[name] for name in names]


def _http_transport(url: str, headers: dict[str, str], network: httpx2.AsyncHTTPTransport) -> Transport:
    """A streamable-HTTP transport over ``network`` that ignores the host's proxy and certificate
    variables and sends ``headers`` (the SDK sends them to the server's origin only)."""

    @contextlib.asynccontextmanager
    async def transport(errlog: Any) -> AsyncIterator[Any]:
        timeout = httpx2.Timeout(30.0, read=300.0)
        async with (
            httpx2.AsyncClient(transport=network, timeout=timeout, headers=headers) as http,
            streamable_http_client(url, http_client=http) as streams,
        ):
            yield streams

    return transport


def _tool_json(tool: mcp_types.Tool, prefix: str) -> dict[str, Any]:
    schema = tool.input_schema
    return {"name": prefix + tool.name, "description": tool.description or "", "inputSchema": schema}


def _answer(status: int, value: Any) -> HttpResponse:
    return HttpResponse(status, _JSON, json.dumps(value, ensure_ascii=False).encode())


__all__ = ["GATEWAY_HOST", "McpGateway"]
