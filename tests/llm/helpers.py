"""Helpers for the embedded LLM's tests: plain HTTP with the standard library, on loopback."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Got:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def events(self) -> list[Any]:
        """The ``data:`` payloads of an SSE body, parsed (``"[DONE]"`` kept as a string)."""
        events = []
        for block in self.body.decode().split("\n\n"):
            if block:
                assert block.startswith("data: "), block
                data = block[len("data: ") :]
                events.append(data if data == "[DONE]" else json.loads(data))
        return events


def request(
    base_url: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> Got:
    """GET (no body) or POST ``body``; HTTP errors are returned, not raised."""
    req = urllib.request.Request(base_url + path, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return Got(response.status, dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        return Got(error.code, dict(error.headers.items()), error.read())


def chat(base_url: str, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Got:
    """POST a chat completions request."""
    sent = {"Content-Type": "application/json", **(headers or {})}
    return request(base_url, "/v1/chat/completions", json.dumps(payload).encode(), sent)


def raw_exchange(base_url: str, payload: dict[str, Any]) -> bytes:
    """Every byte of the response (status line, headers, body) to one chat completions request."""
    parts = urlsplit(base_url)
    body = json.dumps(payload).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head + body)
        data = bytearray()
        while chunk := sock.recv(65536):
            data += chunk
    return bytes(data)


def user(text: str, model: str = "gpt-test", system: str | None = None, **extra: Any) -> dict[str, Any]:
    """A chat completions request with an optional system prompt and one user message."""
    messages = [{"role": "system", "content": system}] if system is not None else []
    messages.append({"role": "user", "content": text})
    return {"model": model, "messages": messages, **extra}
