"""The assistant's config table, checked once in the constructor.

A missing or mistyped key raises ``ValueError``; the constructor lets it propagate, so the spawn fails with
an error that names the key (the runtime reports constructor traps as spawn errors naming the actor).
Unknown keys are kept in ``unknown`` and only logged, as upstream ignores them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wasmind_sdk.messages import SECTIONS
from wasmind_sdk.sampling import KEYS as SAMPLING_KEYS
from wasmind_sdk.sampling import Sampling

DEFAULT_RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_TOTAL_BACKOFF_MS = 30_000
"""The backoff waits of one request may add up to this much: they run inside the assistant's message
handler, whose time counts against its ``handler_timeout_s`` (60 s by default)."""

_KNOWN_KEYS = frozenset(
    {
        "model_name",
        "base_url",
        "require_tool_call",
        "allow_empty_responses",
        "max_corrective_retries",
        *SAMPLING_KEYS,
        "request_timeout_s",
        "max_attempts",
        "base_delay_ms",
        "max_delay_ms",
        "retry_on_status",
        "wake_on_system_input",
        "system_context",
        "system_prompt",
    }
)
_PROMPT_KEYS = frozenset({"defaults", "overrides", "exclude", "base_template"})


@dataclass(frozen=True)
class PromptSettings:
    """``system_prompt``: section texts (``defaults``), per-key templates, excluded keys, layout template."""

    defaults: dict[str, str] = field(default_factory=dict)
    overrides: dict[str, str] = field(default_factory=dict)
    exclude: frozenset[str] = frozenset()
    base_template: str | None = None


@dataclass(frozen=True)
class Settings:
    """Every assistant setting, with its default (see the README for what each does)."""

    model_name: str
    base_url: str | None = None
    require_tool_call: bool = False
    allow_empty_responses: bool = False
    max_corrective_retries: int = 3
    sampling: Sampling = field(default_factory=Sampling)
    request_timeout_s: int = 120
    max_attempts: int = 4
    base_delay_ms: int = 1000
    max_delay_ms: int = 8000
    retry_on_status: tuple[int, ...] = DEFAULT_RETRY_STATUSES
    wake_on_system_input: bool = False
    system_context: bool = True
    system_prompt: PromptSettings = field(default_factory=PromptSettings)
    unknown: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        """Check ``config`` (the actor's TOML table) and fill in defaults."""
        model = config.get("model_name")
        if not isinstance(model, str) or not model.strip():
            raise ValueError(
                "assistant config: 'model_name' is required, a non-empty string naming the model "
                f'(e.g. model_name = "gpt-4o-mini"); got {model!r}'
            )
        base_url = _optional(config, "base_url", str)
        settings = cls(
            model_name=model,
            base_url=base_url.rstrip("/") if base_url else None,
            require_tool_call=_get(config, "require_tool_call", bool, False),
            allow_empty_responses=_get(config, "allow_empty_responses", bool, False),
            max_corrective_retries=_count(config, "max_corrective_retries", 3, minimum=0),
            sampling=Sampling.from_config(config, "assistant"),
            request_timeout_s=_count(config, "request_timeout_s", 120, minimum=1),
            max_attempts=_count(config, "max_attempts", 4, minimum=1),
            base_delay_ms=_count(config, "base_delay_ms", 1000, minimum=0),
            max_delay_ms=_count(config, "max_delay_ms", 8000, minimum=0),
            retry_on_status=_statuses(config),
            wake_on_system_input=_get(config, "wake_on_system_input", bool, False),
            system_context=_get(config, "system_context", bool, True),
            system_prompt=_prompt_settings(config.get("system_prompt", {})),
            unknown=tuple(sorted(set(config) - _KNOWN_KEYS)),
        )
        total = settings.total_backoff_ms()
        if total > MAX_TOTAL_BACKOFF_MS:
            raise ValueError(
                f"assistant config: the backoff waits of one request add up to {total / 1000:g} s "
                f"(max_attempts = {settings.max_attempts}, base_delay_ms = {settings.base_delay_ms}, "
                f"max_delay_ms = {settings.max_delay_ms}); at most {MAX_TOTAL_BACKOFF_MS // 1000} s are "
                "allowed, as they count against the assistant's handler_timeout_s"
            )
        return settings

    def total_backoff_ms(self) -> int:
        """What the waits between ``max_attempts`` attempts add up to."""
        total = 0
        for attempt in range(1, self.max_attempts):
            wait = self.backoff_ms(attempt)
            if wait in (0, self.max_delay_ms) or attempt > 40:  # every later wait is the same
                return total + wait * (self.max_attempts - attempt)
            total += wait
        return total

    def backoff_ms(self, attempt: int) -> int:
        """The wait after failed attempt ``attempt`` (1-based): ``base_delay_ms * 2^(attempt-1)``, capped
        at ``max_delay_ms``."""
        return min(self.base_delay_ms * 2 ** min(attempt - 1, 40), self.max_delay_ms)


_KINDS = {bool: "a boolean", int: "an integer", str: "a string"}


def _get(config: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    value = config.get(key, default)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ValueError(f"assistant config: '{key}' must be {_KINDS[kind]}, got {value!r}")
    return value


def _optional(config: dict[str, Any], key: str, kind: type) -> Any:
    return None if config.get(key) is None else _get(config, key, kind, None)


def _count(config: dict[str, Any], key: str, default: int, *, minimum: int) -> int:
    value = _get(config, key, int, default)
    if value < minimum:
        raise ValueError(f"assistant config: '{key}' must be at least {minimum}, got {value}")
    return value


def _statuses(config: dict[str, Any]) -> tuple[int, ...]:
    value = config.get("retry_on_status", list(DEFAULT_RETRY_STATUSES))
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValueError(f"assistant config: 'retry_on_status' must be a list of integers, got {value!r}")
    return tuple(value)


def _string_map(value: Any, key: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(f"assistant config: '{key}' must be a table of strings, got {value!r}")
    return dict(value)


def _prompt_settings(value: Any) -> PromptSettings:
    if not isinstance(value, dict):
        raise ValueError(f"assistant config: 'system_prompt' must be a table, got {value!r}")
    unknown = sorted(set(value) - _PROMPT_KEYS)
    if unknown:
        raise ValueError(
            f"assistant config: unknown key 'system_prompt.{unknown[0]}' "
            f"(known: {', '.join(sorted(_PROMPT_KEYS))})"
        )
    defaults = _string_map(value.get("defaults", {}), "system_prompt.defaults")
    exclude = value.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(k, str) for k in exclude):
        raise ValueError(f"assistant config: 'system_prompt.exclude' must be a list of keys, got {exclude!r}")
    template = value.get("base_template")
    if template is not None and not isinstance(template, str):
        raise ValueError(
            f"assistant config: 'system_prompt.base_template' must be a string, got {template!r}"
        )
    return PromptSettings(
        defaults={section_name(k): v for k, v in defaults.items()},
        overrides=_string_map(value.get("overrides", {}), "system_prompt.overrides"),
        exclude=frozenset(exclude),
        base_template=template,
    )


def section_name(name: str) -> str:
    """A built-in section's canonical name (``System-Context`` -> ``system_context``); others unchanged."""
    known = name.strip().lower().replace("-", "_").replace(" ", "_")
    return known if known in SECTIONS else name.strip()
