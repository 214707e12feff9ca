"""A loopback chat-completions server that stalls on cue: for timeout and interrupt tests.

Each request takes the next plan: ``"stall"`` reads the request and then never answers, holding the
connection until the client closes it (a timeout, a cancellation); a string answers a chat completion with
that content; a callable is called first (it may block, e.g. until the test has seen a notification) and
returns the content. Every event is recorded and signalled, so tests wait for facts, never for time.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Plan = str | Callable[[], str]
STALL = "stall"
WAIT_S = 30.0
"""How long a test helper waits for an event before failing (a bound on a hang, not a threshold)."""


class StallingServer:
    """``with StallingServer([STALL, "Hello"]) as server: ... server.base_url ...``."""

    def __init__(self, plans: list[Plan]) -> None:
        self.plans = list(plans)
        self.bodies: list[dict[str, Any]] = []
        self.closed = 0  # stalled connections the client closed
        self._lock = threading.Condition()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with owner._lock:
                    owner.bodies.append(body)
                    plan = owner.plans.pop(0) if owner.plans else STALL
                    owner._lock.notify_all()
                if plan == STALL:
                    self.connection.recv(1)  # blocks until the client closes the connection
                    with owner._lock:
                        owner.closed += 1
                        owner._lock.notify_all()
                    self.close_connection = True
                    return
                content = plan() if callable(plan) else plan
                reply = {
                    "id": "chatcmpl-stall",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body.get("model", ""),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": content},
                            "finish_reason": "stop",
                        }
                    ],
                }
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    def wait_for(self, condition: Callable[[StallingServer], bool]) -> None:
        """Block until ``condition(self)`` holds (``AssertionError`` after :data:`WAIT_S`)."""
        with self._lock:
            if not self._lock.wait_for(lambda: condition(self), WAIT_S):
                raise AssertionError(f"the stalling server never got there: {len(self.bodies)} requests")

    def __enter__(self) -> StallingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
