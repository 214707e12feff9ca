"""Connect a run to its language model, as the ``[llm]`` table says.

* ``embedded`` (the default when no ``base_url`` is set): start the loopback :class:`EmbeddedLLM` with the
  configured script (or the one passed to ``Wasmind(llm=...)``, or a default that explains itself).
* ``local`` (the default when ``local`` is set): start llama.cpp's ``llama-server`` on loopback for the
  GGUF file ``local.model`` (:class:`~wasmind_nb.llm.local_server.LocalServer`) and stop it at ``close``.
* ``remote``: use ``base_url``; the API key is read from the ``api_key_env`` variable into
  :attr:`LLMConnection.credential`, which the runtime hands to ``send_request`` for actors granted
  ``llm`` only. It is added to ``<base_url>/v1/chat/completions`` on that exact origin, never after a
  redirect, replacing any ``Authorization`` the actor set, so actors never see it and traces never hold it.
* ``record``: as embedded/local/remote, and every exchange is appended to the ``trace`` file.
* ``replay``: answer every request from the ``trace`` file, with no server and no network. Actors are
  told the recorded run's base URL (nothing listens there; the replay answers first), so a replayed
  run's messages are the recorded run's, byte for byte.

Actors learn the URL from the replayable ``wasmind.common.litellm.BaseUrlUpdate`` message, and
:attr:`LLMConnection.grant_host` is the ``host:port`` entry the runtime adds to the ``http_hosts`` of actors
granted ``llm``, so the assistant reaches the model (embedded, remote or replayed) with no grant of its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from wasmind_nb.config import LLMSettings
from wasmind_nb.errors import ConfigError
from wasmind_nb.host.credential import Credential, origin_of
from wasmind_nb.host.netpolicy import host_port
from wasmind_nb.host.transport import Transport, UrllibTransport
from wasmind_nb.llm.local_server import LocalServer
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


def grant_for(base_url: str) -> str:
    """The ``http_hosts`` entry for ``base_url``'s origin: ``host:port``, the port always written out."""
    _scheme, host, port = origin_of(base_url)
    return host_port(host, port)


@dataclass
class LLMConnection:
    """The transport actors' HTTP goes through, the base URL they are told, and what to stop later.

    ``credential`` (remote with ``api_key_env`` only) is for ``send_request(..., credential=...)`` of
    actors granted ``llm``; ``grant_host`` is the entry to add to those actors' ``http_hosts``.
    """

    transport: Transport
    base_url: str
    models: list[str]
    mode: str
    server: EmbeddedLLM | None = None
    local: LocalServer | None = None
    recorder: RecordingTransport | None = None
    replay: ReplayTransport | None = None
    secret_env: tuple[str, ...] = field(default_factory=tuple)
    credential: Credential | None = None
    grant_host: str | None = None

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.local is not None:
            self.local.stop()
        if self.recorder is not None:
            self.recorder.close()

    def check(self) -> None:
        """Raise the first scripted-LLM or replay problem of the run, if any."""
        if self.server is not None:
            self.server.check()
        if self.replay is not None:
            self.replay.check()


def connect(
    settings: LLMSettings,
    script: Any = None,
    *,
    source: str | None = None,
) -> LLMConnection:
    """Open the connection ``settings`` describe; ``script`` overrides ``settings.script``.

    A trace redacts the headers of ``settings.redact_headers`` on top of the credential headers.
    """
    mode = settings.mode
    if mode == "auto":
        mode = "local" if settings.local else "remote" if settings.base_url else "embedded"
    secret_env = (settings.api_key_env,) if settings.api_key_env else ()
    extra = tuple(settings.redact_headers)
    if mode == "replay":
        if not settings.trace:
            raise ConfigError("mode 'replay' needs a trace file", file=source, key="llm.trace")
        replay = ReplayTransport(
            settings.trace, secret_env=secret_env, redact_headers=extra, strict_order=False
        )
        base_url = settings.base_url or replay.recorded_origin() or REPLAY_BASE_URL
        return LLMConnection(
            replay,
            base_url,
            _local_models(settings),
            mode,
            replay=replay,
            secret_env=secret_env,
            grant_host=grant_for(base_url),
        )

    if mode == "record" and not settings.trace:
        raise ConfigError("mode 'record' needs a trace file", file=source, key="llm.trace")
    transport: Transport = UrllibTransport()
    server = None
    local = None
    credential = None
    use_embedded = mode == "embedded" or (mode == "record" and not settings.base_url and not settings.local)
    if settings.local is not None:
        local = LocalServer(settings.local, source=source)
        base_url = local.start()
        models = _local_models(settings)
    elif use_embedded:
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
            credential = Credential.bearer(base_url, key)
    recorder = None
    if mode == "record":
        assert settings.trace is not None
        try:
            recorder = RecordingTransport(
                transport, settings.trace, secret_env=secret_env, redact_headers=extra
            )
        except BaseException:  # nothing of a failed connect keeps running
            for started in (server, local):
                if started is not None:
                    started.stop()
            raise
        transport = recorder
    return LLMConnection(
        transport,
        base_url,
        models,
        mode,
        server=server,
        local=local,
        recorder=recorder,
        secret_env=secret_env,
        credential=credential,
        grant_host=grant_for(base_url),
    )


def _local_models(settings: LLMSettings) -> list[str]:
    """The models announced to actors: the local model's served name first (when local), then ``models``."""
    served = [settings.local.served_name] if settings.local is not None else []
    return served + [name for name in settings.models if name not in served]
