"""One MCP client session, driven from worker threads: the official SDK's ``Client`` on a host event loop.

Every connection of a runtime shares one :class:`McpLoop` (a daemon thread running asyncio). A
connection's session lives in one task, entered at :meth:`McpConnection.start` and left at
:meth:`McpConnection.close` (anyio's cancel scopes must be left by the task that entered them); requests
run as tasks of their own beside it. Every blocking method is bounded by the server's timeouts, and
every failure is an :class:`McpFailure` whose message names the server and, for a stdio server, ends
with the last lines it wrote to stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import os
import tempfile
import threading
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

import mcp_types
from mcp import Client
from mcp.shared.exceptions import MCPError
from pydantic import ValidationError

T = TypeVar("T")
#: Opens the transport to a server; given the file its stderr goes to (a stdio server's).
Transport = Callable[[Any], AbstractAsyncContextManager[Any]]

#: How long closing a session may take (the SDK closes a stdio server's stdin, then kills it after 2 s).
CLOSE_TIMEOUT_S = 10.0
STDERR_TAIL_BYTES = 2_000
STDERR_TAIL_LINES = 5
CLIENT_INFO = mcp_types.Implementation(name="wasmind-nb", version=importlib.metadata.version("wasmind-nb"))


class McpFailure(Exception):
    """An MCP server could not start, answer or finish a request; the message says which and why."""


class McpLoop:
    """A daemon thread running the event loop of a runtime's MCP sessions (started on first use)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run ``coro`` on the loop and wait at most ``timeout`` seconds for its result (from a thread)."""
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, name="wasmind-mcp")
                self._thread.daemon = True
                self._thread.start()
            loop = self._loop
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def close(self) -> None:
        """Stop the loop and its thread (after the sessions were closed)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(CLOSE_TIMEOUT_S)
        if not thread.is_alive():
            loop.close()


class McpConnection:
    """The session with one MCP server, for one actor. Thread-safe; methods block (worker threads only)."""

    def __init__(
        self,
        label: str,
        transport: Transport,
        loop: McpLoop,
        *,
        start_timeout_s: float,
        call_timeout_s: float,
    ) -> None:
        self.label = label
        self._transport = transport
        self._loop = loop
        self.start_timeout_s = start_timeout_s
        self.call_timeout_s = call_timeout_s
        self._stderr = tempfile.TemporaryFile(prefix="wasmind-mcp-stderr-")  # noqa: SIM115 (closed at close)
        self._client: Client | None = None
        self._stop: asyncio.Event | None = None
        self._runner: asyncio.Task[None] | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._failure: str | None = None  # why the session ended, once it has

    # ---------------------------------------------------------------- worker-thread API
    def start(self) -> None:
        """Start the server and complete the MCP handshake, within ``start_timeout_s``."""
        try:
            self._loop.run(self._start(), self.start_timeout_s + CLOSE_TIMEOUT_S)
        except TimeoutError:
            raise McpFailure(self._why(f"did not start within {self.start_timeout_s:g} s")) from None

    def list_tools(self) -> list[mcp_types.Tool]:
        """Every tool the server lists (all pages)."""

        async def listing() -> list[mcp_types.Tool]:
            client = self._session()
            tools: list[mcp_types.Tool] = []
            cursor: str | None = None
            for _ in range(100):
                page = await client.list_tools(cursor=cursor)
                tools.extend(page.tools)
                cursor = page.next_cursor
                if cursor is None:
                    break
            return tools

        return self._request("tools/list", listing(), self.call_timeout_s)

    def call_tool(self, name: str, arguments: dict[str, Any]) -> mcp_types.CallToolResult:
        """``tools/call`` of ``name``; a result with ``isError`` is returned, not raised."""
        return self._request(
            f"tools/call of '{name}'",
            self._session_call(name, arguments),
            self.call_timeout_s,
        )

    def close(self) -> None:
        """End the session: a stdio server's stdin is closed, and it is killed if it does not exit."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        with contextlib.suppress(Exception):
            self._loop.run(self._close(), CLOSE_TIMEOUT_S)
        self._stderr.close()

    def stderr_tail(self) -> str:
        """The last lines the server wrote to stderr (a stdio server; empty otherwise)."""
        with contextlib.suppress(OSError, ValueError):
            size = os.fstat(self._stderr.fileno()).st_size
            start = max(0, size - STDERR_TAIL_BYTES)
            text = os.pread(self._stderr.fileno(), STDERR_TAIL_BYTES, start).decode(errors="replace")
            lines = text.strip().splitlines()
            return "\n".join(lines[1:] if start and len(lines) > 1 else lines)
        return ""

    # ---------------------------------------------------------------- on the loop
    async def _start(self) -> None:
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._stop = asyncio.Event()
        self._runner = asyncio.create_task(self._run(ready))
        try:
            await asyncio.wait_for(asyncio.shield(ready), self.start_timeout_s)
        except TimeoutError:
            await self._close()
            if ready.done() and not ready.cancelled():
                ready.exception()  # a failure after the timeout: retrieved, the timeout is reported
            raise
        except Exception as err:
            await self._close()
            raise McpFailure(self._why(f"failed to start: {_describe(err)}")) from None

    async def _run(self, ready: asyncio.Future[None]) -> None:
        """The session's task: enter the client, wait for the stop, leave it."""
        assert self._stop is not None
        try:
            client = Client(
                self._transport(self._stderr),
                cache=None,
                client_info=CLIENT_INFO,
            )
            async with client:
                self._client = client
                ready.set_result(None)
                await self._stop.wait()
        except BaseException as err:  # the SDK raises exception groups of its tasks' errors
            self._failure = _describe(err)
            if not ready.done() and isinstance(err, Exception):
                ready.set_exception(err)
            elif not ready.done():
                ready.cancel()
            if not isinstance(err, Exception):
                raise
        finally:
            self._client = None

    async def _close(self) -> None:
        """Leave the session (a handshake still under way is cancelled); the SDK then stops the server."""
        runner = self._runner
        if runner is None:
            return
        if self._client is None:
            runner.cancel()
        elif self._stop is not None:
            self._stop.set()
        with contextlib.suppress(TimeoutError, asyncio.CancelledError, Exception):
            await asyncio.wait_for(runner, CLOSE_TIMEOUT_S - 1)

    async def _session_call(self, name: str, arguments: dict[str, Any]) -> mcp_types.CallToolResult:
        return await self._session().call_tool(name, arguments)

    def _session(self) -> Client:
        if self._client is None:
            raise McpFailure(self._why(f"is not running ({self._failure or 'closed'})"))
        return self._client

    def _request(self, what: str, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        if self._closed:
            coro.close()
            raise McpFailure(self._why("is closed (its actor stopped)"))
        try:
            return self._loop.run(asyncio.wait_for(coro, timeout), timeout + CLOSE_TIMEOUT_S)
        except McpFailure:
            raise
        except TimeoutError:
            raise McpFailure(self._why(f"did not answer {what} within {timeout:g} s")) from None
        except ValidationError as err:
            why = f"answered {what} with a malformed result: {_first_error(err)}"
            raise McpFailure(self._why(why)) from None
        except Exception as err:
            raise McpFailure(self._why(f"failed {what}: {_describe(err)}")) from None

    def _why(self, what: str) -> str:
        """One line: the server, what went wrong, and the last lines of its stderr (joined by `` | ``)."""
        message = f"MCP server {self.label} {what}"
        tail = " | ".join(line.strip() for line in self.stderr_tail().splitlines()[-STDERR_TAIL_LINES:])
        return f"{message} (its stderr ends with: {tail})" if tail else message


def _describe(err: BaseException) -> str:
    """An exception (or the first leaf of an exception group) in one line."""
    while isinstance(err, BaseExceptionGroup) and err.exceptions:
        err = err.exceptions[0]
    if isinstance(err, MCPError):
        return f"{err} (MCP error {err.code})" if hasattr(err, "code") else str(err)
    if isinstance(err, ValidationError):
        return f"a malformed message: {_first_error(err)}"
    text = str(err).strip()
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _first_error(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]


__all__ = ["McpConnection", "McpFailure", "McpLoop"]
