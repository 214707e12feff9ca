"""Connect a run to its language model, as the ``[llm]`` table says.

* ``embedded`` (the default when no ``base_url`` is set): start the loopback :class:`EmbeddedLLM` with the
  configured script (or the one passed to ``Wasmind(llm=...)``, or a default that explains itself).
* ``remote``: use ``base_url``; the API key is read from the ``api_key_env`` variable and added by the
  host to requests for that origin only, so actors never see it and traces never hold it.
* ``record``: as embedded/remote, and every exchange is appended to the ``trace`` file.
* ``replay``: answer every request from the ``trace`` file, with no server and no network. Actors are
  told the recorded run's base URL (nothing listens there; the replay answers first), so a replayed
  run's messages are the recorded run's, byte for byte.

Actors learn the URL from the replayable ``wasmind.common.litellm.BaseUrlUpdate`` message.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from wasmind_nb.config import LLMSettings
from wasmind_nb.errors import ConfigError
from wasmind_nb.host.transport import HttpResponse, Transport, UrllibTransport
from wasmind_nb.llm.script import FunctionScript, Reply, Script, as_script, load_script
from wasmind_nb.llm.server import EmbeddedLLM
from wasmind_nb.llm.trace import RecordingTransport, ReplayTransport

REPLAY_BASE_URL = "http://127.0.0.1:9"
DEFAULT_MODEL = "wasmind-offline"
DEFAULT_REPLY = (
    "Hello from wasmind-nb's embedded offline model. I answer from a script: set `[llm] script` "
    "(or pass `llm=` to Wasmind) for scripted replies, or `[llm] base_url` for a real model."
)


def default_script() -> Script:
    """What the embedded model says when nothing was scripted: one fixed, explanatory reply."""
    return FunctionScript(lambda request: Reply(DEFAULT_REPLY), models=[DEFAULT_MODEL])


class _KeyInjectingTransport:
    """Adds ``Authorization: Bearer <key>`` to requests for one origin (the configured ``base_url``)."""

    def __init__(self, inner: Transport, origin: tuple[str, str], key: str) -> None:
        self._inner = inner
        self._origin = origin
        self._key = key

    def send(
        self,
        method: str,
        url: str,
        headers: tuple[tuple[str, str], ...],
        body: bytes | None,
        timeout_s: float | None,
    ) -> HttpResponse:
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) == self._origin and not any(
            name.lower() == "authorization" for name, _ in headers
        ):
            headers = (*headers, ("Authorization", f"Bearer {self._key}"))
        return self._inner.send(method, url, headers, body, timeout_s)


@dataclass
class LLMConnection:
    """The transport actors' HTTP goes through, the base URL they are told, and what to stop later."""

    transport: Transport
    base_url: str
    models: list[str]
    mode: str
    server: EmbeddedLLM | None = None
    recorder: RecordingTransport | None = None
    replay: ReplayTransport | None = None
    secret_env: tuple[str, ...] = field(default_factory=tuple)

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.recorder is not None:
            self.recorder.close()

    def check(self) -> None:
        """Raise the first scripted-LLM or replay problem of the run, if any."""
        if self.server is not None:
            self.server.check()
        if self.replay is not None:
            self.replay.check()


def connect(settings: LLMSettings, script: Any = None, *, source: str | None = None) -> LLMConnection:
    """Open the connection ``settings`` describe; ``script`` overrides ``settings.script``."""
    mode = settings.mode
    if mode == "auto":
        mode = "remote" if settings.base_url else "embedded"
    secret_env = (settings.api_key_env,) if settings.api_key_env else ()
    if mode == "replay":
        if not settings.trace:
            raise ConfigError("mode 'replay' needs a trace file", file=source, key="llm.trace")
        replay = ReplayTransport(settings.trace, secret_env=secret_env, strict_order=False)
        base_url = settings.base_url or replay.recorded_origin() or REPLAY_BASE_URL
        return LLMConnection(
            replay, base_url, list(settings.models), mode, replay=replay, secret_env=secret_env
        )

    transport: Transport = UrllibTransport()
    server = None
    use_embedded = mode == "embedded" or (mode == "record" and not settings.base_url)
    if use_embedded:
        chosen = as_script(script) if script is not None else None
        if chosen is None:
            chosen = load_script(settings.script) if settings.script else default_script()
        server = EmbeddedLLM(chosen, models=settings.models)
        base_url = server.start()
        models = server.models
    else:
        if not settings.base_url:
            raise ConfigError("mode 'remote' needs base_url", file=source, key="llm.base_url")
        base_url = settings.base_url.rstrip("/")
        models = list(settings.models)
        if settings.api_key_env:
            key = os.environ.get(settings.api_key_env)
            if not key:
                raise ConfigError(
                    f"environment variable {settings.api_key_env} (named by api_key_env) is not set",
                    file=source,
                    key="llm.api_key_env",
                )
            parts = urlsplit(base_url)
            transport = _KeyInjectingTransport(transport, (parts.scheme, parts.netloc), key)
    recorder = None
    if mode == "record":
        if not settings.trace:
            raise ConfigError("mode 'record' needs a trace file", file=source, key="llm.trace")
        recorder = RecordingTransport(transport, settings.trace, secret_env=secret_env)
        transport = recorder
    return LLMConnection(
        transport, base_url, models, mode, server=server, recorder=recorder, secret_env=secret_env
    )
