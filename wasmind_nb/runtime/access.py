"""The ``command`` and ``http`` capabilities as one runtime grants them, caller by caller.

Each call builds the caller's policy from its :class:`~wasmind_nb.config.Capabilities` (nothing is
granted that its config did not grant), runs the request through ``host.process`` or ``host.httpclient``,
and turns a :class:`~wasmind_nb.host.denial.Denial` into the WIT error value after recording it. Actors
granted ``llm`` may also reach the model's origin, and only their requests to its chat-completions path
carry the API key. Requests to the MCP gateway's origin never reach the network: :class:`McpGateway`
answers them (``source = { mcp = ... }`` actors reach their server, others get an error).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import weakref
from collections.abc import Callable
from pathlib import Path

from wasmind_nb.host.cancel import Cancellation
from wasmind_nb.host.command_grant import CommandGrant
from wasmind_nb.host.context import CallContext
from wasmind_nb.host.denial import Denial
from wasmind_nb.host.httpclient import (
    Credential,
    HttpRequestSpec,
    HttpResponse,
    Refused,
    RequestError,
    send_request,
)
from wasmind_nb.host.policy import HttpPolicy
from wasmind_nb.host.process import CommandOutput, CommandSpec, run_command
from wasmind_nb.host.running import RunningCommands
from wasmind_nb.host.sandbox import sandbox_status
from wasmind_nb.host.transport import Transport
from wasmind_nb.mcp.gateway import McpGateway, ServerOf

log = logging.getLogger("wasmind_nb.security")

RecordDenial = Callable[[Denial], str]


class HostAccess:
    """Commands and HTTP for the actors of one runtime. Thread-safe; calls block (worker threads only)."""

    def __init__(
        self,
        *,
        transport: Transport,
        working_dir: Path,
        record_denial: RecordDenial,
        llm_grant_host: str | None = None,
        credential: Credential | None = None,
        unsandboxed: bool = False,
        mcp_server_of: ServerOf | None = None,
    ) -> None:
        self.transport = transport
        self.working_dir = working_dir
        self.llm_grant_host = llm_grant_host
        self.credential = credential
        self.unsandboxed = unsandboxed
        self.commands = RunningCommands()
        self._record = record_denial
        self.mcp = McpGateway(
            mcp_server_of or (lambda _name: None),
            working_dir=working_dir,
            record_denial=record_denial,
            unsandboxed=unsandboxed,
        )
        # the cancellation of every guest call that sent HTTP, with its scope and whether it is granted
        # llm; weak, so a finished call's entry goes away with its context
        self._calls: weakref.WeakKeyDictionary[Cancellation, tuple[str, bool]] = weakref.WeakKeyDictionary()
        self._calls_lock = threading.Lock()
        self._closed = False
        if unsandboxed:
            log.warning(
                "[runtime] unsandboxed_commands = true: granted commands run outside the OS sandbox, "
                "with the host's view of every file the process user can reach"
            )

    def sandbox_problem(self) -> str | None:
        """Why commands cannot be sandboxed here (``None``: they can, or the config opted out)."""
        return None if self.unsandboxed else sandbox_status()

    def run_command(self, caller: CallContext, spec: CommandSpec) -> CommandOutput | str:
        """Run ``spec`` for ``caller`` in its sandbox; a ``str`` is the guest's ``err`` (a denial)."""
        grant = CommandGrant.for_actor(caller.actor_name, caller.capabilities, self.working_dir)
        if self.unsandboxed:
            grant = dataclasses.replace(grant, unsandboxed=True)
        outcome = run_command(spec, grant, self.commands)
        if isinstance(outcome, Denial):
            return self._record(outcome.in_scope(caller.scope))
        return outcome

    def send_http(self, caller: CallContext, spec: HttpRequestSpec) -> HttpResponse | RequestError:
        """Send ``spec`` for ``caller`` under its ``http_hosts`` (and, granted ``llm``, the model origin)."""
        if McpGateway.handles(spec.url):
            return self.mcp.serve(caller, spec.method, spec.url, spec.body)
        caps = caller.capabilities
        hosts = caps.http_hosts
        if caps.llm and self.llm_grant_host:
            hosts = (*hosts, self.llm_grant_host)
        policy = HttpPolicy(hosts, caller.actor_name)
        credential = self.credential if caps.llm else None
        with self._calls_lock:
            self._calls[caller.cancellation] = (caller.scope, caps.llm)
            if self._closed:
                caller.cancellation.cancel("the runtime is shutting down")
        outcome = send_request(
            spec, policy, self.transport, credential=credential, cancellation=caller.cancellation
        )
        if isinstance(outcome, Denial):
            return Refused(self._record(outcome.in_scope(caller.scope)))
        return outcome

    def cancel_requests(self, scope: str, reason: str, *, llm_only: bool = False) -> int:
        """Cancel the HTTP requests of the guest calls of ``scope`` in progress (with ``llm_only``: only
        those of actors granted ``llm``, i.e. model calls); returns how many calls were cancelled.

        A cancelled call's request in flight stops at once, and so does every later one of that call (see
        ``host.cancel``); the actor's next call starts afresh.
        """
        with self._calls_lock:
            calls = [c for c, (s, llm) in list(self._calls.items()) if s == scope and (llm or not llm_only)]
        for cancellation in calls:
            cancellation.cancel(reason)
        return len(calls)

    def close(self) -> None:
        """Kill every command still running (and everything it started), cancel every HTTP request in
        flight; later commands are refused, later requests fail at once."""
        with self._calls_lock:
            self._closed = True
            calls = list(self._calls.keys())
        for cancellation in calls:
            cancellation.cancel("the runtime is shutting down")
        self.commands.kill_all()
        self.mcp.close()


__all__ = ["HostAccess"]
