"""A stand-in for llama.cpp's ``llama-server``: a real executable serving real HTTP on the port it is given.

``fake_server(folder, behaviour)`` writes it. Each launch records its argument list, environment and pid
in ``<cwd>/fake-llama/launch-N.json`` (the cwd is the model's folder), then, by ``behaviour``:

* ``serve``: answers ``/health`` (503 for the first two polls, as while a model loads, then 200),
  ``/v1/models`` and ``/v1/chat/completions`` (always ``Hello from <alias>.``, byte for byte);
* ``exit``: prints a few lines and exits with status 3, as on a model file it cannot read;
* ``hang``: prints one line and never listens;
* ``bind-once``: the first launch fails to bind its port, as when another process took it; later serve.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

SCRIPT = r"""#!{python}
import http.server
import json
import os
import pathlib
import sys
import time

BEHAVIOUR = {behaviour!r}
args = sys.argv[1:]


def option(name):
    return args[args.index(name) + 1] if name in args else None


state = pathlib.Path.cwd() / "fake-llama"
state.mkdir(exist_ok=True)
launch = len(list(state.glob("launch-*.json")))
record = {{"argv": args, "env": dict(os.environ), "pid": os.getpid()}}
(state / f"launch-{{launch}}.json").write_text(json.dumps(record))
print("fake llama-server: loading model", option("--model"), file=sys.stderr, flush=True)
if BEHAVIOUR == "exit":
    for n in range(30):
        print(f"log line {{n}}", file=sys.stderr)
    print("error: failed to load model", file=sys.stderr, flush=True)
    sys.exit(3)
if BEHAVIOUR == "hang":
    while True:
        time.sleep(1)
if BEHAVIOUR == "bind-once" and launch == 0:
    print("couldn't bind HTTP server socket, hostname: 127.0.0.1", file=sys.stderr, flush=True)
    sys.exit(1)

alias = option("--alias")
health_polls = []


class Handler(http.server.BaseHTTPRequestHandler):
    def send(self, status, value):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/health":
            health_polls.append(1)
            if len(health_polls) <= 2:
                self.send(503, {{"error": {{"code": 503, "message": "Loading model"}}}})
            else:
                self.send(200, {{"status": "ok"}})
        elif self.path == "/v1/models":
            self.send(200, {{"object": "list", "data": [{{"id": alias, "object": "model"}}]}})
        else:
            self.send(404, {{"error": {{"message": "not found"}}}})

    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        message = {{"role": "assistant", "content": f"Hello from {{alias}}."}}
        self.send(200, {{
            "id": "chatcmpl-fake", "object": "chat.completion", "created": 1, "model": request["model"],
            "choices": [{{"index": 0, "message": message, "finish_reason": "stop"}}],
            "usage": {{"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9}},
        }})

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer((option("--host"), int(option("--port"))), Handler)
print("fake llama-server: listening", flush=True)
server.serve_forever()
"""


def fake_server(folder: Path, behaviour: str = "serve") -> Path:
    """Write the fake ``llama-server`` executable into ``folder`` and return its path."""
    path = folder / "llama-server"
    path.write_text(SCRIPT.format(python=sys.executable, behaviour=behaviour))
    path.chmod(0o755)
    return path


def launches(model_folder: Path) -> list[dict[str, Any]]:
    """What each launch of the fake recorded (argv, env, pid), in launch order."""
    state = model_folder / "fake-llama"
    count = len(list(state.glob("launch-*.json"))) if state.is_dir() else 0
    return [json.loads((state / f"launch-{n}.json").read_text()) for n in range(count)]


def alive(pid: int) -> bool:
    """Whether a process with this pid still exists (a reaped child does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
