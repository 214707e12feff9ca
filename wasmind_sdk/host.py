"""Typed wrappers over the host imports of ``wasmind:actor@0.1.0``.

The ``wit_world`` bindings exist only inside a component (componentize-py generates them at build time
and bundles only the modules imported then, so they are imported here, at module load). Outside a
component (host-side tests, docs) the module imports fine and each call raises :class:`HostError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from wasmind_sdk import bulk

try:
    from componentize_py_types import Err
    from wit_world.imports import agent, command, host_info, http, logger, messaging
except ImportError:  # not inside a component
    Err = agent = command = host_info = http = logger = messaging = None  # type: ignore[assignment,misc]


class HostError(Exception):
    """A host capability refused or failed (the message is the host's)."""


def encode_payload(payload: Any) -> bytes:
    """Wire bytes of a payload: bytes as they are, text as UTF-8, a message object (``to_json``) or any
    JSON value as compact JSON; ``None`` is JSON ``null``."""
    if payload is None:
        return b"null"
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode()
    to_json = getattr(payload, "to_json", None)
    value = to_json() if to_json is not None else payload
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _require(binding: Any) -> Any:
    if binding is None:
        raise HostError("host imports are only available inside a Wasmind actor component")
    return binding


def broadcast(message: Any, payload: Any = None) -> None:
    """Broadcast to every actor.

    ``broadcast(msg)`` sends a message object with a ``MESSAGE_TYPE`` (see ``wasmind_sdk.messages``);
    ``broadcast("my.Type", payload)`` sends bytes, text, or a JSON-serialisable value. A payload over
    ``bulk.MAX_PAYLOAD_BYTES`` raises :class:`~wasmind_sdk.bulk.PayloadTooLarge` and is not sent.
    """

    if isinstance(message, str):
        message_type, data = message, encode_payload(payload)
    else:
        message_type, data = message.MESSAGE_TYPE, encode_payload(message)
    bulk.check_size(f"the payload of {message_type}", len(data))
    messages = _require(messaging)
    bulk.send(
        data,
        lambda value: messages.broadcast(message_type, value),
        lambda part: messages.broadcast(bulk.PART_TYPE, part),
    )


def accept_bulk_envelopes() -> None:
    """Tell a wasmind-nb host that this instance's envelopes may carry bulk markers (see ``bulk``)."""
    if messaging is not None and bulk.available():
        messaging.broadcast(bulk.ACCEPT_TYPE, b"")


def log(level: str, message: str) -> None:
    """Write to the host log; ``level`` is debug, info, warn or error."""

    _require(logger).log(getattr(logger.LogLevel, level.upper()), message)


def debug(message: str) -> None:
    log("debug", message)


def info(message: str) -> None:
    log("info", message)


def warn(message: str) -> None:
    log("warn", message)


def error(message: str) -> None:
    log("error", message)


def spawn_agent(actor_names: list[str], agent_name: str) -> str:
    """Spawn a child agent of the caller's scope; returns its scope. Raises ``HostError``."""

    try:
        return _require(agent).spawn_agent(list(actor_names), agent_name)
    except Err as err:
        raise HostError(str(err.value)) from None


def parent_scope() -> str | None:
    """The caller's parent scope (``None`` for the root agent)."""

    return _require(agent).get_parent_scope()


def parent_scope_of(scope: str) -> str | None:
    """The parent of ``scope`` (``None`` for the root or an unknown scope)."""

    return _require(agent).get_parent_scope_of(scope)


def working_directory() -> str:
    """The host's working directory (not the sandbox's)."""

    return _require(host_info).get_host_working_directory()


def os_info() -> tuple[str, str]:
    """``(os, arch)`` of the host."""

    info_ = _require(host_info).get_host_os_info()
    return info_.os, info_.arch


@dataclass(frozen=True)
class CommandResult:
    """What ``run_command`` returns. ``exit_code`` is ``None`` unless the process exited normally."""

    stdout: str
    stderr: str
    exit_code: int | None
    signal: int | None
    timed_out: bool
    stdout_truncated: bool
    stderr_truncated: bool

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def run_command(
    program: str,
    args: list[str] | None = None,
    *,
    cwd: str | None = None,
    timeout_s: int | None = None,
    max_output_bytes: int | None = None,
    env: dict[str, str] | None = None,
    env_clear: bool = False,
) -> CommandResult:
    """Run a host process through the ``command`` capability. Raises ``HostError`` if it cannot start."""

    cmd = _require(command).Cmd(program)
    if env_clear:
        cmd = cmd.env_clear()
    if args:
        cmd = cmd.args(list(args))
    if cwd is not None:
        cmd = cmd.current_dir(cwd)
    if timeout_s is not None:
        cmd = cmd.timeout(timeout_s)
    if max_output_bytes is not None:
        cmd = cmd.max_output_bytes(max_output_bytes)
    for key, value in (env or {}).items():
        cmd = cmd.env(key, value)
    try:
        out = cmd.run()
    except Err as err:
        raise HostError(str(err.value)) from None
    status = out.status
    if isinstance(status, command.ExitStatus_FailedToStart):
        raise HostError(f"failed to start {program!r}: {status.value}")
    return CommandResult(
        stdout=bytes(out.stdout).decode(errors="replace"),
        stderr=bytes(out.stderr).decode(errors="replace"),
        exit_code=status.value if isinstance(status, command.ExitStatus_Exited) else None,
        signal=status.value if isinstance(status, command.ExitStatus_Signaled) else None,
        timed_out=isinstance(status, command.ExitStatus_TimeoutExpired),
        stdout_truncated=out.stdout_truncated,
        stderr_truncated=out.stderr_truncated,
    )


@dataclass(frozen=True)
class HttpResult:
    """An HTTP response."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> Any:
        """The body as UTF-8 JSON (never a guessed encoding); ``ValueError`` if it is not."""
        return json.loads(bytes(self.body).decode("utf-8"))


def http_request(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    json_body: Any = None,
    timeout_s: int | None = None,
    max_attempts: int = 1,
    base_delay_ms: int = 500,
    retry_on_status: list[int] | None = None,
) -> HttpResult:
    """Send an HTTP request through the ``http`` capability. Raises ``HostError`` on failure."""

    req = _require(http).Request(method, url)
    if bulk.available():
        req = req.header(bulk.ACCEPT_HEADER, "1")  # a large response body may come as a file
    if json_body is not None:
        body = json.dumps(json_body, ensure_ascii=False)
        req = req.header("content-type", "application/json")
    for key, value in (headers or {}).items():
        req = req.header(key, value)
    if body is not None:
        data = body.encode() if isinstance(body, str) else bytes(body)
        bulk.check_size(f"the body of {method} {url}", len(data))

        def set_body(value: bytes) -> None:
            nonlocal req
            req = req.body(value)

        bulk.send(data, set_body, lambda part: _require(messaging).broadcast(bulk.PART_TYPE, part))
    if timeout_s is not None:
        req = req.timeout(timeout_s)
    if max_attempts > 1:
        req = req.retry(max_attempts, base_delay_ms)
    if retry_on_status:
        req = req.retry_on_status_codes(list(retry_on_status))
    try:
        resp = req.send()
    except Err as err:
        raise HostError(_describe_request_error(err.value)) from None
    body_bytes = bulk.resolve(bytes(resp.body))
    return HttpResult(status=resp.status, headers=list(resp.headers.headers), body=body_bytes)


def _describe_request_error(value: Any) -> str:
    kind = type(value).__name__.removeprefix("RequestError_")
    detail = getattr(value, "value", None)
    return f"{kind}: {detail}" if detail else kind
