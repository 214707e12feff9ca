"""``Config``: a config file loaded, validated and resolved into one ``ActorSpec`` per logical actor."""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wasmind_nb.config.litellm import describe, translate
from wasmind_nb.config.models import ConfigFile
from wasmind_nb.config.parse import parse_toml, read_text, validate
from wasmind_nb.config.resolve import ConfigWarning, resolve_actors
from wasmind_nb.config.settings import API_KEY_MESSAGE, LLMSettings, RuntimeSettings
from wasmind_nb.config.specs import ActorSpec
from wasmind_nb.errors import ConfigError

#: Top-level tables of upstream Wasmind that wasmind-nb does not use; they are ignored with a warning.
UPSTREAM_ONLY_TABLES = ("docker", "tui", "litellm")


@dataclass(frozen=True)
class Config:
    """The resolved configuration: actor specs by logical name, what to start, and run-wide settings."""

    starting_actors: list[str] = field(default_factory=list)
    actors: dict[str, ActorSpec] = field(default_factory=dict)
    llm: LLMSettings = field(default_factory=LLMSettings)
    runtime: RuntimeSettings = field(default_factory=RuntimeSettings)
    base_dir: Path = field(default_factory=Path.cwd)
    source_file: str | None = None

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Config:
        """Load a TOML config file; relative paths in it resolve from its folder."""
        file = Path(path).expanduser().resolve()
        return cls.from_toml(read_text(file, what="config file"), base_dir=file.parent, source_name=str(file))

    @classmethod
    def from_toml(
        cls, text: str, base_dir: str | os.PathLike[str] = ".", source_name: str = "<string>"
    ) -> Config:
        """Load config text; relative paths resolve from ``base_dir``, errors name ``source_name``."""
        base = Path(base_dir).expanduser().resolve()
        raw = _drop_upstream_tables(parse_toml(text, source_name), source_name)
        _reject_inline_api_key(raw, source_name)
        parsed = validate(ConfigFile, raw, file=source_name, context={"base_dir": base})
        actors = resolve_actors(parsed, file=source_name, base_dir=base)
        for name in parsed.starting_actors:
            if name not in actors:
                raise ConfigError(_unknown(name, actors), file=source_name, key="starting_actors")
        return cls(list(parsed.starting_actors), actors, parsed.llm, parsed.runtime, base, source_name)

    def expand_spawn(self, names: Sequence[str]) -> list[str]:
        """The actors to spawn for a request: ``names``, every ``auto_spawn`` actor, and what each requires.

        Expansion is transitive and depth-first; duplicates are dropped, first occurrences keep their place.
        An unknown name is a ``ConfigError`` raised before anything is returned.
        """
        roots = [*names, *(name for name, spec in self.actors.items() if spec.auto_spawn)]
        expanded: dict[str, None] = {}
        pending = list(reversed(roots))
        while pending:
            name = pending.pop()
            if name in expanded:
                continue
            spec = self.actors.get(name)
            if spec is None:
                raise ConfigError(_unknown(name, self.actors), file=self.source_file)
            expanded[name] = None
            pending.extend(reversed(spec.required_spawn_with))
        return list(expanded)

    def with_actor(self, spec: ActorSpec) -> Config:
        """A copy with ``spec`` added, or replacing the actor of the same name."""
        actors = {**self.actors, spec.name: spec}
        for required in spec.required_spawn_with:
            if required not in actors:
                raise ConfigError(
                    _unknown(required, actors), file=spec.declared_in, key="required_spawn_with"
                )
        return dataclasses.replace(self, actors=actors)


def _unknown(name: str, known: dict[str, Any]) -> str:
    return f"unknown actor '{name}' (known actors: {', '.join(sorted(known)) or 'none'})"


def _drop_upstream_tables(raw: dict[str, Any], file: str) -> dict[str, Any]:
    """Remove upstream-only tables (Docker, TUI, LiteLLM), warning once about what was ignored.

    Without ``[llm]``, ``[litellm]`` gives the models offered to actors (and the key's variable) instead.
    """
    if "litellm" in raw and "llm" not in raw:
        translation = translate(raw["litellm"])
        warnings.warn(describe(translation, file), ConfigWarning, stacklevel=3)
        raw = {key: value for key, value in raw.items() if key != "litellm"} | {"llm": translation.llm}
    ignored = [name for name in UPSTREAM_ONLY_TABLES if name in raw]
    if ignored:
        why = "; wasmind-nb configures LLM access in [llm]" if "litellm" in ignored else ""
        warnings.warn(
            f"{file}: ignoring upstream-only table(s) {', '.join(f'[{name}]' for name in ignored)}{why}",
            ConfigWarning,
            stacklevel=3,
        )
    return {key: value for key, value in raw.items() if key not in UPSTREAM_ONLY_TABLES}


def _reject_inline_api_key(raw: dict[str, Any], file: str) -> None:
    llm = raw.get("llm")
    if isinstance(llm, dict) and "api_key" in llm:
        raise ConfigError(API_KEY_MESSAGE, file=file, key="llm.api_key")
