"""Reading TOML text and validating it, turning every failure into a ``ConfigError`` with file and key."""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from wasmind_nb.config.models import KEY_TABLES, KNOWN_KEYS
from wasmind_nb.errors import ConfigError

ModelT = TypeVar("ModelT", bound=BaseModel)


def parse_toml(text: str, file: str) -> dict[str, Any]:
    """Parse TOML text; a syntax error names the file, line and column."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"malformed TOML: {exc}", file=file) from None


def validate(
    model: type[ModelT],
    data: Any,
    *,
    file: str,
    prefix: str = "",
    context: Mapping[str, Any] | None = None,
) -> ModelT:
    """Validate ``data`` (found at dotted key ``prefix`` of ``file``) as ``model``."""
    try:
        return model.model_validate(data, context=dict(context or {}))
    except ValidationError as exc:
        raise _to_config_error(exc, file, prefix) from None


def dotted_key(prefix: str, loc: tuple[str | int, ...]) -> str:
    """``("actors", "a", "fs", 0, "host")`` -> ``actors.a.fs[0].host``, skipping internal union tags."""
    key = prefix
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        elif not part.startswith("<"):
            key = f"{key}.{part}" if key else part
    return key


def _to_config_error(exc: ValidationError, file: str, prefix: str) -> ConfigError:
    problems = [(dotted_key(prefix, error["loc"]), _describe(error)) for error in exc.errors()]
    key, message = problems[0]
    if len(problems) > 1:
        message += "".join(f"\n  also '{other_key}': {other}" for other_key, other in problems[1:])
    return ConfigError(message, file=file, key=key or None)


def _describe(error: ErrorDetails) -> str:
    """One problem in words: what is wrong and, for a wrong value, what was given."""
    leaf = next((str(part) for part in reversed(error["loc"]) if isinstance(part, str)), "")
    kind = error["type"]
    if kind == "extra_forbidden":
        tables = KEY_TABLES.get(leaf)
        if tables:
            return f"'{leaf}' does not belong here (it is a key of {' or '.join(tables)})"
        if leaf in KNOWN_KEYS:
            return f"'{leaf}' does not belong here"
        hint = difflib.get_close_matches(leaf, KNOWN_KEYS, n=1, cutoff=0.75)
        return f"unknown key '{leaf}'" + (f" (did you mean '{hint[0]}'?)" if hint else "")
    if kind == "missing":
        return f"missing required key '{leaf}'"
    message = error["msg"].removeprefix("Value error, ")
    message = message.replace("Input should be", "expected", 1)
    if kind == "value_error" or isinstance(error.get("input"), dict):
        return message
    given = repr(error["input"])
    return f"{message}, got {given if len(given) <= 80 else given[:77] + '...'}"


def read_text(path: str | os.PathLike[str], *, what: str = "file") -> str:
    """Read a UTF-8 file; a missing or unreadable file is a ``ConfigError`` naming it."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{what} not found", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {what}: {exc}", file=str(path)) from None
