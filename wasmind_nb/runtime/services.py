"""What guests reach through their host imports: the runtime's side of :class:`HostServices`.

Each call is checked here before it touches the runtime: the message quotas and the guard's rules for
broadcasts, the ``spawn`` grant for spawning; commands and HTTP go through :class:`HostAccess` (the
capability checks and the sandbox) with the worker marked as blocked, so another can run lanes meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from wasmind_nb.errors import SpawnError
from wasmind_nb.runtime import guard, quotas

if TYPE_CHECKING:
    from wasmind_nb.config import Config
    from wasmind_nb.host.context import CallContext
    from wasmind_nb.host.denial import Denial
    from wasmind_nb.host.httpclient import HttpRequestSpec, HttpResponse, RequestError
    from wasmind_nb.host.process import CommandOutput, CommandSpec
    from wasmind_nb.runtime.access import HostAccess
    from wasmind_nb.runtime.events import Envelope
    from wasmind_nb.runtime.state import Actor, Agent

actor_log = logging.getLogger("wasmind_nb.actor")
_LOG_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING, "error": logging.ERROR}


class Runtime(Protocol):
    """What the services need of the runtime (:class:`wasmind_nb.runtime.core.Runtime`)."""

    config: Config
    access: HostAccess
    working_dir: Path

    def actor_named(self, scope: str, name: str) -> Actor | None: ...
    def parent_of(self, scope: str) -> str | None: ...
    def record_denial(self, denial: Denial) -> str: ...
    def spawn(
        self, actor_names: Sequence[str], name: str, parent: str | None, *, rename: bool = False
    ) -> Agent: ...
    def blocking(self) -> AbstractContextManager[None]: ...
    def publish(
        self,
        message_type: str,
        payload: bytes,
        *,
        from_actor_id: str,
        from_scope: str,
        parent_id: str | None = None,
    ) -> Envelope: ...


class GuestServices:
    """The host services of one runtime, as its guests' host imports call them."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def broadcast_from(self, caller: CallContext, message_type: str, payload: bytes) -> None:
        runtime = self._runtime
        caller.broadcasts += 1
        actor = runtime.actor_named(caller.scope, caller.actor_name)
        if actor is not None:
            if actor.rate is None:
                actor.rate = quotas.MessageRate(runtime.config.runtime.max_message_rate)
            quotas.check_message(runtime.config.runtime, actor.label, caller.broadcasts, actor.rate)
        denial = guard.check_broadcast(
            caller.actor_name, caller.scope, caller.capabilities, message_type, payload, runtime.parent_of
        )
        if denial is not None:
            runtime.record_denial(denial.in_scope(caller.scope))
            return
        runtime.publish(
            message_type,
            payload,
            from_actor_id=caller.actor_name,
            from_scope=caller.scope,
            parent_id=caller.handling_id,
        )

    def spawn_from(self, caller: CallContext, actor_names: list[str], agent_name: str) -> str:
        denial = guard.check_spawn(caller.actor_name, caller.capabilities, actor_names)
        if denial is not None:
            raise SpawnError(self._runtime.record_denial(denial.in_scope(caller.scope)))
        # A guest's name often comes from a model (a role: "worker"): a clash gets a suffix, not an error.
        return self._runtime.spawn(actor_names, agent_name, parent=caller.scope, rename=True).scope

    def parent_of(self, scope: str) -> str | None:
        return self._runtime.parent_of(scope)

    def working_directory(self) -> str:
        return str(self._runtime.working_dir)

    def blocking(self) -> AbstractContextManager[None]:
        """Around a guest's wait that is not a host call below (a timer): see ``Runtime.blocking``."""
        return self._runtime.blocking()

    def run_command(self, caller: CallContext, spec: CommandSpec) -> CommandOutput | str:
        with self._runtime.blocking():
            return self._runtime.access.run_command(caller, spec)

    def send_http(self, caller: CallContext, spec: HttpRequestSpec) -> HttpResponse | RequestError:
        with self._runtime.blocking():
            return self._runtime.access.send_http(caller, spec)

    def log_from(self, caller: CallContext, level: str, message: str) -> None:
        name = level.rsplit(".", 1)[-1].lower()
        actor_log.log(
            _LOG_LEVELS.get(name, logging.INFO),
            "[%s %s] %s",
            caller.scope,
            caller.actor_name,
            message,
            extra={"wasmind_scope": caller.scope, "wasmind_actor": caller.actor_name},
        )
