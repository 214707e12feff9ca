"""Sampling parameters of a chat completions request, read from an actor's config table.

Stdlib only: it runs inside WebAssembly actors. Every actor that calls a model reads the same keys, so a
config sets them the same way everywhere::

    max_tokens = 1024             # 0: send none (the server's own limit applies)
    temperature = 0.2
    top_p = 0.9
    stop = ["</answer>"]          # or one string
    seed = 7
    extra_body = { top_k = 40 }   # any other field of the request body, sent as given

``extra_body`` may not hold the fields the actor owns (``model``, ``messages``, ``tools``, ``stream``,
``stream_options``) nor the keys above: each field has one place, so nothing overrides anything. One
exception: ``max_completion_tokens`` (OpenAI's newer name, which its reasoning models require) in
``extra_body`` replaces the default ``max_tokens``; setting both explicitly is an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DEFAULT_MAX_TOKENS", "KEYS", "RESERVED_BODY_KEYS", "Sampling"]

DEFAULT_MAX_TOKENS = 4096
"""Tokens one reply may use unless ``max_tokens`` says otherwise (why this number: docs/llm.md)."""
KEYS = ("max_tokens", "temperature", "top_p", "stop", "seed", "extra_body")
"""The config keys this module reads."""
RESERVED_BODY_KEYS = frozenset({"model", "messages", "tools", "stream", "stream_options"})
"""Body fields the actor itself sets (or, for streaming, cannot read): never in ``extra_body``."""
_SEED_RANGE = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class Sampling:
    """The sampling fields of every request an actor sends (``None``: the field is not sent)."""

    max_tokens: int | None = DEFAULT_MAX_TOKENS
    temperature: float | None = None
    top_p: float | None = None
    stop: str | tuple[str, ...] | None = None
    seed: int | None = None
    extra_body: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: dict[str, Any], actor: str) -> Sampling:
        """Check the keys of :data:`KEYS` in ``config``; a bad value raises ``ValueError`` naming the key
        (``"<actor> config: 'top_p' must be ..."``)."""
        extra = _extra_body(config, actor)
        max_tokens: int | None = DEFAULT_MAX_TOKENS
        if "max_tokens" in config:
            value = config["max_tokens"]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(
                    f"{actor} config: 'max_tokens' must be an integer >= 0 (0: send no limit), got {value!r}"
                )
            if value and "max_completion_tokens" in extra:
                raise ValueError(
                    f"{actor} config: set either 'max_tokens' or 'extra_body.max_completion_tokens', not both"
                )
            max_tokens = value or None
        elif "max_completion_tokens" in extra:
            max_tokens = None
        return cls(
            max_tokens=max_tokens,
            temperature=_number(config, "temperature", actor, 0.0, 2.0),
            top_p=_number(config, "top_p", actor, 0.0, 1.0),
            stop=_stop(config.get("stop"), actor),
            seed=_seed(config.get("seed"), actor),
            extra_body=extra,
        )

    def body_fields(self) -> dict[str, Any]:
        """The fields to add to a request body: the set parameters in a fixed order, then ``extra_body``."""
        fields: dict[str, Any] = {}
        if self.max_tokens is not None:
            fields["max_tokens"] = self.max_tokens
        if self.temperature is not None:
            fields["temperature"] = self.temperature
        if self.top_p is not None:
            fields["top_p"] = self.top_p
        if self.stop is not None:
            fields["stop"] = self.stop if isinstance(self.stop, str) else list(self.stop)
        if self.seed is not None:
            fields["seed"] = self.seed
        fields.update(self.extra_body)
        return fields


def _number(config: dict[str, Any], key: str, actor: str, low: float, high: float) -> float | None:
    value = config.get(key)
    if value is None:
        return None
    number_ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not number_ok or not (low <= value <= high):
        raise ValueError(f"{actor} config: '{key}' must be a number from {low:g} to {high:g}, got {value!r}")
    return float(value)


def _stop(value: Any, actor: str) -> str | tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        if not value:
            raise ValueError(f"{actor} config: 'stop' must not be an empty string")
        return value
    if isinstance(value, list) and all(isinstance(item, str) and item for item in value):
        return tuple(value) or None
    raise ValueError(f"{actor} config: 'stop' must be a string or a list of non-empty strings, got {value!r}")


def _seed(value: Any, actor: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not _SEED_RANGE[0] <= value <= _SEED_RANGE[1]:
        raise ValueError(f"{actor} config: 'seed' must be a 64-bit integer, got {value!r}")
    return value


def _extra_body(config: dict[str, Any], actor: str) -> dict[str, Any]:
    value = config.get("extra_body", {})
    if not isinstance(value, dict):
        raise ValueError(f"{actor} config: 'extra_body' must be a table, got {value!r}")
    for key, item in value.items():
        if key in RESERVED_BODY_KEYS:
            raise ValueError(
                f"{actor} config: 'extra_body.{key}' is not allowed: the actor sets '{key}' itself"
            )
        if key in KEYS:
            raise ValueError(
                f"{actor} config: 'extra_body.{key}' is not allowed: set '{key}' at the top level of the "
                "actor's config"
            )
        try:
            json.dumps(item, allow_nan=False)
        except (TypeError, ValueError):
            raise ValueError(
                f"{actor} config: 'extra_body.{key}' must be a JSON value (no dates, NaN or infinity), "
                f"got {item!r}"
            ) from None
    return dict(value)
