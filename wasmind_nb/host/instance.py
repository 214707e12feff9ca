"""One instantiated component: a Store, its instance, and calls into the exported ``actor`` resource.

A :class:`ComponentInstance` is used by one thread at a time (the runtime's lane guarantees it). In
isolated mode it holds one actor; in pooled mode many actors of one type, each its own resource.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import weakref
from dataclasses import dataclass
from typing import Any

import wasmtime
from wasmtime.component import Component, ExportIndex, Record, ResourceAny

from wasmind_nb.errors import ActorTrap, ComponentLoadError
from wasmind_nb.host.bulk import GUEST_DIR, BulkChannel
from wasmind_nb.host.bytelists import check_size
from wasmind_nb.host.guest_report import guest_report
from wasmind_nb.host.linker import ActorExports, HostLinker, _iface, wasi_objects
from wasmind_nb.host.lowering import HandleMessageCall
from wasmind_nb.host.wasi.cli import register_store
from wasmind_nb.runtime.events import Envelope

_STDERR_KEEP = 16_000


@dataclass(frozen=True)
class StoreLimits:
    """Per-store resource limits (``None`` = unlimited)."""

    max_memory_bytes: int | None = None


@dataclass(frozen=True)
class Preopen:
    host_path: str
    guest_path: str
    read_only: bool


class _StderrTail:
    """The guest's stderr (componentize-py prints tracebacks there), kept in a file the engine writes.

    Not a Python callback: wasmtime writes a stream on its own tokio worker threads, and a callback that
    takes the GIL there is killed (``pthread_exit``) while the interpreter finalizes, which aborts the
    process ("panic in a function that cannot unwind"). With a file, no Python code ever runs on those
    threads. Read text is punched out (the file stays sparse), so a chatty guest costs no disk.
    """

    def __init__(self, directory: str) -> None:
        fd, self.path = tempfile.mkstemp(prefix="stderr-", dir=directory)
        os.close(fd)
        self._read = 0
        self._lock = threading.Lock()
        self._cleanup = weakref.finalize(self, _unlink, self.path)

    def take(self) -> str:
        """What the guest wrote since the last call (at most its last ``_STDERR_KEEP`` bytes)."""
        with self._lock, contextlib.suppress(OSError), open(self.path, "rb") as handle:
            end = handle.seek(0, os.SEEK_END)
            start = max(self._read, end - _STDERR_KEEP)
            handle.seek(start)
            data = handle.read(end - start)
            self._read = end
            if end > _STDERR_KEEP:
                os.truncate(self.path, 0)  # the engine's offset stays: later writes leave a hole
            return data.replace(b"\0", b"").decode(errors="replace")
        return ""

    def close(self) -> None:
        self._cleanup()


def _unlink(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


_stderr_dir_lock = threading.Lock()
_stderr_dir: tempfile.TemporaryDirectory[str] | None = None


#: A memory-backed folder for the per-store files when it has room for several payloads at the limit.
RAM_DIR = "/dev/shm"
RAM_DIR_MIN_FREE = 1 << 30


def _stderr_directory() -> str:
    """One private directory per process for the stderr files and bulk folders of its stores.

    Each store keeps its file open, so the first call also raises the soft limit on open files to the
    hard one (1,024 by default on many systems would cap isolated mode at ~1,000 actors)."""
    global _stderr_dir
    with _stderr_dir_lock:
        if _stderr_dir is None:
            _raise_open_file_limit()
            parent = scratch_parent()
            try:
                _stderr_dir = tempfile.TemporaryDirectory(prefix="wasmind-guest-", dir=parent)
            except OSError:
                if parent is None:
                    raise
                _stderr_dir = tempfile.TemporaryDirectory(prefix="wasmind-guest-")
        return _stderr_dir.name


def scratch_parent() -> str | None:
    """Where the per-store files go: :data:`RAM_DIR` if it has :data:`RAM_DIR_MIN_FREE` bytes free and
    ``$TMPDIR`` is not set, else ``None`` (the default temporary folder).

    Every spawn of an isolated actor creates a file and a folder; on a disk file system that was measured
    at about 1 ms per store (inode allocation), on a memory-backed one at 16 us. The files are a guest's
    stderr tail and bulk payloads that live for one call, so memory is where they would be anyway."""
    if os.environ.get("TMPDIR"):
        return None  # the user chose where temporary files go
    try:
        stat = os.statvfs(RAM_DIR)
    except OSError:
        return None
    if stat.f_bavail * stat.f_frsize < RAM_DIR_MIN_FREE or not os.access(RAM_DIR, os.W_OK | os.X_OK):
        return None
    return RAM_DIR


def _raise_open_file_limit() -> None:
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        target = 1 << 20 if hard == resource.RLIM_INFINITY else hard
        if soft != resource.RLIM_INFINITY and soft < target:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))  # the hard limit stays as it was


class ComponentInstance:
    """A component instantiated in its own Store."""

    def __init__(
        self,
        host: HostLinker,
        engine: wasmtime.Engine,
        component: Component,
        *,
        label: str,
        preopens: tuple[Preopen, ...] = (),
        limits: StoreLimits = StoreLimits(),
        boot: str = "",
    ) -> None:
        self.label = label
        self.poisoned = False
        self._boot = boot
        host = host.for_component(component)
        if host.python_wasi and preopens:
            raise ComponentLoadError(
                f"{label}: imports wasi:http, and a component that does sees no files: remove its `fs` "
                "grants (capabilities.fs) or build it without wasi:http"
            )
        self.store = wasmtime.Store(engine)
        self._stderr = _StderrTail(_stderr_directory())
        if host.python_wasi:
            register_store(self.store, self._stderr.path, wasi_objects)
        self.bulk = BulkChannel(_stderr_directory())
        wasi = wasmtime.WasiConfig()
        wasi.stderr_file = self._stderr.path  # stdout stays a sink; see _StderrTail
        wasi.preopen_dir(self.bulk.directory, GUEST_DIR, False)  # read-only: the host writes, the guest reads
        for preopen in preopens:
            wasi.preopen_dir(preopen.host_path, preopen.guest_path, not preopen.read_only)
        self.store.set_wasi(wasi)
        if limits.max_memory_bytes is not None:
            self.store.set_limits(memory_size=limits.max_memory_bytes)
        self.store.set_epoch_deadline(1 << 40)
        try:
            instance = host.linker.instantiate(self.store, component)
        except wasmtime.WasmtimeError as err:
            raise ComponentLoadError(f"{label}: cannot instantiate: {_describe(err)}") from None
        exports = _actor_exports(host, component, label)
        self._ctor, self._handle, self._dtor = (self._export(instance, *export) for export in exports)
        fast = HandleMessageCall(self._handle, self.store, host.envelopes)
        self._fast_handle = _FastHandle(fast, self._handle)

    def _export(self, instance: Any, name: str, index: ExportIndex | None) -> Any:
        func = instance.get_func(self.store, index) if index is not None else None
        if func is None:
            raise ComponentLoadError(f"{self.label}: the component's actor resource lacks `{name}`")
        return func

    def construct(self, scope: str, config_toml: str) -> ResourceAny:
        """Call the actor constructor; returns the resource handle.

        The first call that succeeds gets ``boot`` in front of the config: the shared Python interpreter
        takes the actor's compiled code that way (see :func:`wasmind_nb.build.prepare.boot`)."""
        handle = self._call(self._ctor, "constructor", scope, self._boot + config_toml)
        self._boot = ""
        return handle

    def handle(self, actor: ResourceAny, envelope: Envelope) -> None:
        """Call ``handle-message`` on one actor (through the fast lowering of the envelope).

        Raises :class:`PayloadTooLarge` (the actor is not called) for a payload over the limit. A large
        payload goes to a guest that reads bulk markers as a file (:mod:`wasmind_nb.host.bulk`)."""
        payload = envelope.payload
        check_size(f"the payload of {envelope.message_type}", len(payload))
        if self.bulk.accepts_envelopes and self.bulk.wants_file(payload):
            payload = self.bulk.stage(payload)
        self._call(
            self._fast_handle,
            "handle-message",
            actor,
            envelope.id,
            envelope.message_type,
            envelope.from_actor_id,
            envelope.from_scope,
            payload,
        )

    def destroy(self, actor: ResourceAny) -> None:
        """Call the actor's ``destructor`` method, then drop its resource."""
        try:
            self._call(self._dtor, "destructor", actor)
        finally:
            if not self.poisoned:
                try:
                    actor.drop(self.store)
                except wasmtime.WasmtimeError:
                    self.poisoned = True

    def _call(self, func: Any, what: str, *args: Any) -> Any:
        if self.poisoned:
            raise ActorTrap(f"{self.label}: instance is unusable after an earlier trap")
        try:
            result = func(self.store, *args)
            func.post_return(self.store)
            return result
        except wasmtime.Trap as err:
            self.poisoned = True
            raise ActorTrap(self._trap_message(what, err)) from None
        except wasmtime.WasmtimeError as err:
            self.poisoned = True
            raise ActorTrap(self._trap_message(what, err)) from None
        except Exception as err:  # a host function raised: wasmtime trapped the guest, then re-raised it
            self.poisoned = True
            self._stderr.take()
            raise ActorTrap(
                f"{self.label}: {what} trapped: a host function failed: {type(err).__name__}: {err}"
            ) from None
        finally:
            self.bulk.end_call()

    def _trap_message(self, what: str, err: Exception) -> str:
        guest_reason, guest = guest_report(self._stderr.take())
        cause, backtrace = _trap_parts(err)
        interrupted = "interrupt" in str(err)
        if interrupted:
            reason = "ran past its deadline (epoch interruption)"
        elif guest:
            reason = guest_reason
        else:
            reason = cause
        lines = [f"{self.label}: {what} trapped: {reason}"]
        if guest and guest_reason != guest:
            lines.append(guest[-4000:])
        elif not guest and backtrace and not interrupted:
            lines.append(backtrace)  # the real cause of a trap inside the language runtime
        return "\n".join(lines)

    def guest_output(self) -> str:
        """What the guest wrote to stdout/stderr since last asked."""
        return self._stderr.take()


_ACTOR_FUNCS = ("[constructor]actor", "[method]actor.handle-message", "[method]actor.destructor")


def _actor_exports(host: HostLinker, component: Component, label: str) -> ActorExports:
    """The export indices of the actor resource's functions, looked up once per component (they are
    the same in every instance, and an isolated spawn instantiates a lot)."""
    with host.exports_lock:
        found = host.exports.get(component)
        if found is None:
            iface = component.get_export_index(_iface("actor"))
            if iface is None:
                raise ComponentLoadError(f"{label}: the component does not export {_iface('actor')}")
            found = host.exports[component] = tuple(
                (name, component.get_export_index(name, iface)) for name in _ACTOR_FUNCS
            )
        return found


class _FastHandle:
    """:class:`HandleMessageCall` in the ``func(store, *args)`` + ``post_return`` shape ``_call`` uses."""

    __slots__ = ("_call", "_func")

    def __init__(self, call: HandleMessageCall, func: Any) -> None:
        self._call = call
        self._func = func

    def __call__(self, store: Any, *args: Any) -> None:
        self._call(store, *args)

    def post_return(self, store: Any) -> None:
        self._func.post_return(store)


_BACKTRACE_FRAMES = 24


def _trap_parts(err: Exception) -> tuple[str, str]:
    """A trap's cause (``wasm trap: call stack exhausted``) and its wasm backtrace (the first frames).

    wasmtime's text puts the backtrace first, under a header line, and the cause after ``Caused by:``.
    """
    text = str(err).strip()
    head, _, caused_by = text.partition("Caused by:")
    cause = "; ".join(line.strip() for line in caused_by.splitlines() if line.strip())
    frames = [line.rstrip() for line in head.splitlines()[1:] if line.strip()]
    if len(frames) > _BACKTRACE_FRAMES:
        frames = [*frames[:_BACKTRACE_FRAMES], f"    ... {len(frames) - _BACKTRACE_FRAMES} more frames"]
    header = head.splitlines()[0] if head.strip() else type(err).__name__
    return cause or header, "\n".join(frames)


def _describe(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def envelope_record(
    id_: str, message_type: str, from_actor_id: str, from_scope: str, payload: bytes
) -> Record:
    """The WIT ``message-envelope`` record."""
    rec = Record()
    rec.id = id_
    setattr(rec, "message-type", message_type)
    setattr(rec, "from-actor-id", from_actor_id)
    setattr(rec, "from-scope", from_scope)
    rec.payload = payload
    return rec
