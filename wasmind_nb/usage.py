"""Token usage and cost of model calls, read from the bus.

Every model call of the built-in assistant ends in a ``wasmind.common.assistant.Response`` whose
``usage`` holds the tokens the endpoint reported (the embedded model estimates them). The model is the
sending actor's ``model_name``; its price, if any, comes from ``[llm] prices``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from wasmind_nb.config import ActorSpec
from wasmind_nb.config.prices import ModelPrice
from wasmind_nb.runtime.events import Envelope

RESPONSE_TYPE = "wasmind.common.assistant.Response"
UNKNOWN_MODEL = "?"

__all__ = ["RESPONSE_TYPE", "Pricing", "Usage", "UsageLedger", "UsageRow", "response_tokens", "usage_text"]


@dataclass(frozen=True)
class Usage:
    """Tokens of some model calls; ``cost`` in US dollars, ``None`` unless every call's model has a price."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        cost = None if self.cost is None or other.cost is None else self.cost + other.cost
        if not self.calls:
            cost = other.cost
        elif not other.calls:
            cost = self.cost
        return Usage(
            self.calls + other.calls,
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            cost,
        )

    def __str__(self) -> str:
        return usage_text(self.prompt_tokens, self.completion_tokens, self.cost)


class UsageRow(NamedTuple):
    """One agent's calls to one model (``mind.usage()``)."""

    scope: str
    name: str
    model: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost: float | None


def usage_text(prompt: int, completion: int, cost: float | None = None) -> str:
    """``1,234 tokens (1,000 in, 234 out), $0.0012`` (the shape ``notebooks/nbval_sanitize.cfg`` masks)."""
    text = f"{prompt + completion:,} tokens ({prompt:,} in, {completion:,} out)"
    return text if cost is None else f"{text}, {cost_text(cost)}"


def cost_text(cost: float) -> str:
    """Dollars with four significant decimals for small sums: ``$0.0012``, ``$1.25``."""
    return f"${cost:.4f}" if cost < 1 else f"${cost:,.2f}"


def response_tokens(payload: bytes) -> tuple[int, int] | None:
    """``(prompt, completion)`` tokens of a ``Response`` payload (``None`` if it has no usable usage)."""
    try:
        usage = json.loads(payload).get("usage")
        prompt, completion = usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
    except (ValueError, UnicodeDecodeError, AttributeError):
        return None
    if not (isinstance(prompt, int) and isinstance(completion, int)):
        return None
    return max(prompt, 0), max(completion, 0)


class Pricing:
    """Which model each actor calls (its config's ``model_name``) and what that model's tokens cost."""

    def __init__(self, actors: Mapping[str, ActorSpec], prices: Mapping[str, ModelPrice]) -> None:
        self._models = {name: _model_name(spec.config) for name, spec in actors.items()}
        self._prices = dict(prices)

    @property
    def priced(self) -> bool:
        """Whether any price is configured (with none, costs are never shown)."""
        return bool(self._prices)

    def model(self, actor: str) -> str:
        return self._models.get(actor) or UNKNOWN_MODEL

    def cost(self, model: str, prompt: int, completion: int) -> float | None:
        price = self._prices.get(model)
        return price.cost(prompt, completion) if price is not None else None


def _model_name(config: Mapping[str, Any]) -> str | None:
    model = config.get("model_name")
    return model if isinstance(model, str) and model else None


class UsageLedger:
    """Usage per agent and model, kept up to date from the bus log (each envelope is read once)."""

    def __init__(self) -> None:
        self._read = 0
        self._tokens: dict[str, dict[str, list[int]]] = {}  # scope -> model -> [calls, prompt, completion]

    def update(self, messages: list[Envelope], pricing: Pricing) -> None:
        """Reads the envelopes added to ``messages`` (the append-only bus log) since the last call."""
        new, self._read = messages[self._read :], len(messages)
        for env in new:
            if env.message_type != RESPONSE_TYPE or env.replay:
                continue
            tokens = response_tokens(env.payload)
            if tokens is None:
                continue
            entry = self._tokens.setdefault(env.from_scope, {})
            counts = entry.setdefault(pricing.model(env.from_actor_id), [0, 0, 0])
            counts[0] += 1
            counts[1] += tokens[0]
            counts[2] += tokens[1]

    def rows(self, names: Mapping[str, str], pricing: Pricing) -> list[UsageRow]:
        """One row per agent and model it called, in the order the agents first called a model."""
        rows = []
        for scope, models in self._tokens.items():
            for model, (calls, prompt, completion) in models.items():
                cost = pricing.cost(model, prompt, completion)
                row = (
                    scope,
                    names.get(scope, ""),
                    model,
                    calls,
                    prompt,
                    completion,
                    prompt + completion,
                    cost,
                )
                rows.append(UsageRow(*row))
        return rows

    def of(self, scope: str, pricing: Pricing) -> Usage:
        """The usage of one agent, all models together."""
        return total(
            Usage(c, p, o, pricing.cost(m, p, o)) for m, (c, p, o) in self._tokens.get(scope, {}).items()
        )


def total(parts: Iterable[Usage]) -> Usage:
    """The sum of some usages (no calls: zero tokens, no cost)."""
    result = Usage()
    for part in parts:
        result = result + part
    return result
