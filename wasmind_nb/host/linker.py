"""The wasmtime component linker: every import of ``wasmind:actor@0.1.0`` plus WASI p2 (wasmtime's, or
for a component that imports ``wasi:http`` the Python set of :mod:`wasmind_nb.host.wasi`).

Host functions are thin: they convert WIT values to the dataclasses of ``process`` / ``httpclient``, ask
the runtime (through the thread-local :mod:`call context <wasmind_nb.host.context>`), and convert back.
A Python exception escaping a host function would trap the guest, so each one maps failures to the WIT
error value where the WIT has one.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any

import wasmtime
from wasmtime.component import Component, ExportIndex, Linker, Record, ResourceHost, ResourceType, Variant

from wasmind_nb.host import bulk, bytelists, context
from wasmind_nb.host.bytelists import check_size
from wasmind_nb.host.httpclient import (
    BuilderError,
    HttpRequestSpec,
    HttpResponse,
    InvalidUrl,
    NetworkError,
    RequestError,
    Timeout,
)
from wasmind_nb.host.lowering import LoweredEnvelopes
from wasmind_nb.host.process import CommandSpec, Exited, FailedToStart, Signaled, TimeoutExpired
from wasmind_nb.host.wasi import linker as wasi_linker
from wasmind_nb.host.wasi.values import ObjectTable

PACKAGE = "wasmind:actor"
VERSION = "0.1.0"
_ACTOR_T, _CMD_T, _REQUEST_T = 1, 2, 3
log = logging.getLogger("wasmind_nb.host")
#: The objects behind the Python WASI set's resources, for every linker (reps are unique).
wasi_objects = ObjectTable()


def _iface(name: str) -> str:
    return f"{PACKAGE}/{name}@{VERSION}"


class ResourceTable:
    """Host-side state of builder resources, keyed by rep. Each builder call stores a new value."""

    def __init__(self) -> None:
        self._items: dict[int, Any] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, value: Any) -> int:
        with self._lock:
            rep = next(self._ids)
            self._items[rep] = value
            return rep

    def get(self, rep: int) -> Any:
        with self._lock:
            return self._items[rep]

    def drop(self, rep: int) -> None:
        with self._lock:
            self._items.pop(rep, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


def _rep(store: Any, handle: Any) -> int:
    return handle.to_host(store).rep if hasattr(handle, "to_host") else handle.rep


def _builder_method(table: ResourceTable, type_id: int, update: Callable[..., Any]) -> Callable[..., Any]:
    """A builder method (``args``, ``header``, ...): a new handle holding ``update(old spec, *args)``.

    The old handle keeps its own state: the guest drops every handle it gets, so the two must not share.
    """

    def method(store: Any, handle: Any, *args: Any) -> ResourceHost:
        return ResourceHost.own(table.add(update(table.get(_rep(store, handle)), *args)), type_id)

    return method


def _record(**fields: Any) -> Record:
    rec = Record()
    for name, value in fields.items():
        setattr(rec, name.replace("_", "-"), value)
    return rec


#: The actor resource's constructor, handle-message and destructor: (name, export index or None).
ActorExports = tuple[tuple[str, ExportIndex | None], ...]


class HostLinker:
    """Builds and owns the linker for one engine, with the resource tables behind it, and what the
    instances linked through it share: each component's actor exports and the lowered envelopes."""

    def __init__(self, engine: wasmtime.Engine, wasi_http_component: Component | None = None) -> None:
        """With ``wasi_http_component``: a linker for that component only, whose WASI imports are the
        Python WASI set (:mod:`wasmind_nb.host.wasi`, which serves ``wasi:http``); else wasmtime's native
        WASI p2, for every component that does not import ``wasi:http``."""
        self.engine = engine
        self.commands = ResourceTable()
        self.requests = ResourceTable()
        self.envelopes = LoweredEnvelopes()
        self.exports: weakref.WeakKeyDictionary[Component, ActorExports] = weakref.WeakKeyDictionary()
        self.exports_lock = threading.Lock()
        self.python_wasi = wasi_http_component is not None
        self._per_component: weakref.WeakKeyDictionary[Component, HostLinker] = weakref.WeakKeyDictionary()
        bytelists.install()  # list<u8> arguments and results in one copy, not one Python call per byte
        self.linker = Linker(engine)
        if wasi_http_component is None:
            self.linker.add_wasip2()
        with self.linker.root() as root:
            if wasi_http_component is not None:
                wasi_linker.define(root, wasi_http_component, engine, wasi_objects)
            self._define_actor(root)
            self._define_messaging(root)
            self._define_logger(root)
            self._define_agent(root)
            self._define_host_info(root)
            self._define_command(root)
            self._define_http(root)

    def for_component(self, component: Component) -> HostLinker:
        """The linker ``component`` is instantiated with: this one, or (for a component importing
        ``wasi:http``) its own, built once and kept as long as the component."""
        if self.python_wasi:
            return self
        with self.exports_lock:
            found = self._per_component.get(component)
        if found is None:
            if not wasi_linker.imports_wasi_http(component, self.engine):
                found = self
            else:
                found = HostLinker(self.engine, component)
            with self.exports_lock:
                found = self._per_component.setdefault(component, found)
        return found

    # -- actor: imported (never called) by guests whose `agent` interface uses actor.{scope}
    def _define_actor(self, root: Any) -> None:
        def never(store: Any, *args: Any) -> Any:
            raise RuntimeError("the host does not implement the imported actor resource")

        with root.add_instance(_iface("actor")) as inst:
            inst.add_resource("actor", ResourceType.host(_ACTOR_T), lambda store, rep: None)
            for name in ("[constructor]actor", "[method]actor.handle-message", "[method]actor.destructor"):
                inst.add_func(name, never)

    def _define_messaging(self, root: Any) -> None:
        def broadcast(store: Any, message_type: str, payload: Any) -> None:
            ctx = context.current()
            check_size(f"the payload of a broadcast {message_type}", len(payload))
            channel = ctx.bulk
            if channel is not None:
                if message_type == bulk.PART_TYPE:
                    channel.add_part(payload)
                    return
                if message_type == bulk.ACCEPT_TYPE:
                    channel.accepts_envelopes = True
                    return
                payload = channel.claim(payload)
            ctx.services.broadcast_from(ctx, message_type, bytes(payload))

        with root.add_instance(_iface("messaging")) as inst:
            inst.add_func("broadcast", broadcast)

    def _define_logger(self, root: Any) -> None:
        def log_(store: Any, level: Any, message: str) -> None:
            ctx = context.current()
            ctx.services.log_from(ctx, str(level), message)

        with root.add_instance(_iface("logger")) as inst:
            inst.add_func("log", log_)

    def _define_agent(self, root: Any) -> None:
        def spawn_agent(store: Any, actor_ids: list[str], agent_name: str) -> Variant:
            ctx = context.current()
            try:
                return Variant("ok", ctx.services.spawn_from(ctx, list(actor_ids), agent_name))
            except Exception as err:
                return Variant("err", str(err))

        def get_parent_scope(store: Any) -> str | None:
            ctx = context.current()
            return ctx.services.parent_of(ctx.scope)

        def get_parent_scope_of(store: Any, scope: str) -> str | None:
            return context.current().services.parent_of(scope)

        with root.add_instance(_iface("agent")) as inst:
            inst.add_func("spawn-agent", spawn_agent)
            inst.add_func("get-parent-scope", get_parent_scope)
            inst.add_func("get-parent-scope-of", get_parent_scope_of)

    def _define_host_info(self, root: Any) -> None:
        import platform

        def working_directory(store: Any) -> str:
            return context.current().services.working_directory()

        def os_info(store: Any) -> Record:
            return _record(os=platform.system().lower(), arch=platform.machine())

        with root.add_instance(_iface("host-info")) as inst:
            inst.add_func("get-host-working-directory", working_directory)
            inst.add_func("get-host-os-info", os_info)

    def _define_command(self, root: Any) -> None:
        table = self.commands

        def builder(update: Callable[..., CommandSpec]) -> Callable[..., ResourceHost]:
            return _builder_method(table, _CMD_T, update)

        def constructor(store: Any, program: str) -> ResourceHost:
            return ResourceHost.own(table.add(CommandSpec(program=program)), _CMD_T)

        def run(store: Any, handle: Any) -> Any:
            ctx = context.current()
            try:
                spec = table.get(_rep(store, handle))
                with ctx.blocked():  # time waiting for the command is not the guest's
                    outcome = ctx.services.run_command(ctx, spec)
            except Exception as err:
                log.exception("command capability failed")
                return f"host error: {err}"
            if isinstance(outcome, str):
                return outcome
            return _record(
                stdout=outcome.stdout,
                stderr=outcome.stderr,
                status=_exit_status(outcome.status),
                stdout_truncated=outcome.stdout_truncated,
                stderr_truncated=outcome.stderr_truncated,
            )

        replace = dataclasses.replace
        methods = {
            "args": builder(lambda s, a: replace(s, args=tuple(a))),
            "current-dir": builder(lambda s, d: replace(s, cwd=d)),
            "timeout": builder(lambda s, t: replace(s, timeout_s=int(t))),
            "max-output-bytes": builder(lambda s, n: replace(s, max_output_bytes=int(n))),
            "env": builder(lambda s, k, v: replace(s, env=(*s.env, (k, v)))),
            "env-clear": builder(lambda s: replace(s, env_clear=True, env=())),
            "run": run,
        }
        with root.add_instance(_iface("command")) as inst:
            inst.add_resource("cmd", ResourceType.host(_CMD_T), lambda store, rep: table.drop(rep))
            inst.add_func("[constructor]cmd", constructor)
            for name, func in methods.items():
                inst.add_func(f"[method]cmd.{name}", func)

    def _define_http(self, root: Any) -> None:
        table = self.requests

        def builder(update: Callable[..., HttpRequestSpec]) -> Callable[..., ResourceHost]:
            return _builder_method(table, _REQUEST_T, update)

        def constructor(store: Any, method: str, url: str) -> ResourceHost:
            return ResourceHost.own(table.add(HttpRequestSpec(method=method, url=url)), _REQUEST_T)

        def send(store: Any, handle: Any) -> Any:
            ctx = context.current()
            try:
                spec, accepts_file = _without_bulk_header(table.get(_rep(store, handle)))
                with ctx.blocked():  # time waiting for the response is not the guest's
                    outcome = ctx.services.send_http(ctx, spec)
            except Exception as err:
                log.exception("http capability failed")
                return Variant("network-error", f"host error: {err}")
            if isinstance(outcome, HttpResponse):
                body = outcome.body
                if accepts_file and ctx.bulk is not None and ctx.bulk.wants_file(body):
                    body = ctx.bulk.stage(body)
                headers = _record(headers=[(k, v) for k, v in outcome.headers])
                return _record(status=outcome.status, headers=headers, body=body)
            return _request_error(outcome)

        def set_body(spec: HttpRequestSpec, body: bytes) -> HttpRequestSpec:
            channel = context.current().bulk
            data = channel.claim(body) if channel is not None else body
            return dataclasses.replace(spec, body=_checked_body(data))

        def headers_of(record: Any) -> tuple[tuple[str, str], ...]:
            return tuple((str(k), str(v)) for k, v in record.headers)

        replace = dataclasses.replace
        methods = {
            "header": builder(lambda s, k, v: replace(s, headers=(*s.headers, (k, v)))),
            "headers": builder(lambda s, h: replace(s, headers=(*s.headers, *headers_of(h)))),
            "body": builder(set_body),
            "timeout": builder(lambda s, t: replace(s, timeout_s=int(t))),
            "retry": builder(lambda s, n, d: replace(s, max_attempts=int(n), base_delay_ms=int(d))),
            "retry-on-status-codes": builder(
                lambda s, c: replace(s, retry_on_status=tuple(int(x) for x in c))
            ),
            "send": send,
        }
        with root.add_instance(_iface("http")) as inst:
            inst.add_resource("request", ResourceType.host(_REQUEST_T), lambda store, rep: table.drop(rep))
            inst.add_func("[constructor]request", constructor)
            for name, func in methods.items():
                inst.add_func(f"[method]request.{name}", func)


def _without_bulk_header(spec: HttpRequestSpec) -> tuple[HttpRequestSpec, bool]:
    """``spec`` without the SDK's bulk header (it is for this host, never sent), and whether it had it."""
    kept = tuple((k, v) for k, v in spec.headers if k.lower() != bulk.ACCEPT_HEADER)
    if len(kept) == len(spec.headers):
        return spec, False
    return dataclasses.replace(spec, headers=kept), True


def _checked_body(body: bytes) -> bytes:
    check_size("an HTTP request body", len(body))
    return bytes(body)


def _exit_status(status: Any) -> Variant:
    if isinstance(status, Exited):
        return Variant("exited", status.code & 0xFF)
    if isinstance(status, Signaled):
        return Variant("signaled", status.signal & 0xFF)
    if isinstance(status, FailedToStart):
        return Variant("failed-to-start", status.reason)
    if isinstance(status, TimeoutExpired):
        return Variant("timeout-expired")
    raise TypeError(f"unknown exit status {status!r}")


def _request_error(error: RequestError) -> Variant:
    if isinstance(error, NetworkError):
        return Variant("network-error", error.message)
    if isinstance(error, Timeout):
        return Variant("timeout")
    if isinstance(error, InvalidUrl):
        return Variant("invalid-url", error.message)
    if isinstance(error, BuilderError):
        return Variant("builder-error", error.message)
    raise TypeError(f"unknown request error {error!r}")


_linkers: dict[int, HostLinker] = {}
_linkers_lock = threading.Lock()


def shared_linker(engine: wasmtime.Engine) -> HostLinker:
    """The one :class:`HostLinker` of ``engine`` (building a linker defines every import: do it once)."""
    with _linkers_lock:
        linker = _linkers.get(id(engine))
        if linker is None:
            linker = _linkers[id(engine)] = HostLinker(engine)
        return linker
