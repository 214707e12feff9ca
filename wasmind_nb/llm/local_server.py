"""``[llm] local``: llama.cpp's ``llama-server`` on loopback, serving one GGUF file for the run.

:class:`LocalServer` starts the binary on ``127.0.0.1`` and a free port with a clean environment (no
variable of the host's: no key, no ``LLAMA_ARG_*``), waits until ``GET /health`` answers 200, and stops it
(SIGTERM, then SIGKILL) at :meth:`~LocalServer.stop`, at interpreter exit, and whenever the start fails,
so nothing of a failed start keeps running.
"""

from __future__ import annotations

import atexit
import collections
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Callable
from pathlib import Path

from wasmind_nb.config import LocalModelSettings
from wasmind_nb.errors import ConfigError
from wasmind_nb.llm.llama_binary import find_server

HOST = "127.0.0.1"
TAIL_LINES = 20
"""How many of the server's last output lines an error shows."""
STOP_GRACE_S = 5.0
_POLL_S = 0.1
_BIND_FAILURES = ("couldn't bind", "address already in use")
_LIVE: weakref.WeakSet[LocalServer] = weakref.WeakSet()


class LocalModelError(ConfigError):
    """The local model's server could not start; the message ends with the server's last output lines."""

    def __init__(
        self, message: str, *, file: str | None, key: str, output: list[str] | tuple[str, ...] = ()
    ) -> None:
        super().__init__(message, file=file, key=key)
        self.output = list(output)
        if self.output:
            lines = "\n".join("  " + line for line in self.output)
            self.args = (f"{self.args[0]}\nllama-server's last output:\n{lines}",)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class LocalServer:
    """One llama-server process for one run; ``base_url`` is set once :meth:`start` returned."""

    def __init__(
        self,
        settings: LocalModelSettings,
        *,
        source: str | None = None,
        log: Callable[[str], None] | None = _stderr,
    ) -> None:
        self.settings = settings
        self.source = source
        self.log = log
        self.name = settings.served_name
        self.base_url: str | None = None
        self.output: collections.deque[str] = collections.deque(maxlen=200)
        self.process: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def command(self, binary: Path, port: int) -> list[str]:
        """The argument list: the model, loopback and ``port``, the served name, ``--offline`` (llama-server
        never downloads anything), then the settings'."""
        s = self.settings
        args = [str(binary), "--model", s.model, "--host", HOST, "--port", str(port)]
        args += ["--alias", self.name, "--ctx-size", str(s.ctx_size), "--offline"]
        if s.threads is not None:
            args += ["--threads", str(s.threads)]
        return args + list(s.args)

    def start(self) -> str:
        """Start the server and wait until it is ready; return its base URL (no ``/v1``).

        Raises :class:`ConfigError` for a missing model file or binary, :class:`LocalModelError` when the
        server exits or is not ready within ``startup_timeout_s``; the process is stopped either way.
        """
        model = Path(self.settings.model)
        if not model.is_file():
            raise ConfigError(f"local model file not found: {model}", file=self.source, key="llm.local.model")
        binary = find_server(self.settings.server, source=self.source)
        if self.log is not None:
            self.log(f"Loading local model {self.name} ({model.name}) in llama-server...")
        started = time.monotonic()
        deadline = started + self.settings.startup_timeout_s
        try:
            for attempt in range(3):
                port = free_port()
                self._launch(binary, port)
                if self._wait_ready(port, deadline, retry_bind=attempt < 2):
                    break
        except BaseException:
            self.stop()
            raise
        self.base_url = f"http://{HOST}:{port}"
        if self.log is not None:
            self.log(f"Local model {self.name} ready after {time.monotonic() - started:.1f} s.")
        return self.base_url

    def _launch(self, binary: Path, port: int) -> None:
        self.output.clear()
        self.process = subprocess.Popen(
            self.command(binary, port),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={"PATH": os.defpath, "LC_ALL": "C"},
            cwd=str(Path(self.settings.model).parent),
            start_new_session=True,  # a Ctrl-C in the terminal reaches the run, which stops the server
        )
        _LIVE.add(self)
        self._reader = threading.Thread(target=self._read, args=(self.process,), daemon=True)
        self._reader.start()

    def _read(self, process: subprocess.Popen[bytes]) -> None:
        """Keep the last output lines; reading also keeps the pipe from filling up and blocking the server."""
        assert process.stdout is not None
        for raw in process.stdout:
            self.output.append(raw.decode("utf-8", "replace").rstrip())

    def _wait_ready(self, port: int, deadline: float, *, retry_bind: bool) -> bool:
        """True once ``/health`` answers 200; False when the port was taken meanwhile (try another)."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        url = f"http://{HOST}:{port}/health"
        assert self.process is not None
        while True:
            status = self.process.poll()
            if status is not None:
                self._join_reader()
                tail = list(self.output)[-TAIL_LINES:]
                if retry_bind and any(s in line.lower() for line in tail for s in _BIND_FAILURES):
                    return False
                raise LocalModelError(
                    f"llama-server exited with status {status} while loading {self.settings.model}",
                    file=self.source,
                    key="llm.local",
                    output=tail,
                )
            try:
                with opener.open(url, timeout=1.0) as response:
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass  # not listening yet, or 503 while the model loads
            if time.monotonic() >= deadline:
                tail = list(self.output)[-TAIL_LINES:]
                raise LocalModelError(
                    f"llama-server was not ready within {self.settings.startup_timeout_s:g} s while loading "
                    f"{self.settings.model}; raise startup_timeout_s for a larger model",
                    file=self.source,
                    key="llm.local.startup_timeout_s",
                    output=tail,
                )
            time.sleep(_POLL_S)

    def _join_reader(self) -> None:
        if self._reader is not None:
            self._reader.join(timeout=STOP_GRACE_S)

    def stop(self) -> None:
        """Stop the server (SIGTERM, SIGKILL after ``STOP_GRACE_S``) and wait for it. Idempotent."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._join_reader()
        if process.stdout is not None:
            process.stdout.close()
        _LIVE.discard(self)


@atexit.register
def _stop_all() -> None:
    """At interpreter exit, stop every server a run did not stop (a crashed notebook cell, say)."""
    for server in list(_LIVE):
        server.stop()
