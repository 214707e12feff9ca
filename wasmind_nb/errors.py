"""Exceptions raised by wasmind-nb. Every message names what failed and, where known, the file and key."""

from __future__ import annotations


class WasmindError(Exception):
    """Base class of every error wasmind-nb raises on purpose."""


class ConfigError(WasmindError):
    """A config or manifest is malformed, inconsistent, or names something unknown.

    ``file`` and ``key`` (a dotted TOML path such as ``actors.assistant.source``) locate the problem.
    """

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        self.file = file
        self.key = key
        where = ", ".join(part for part in (file and f"file {file}", key and f"key '{key}'") if part)
        super().__init__(f"{message} ({where})" if where else message)


class BuildError(WasmindError):
    """An actor could not be built into a component (componentize-py failed, source missing, ...)."""


class ComponentLoadError(WasmindError):
    """A file is not a component, targets another world, or needs an import the host lacks."""


class SpawnError(WasmindError):
    """An agent could not be spawned: unknown actor, or a constructor trapped. Nothing was left running."""


class QuotaExceeded(WasmindError):
    """An actor went past a ``[runtime]`` message quota; it fails, and the message names the key."""


class ActorTrap(WasmindError):
    """A guest call trapped (or ran past its deadline)."""


class IdleTimeout(WasmindError, TimeoutError):
    """``wait_idle`` ran out of time; the message names what is still busy."""


class BusPaused(WasmindError):
    """``wait_idle`` found the bus paused with messages held: nothing runs until ``resume`` or ``step``."""


class ApprovalError(WasmindError):
    """``approve`` or ``reject`` named a call that is unknown or already decided."""


class ApprovalPending(WasmindError):
    """``wait_idle`` found nothing running but tool calls waiting for a person's decision."""


class LLMScriptError(WasmindError):
    """The embedded LLM's script has no reply for a request."""


class ReplayMismatch(WasmindError):
    """A replayed run sent a request that differs from the recording."""
