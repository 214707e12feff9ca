"""A secret the host adds to one kind of request (the LLM API key), and the headers that carry secrets.

A :class:`Credential` names an origin (scheme, host, port), the exact paths it is for and the header that
carries it. ``httpclient.send_request`` adds it only when its caller passes it (the runtime does so for
actors granted ``llm``), only to the first hop of a request whose origin and path match exactly, never to a
redirected hop; it replaces any header of that name the guest set, so a guest can neither read nor forge it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["CHAT_COMPLETIONS_PATH", "CREDENTIAL_HEADERS", "Credential", "origin_of"]

CHAT_COMPLETIONS_PATH = "/v1/chat/completions"
"""What actors append to ``base_url`` for a chat completion (the only path the key is added to)."""

CREDENTIAL_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "x-auth-token",
        "private-token",
        "x-goog-api-key",
        "x-amz-security-token",
    }
)
"""Headers that carry credentials: redacted in traces, dropped on a redirect to another origin."""


@dataclass(frozen=True, slots=True)
class Credential:
    """``header: value`` for requests to ``scheme://host:port`` at one of ``paths`` (query allowed)."""

    scheme: str
    host: str
    port: int
    paths: tuple[str, ...]
    header: str
    value: str = field(repr=False)

    @classmethod
    def bearer(cls, base_url: str, key: str) -> Credential:
        """``Authorization: Bearer <key>`` for ``<base_url>/v1/chat/completions``."""
        scheme, host, port = origin_of(base_url)
        base_path = urlsplit(base_url).path.rstrip("/")
        return cls(scheme, host, port, (base_path + CHAT_COMPLETIONS_PATH,), "Authorization", f"Bearer {key}")

    def applies_to(self, url: str) -> bool:
        """Whether ``url`` (normalised by the http capability) is exactly this credential's target."""
        if origin_of(url) != (self.scheme, self.host, self.port):
            return False
        return (urlsplit(url).path or "/") in self.paths

    def __repr__(self) -> str:
        return f"Credential({self.header} for {self.scheme}://{self.host}:{self.port}{list(self.paths)})"


def origin_of(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` with the scheme's default port filled in and the host lower-cased."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").rstrip("."), parts.port or (443 if scheme == "https" else 80)
