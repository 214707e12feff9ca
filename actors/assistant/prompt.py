"""The system prompt: contributions by key, ordered by section and priority, rendered with Jinja2.

Any actor may send ``SystemPromptContribution`` for this agent; a later one with the same key replaces the
earlier. ``Text`` content is used as is; ``Data`` content renders ``data`` through its template. The config
adds ``defaults`` (one text per section, key ``config:<section>``), per-key ``overrides`` (a template that
replaces a contribution's own: it sees ``data`` for Data content and ``text`` for Text content), ``exclude``
(keys left out) and an optional ``base_template`` (the layout, given ``sections``: a list of
``(name, [rendered parts])``).

Templates run in Jinja2's sandbox: contributions come from other actors, and the sandbox keeps a template
from reaching into the assistant's own objects.
"""

from __future__ import annotations

import encodings.unicode_escape  # noqa: F401  (Jinja2 decodes string literals with it; bundle it)
import re
import textwrap  # noqa: F401  (Jinja2's wordwrap filter imports it lazily; bundle it)
from dataclasses import dataclass
from typing import Any

import jinja2
import jinja2.debug
from jinja2.sandbox import SandboxedEnvironment
from settings import PromptSettings, section_name

from wasmind_sdk.messages import (
    SECTIONS,
    SystemPromptContent,
    SystemPromptContribution,
    SystemPromptData,
    SystemPromptText,
)

DEFAULTS_PRIORITY = 500
"""Priority of the config's ``defaults`` texts within their section."""
UNSECTIONED = "other"
"""The section of contributions that name none; rendered after every named section."""
DEFAULT_LAYOUT = (
    "{% for name, parts in sections %}"
    "<{{ name }}>\n{{ parts | join('\\n\\n') }}\n</{{ name }}>"
    "{% if not loop.last %}\n\n{% endif %}"
    "{% endfor %}"
)
_KEY = re.compile(r"^[A-Za-z0-9_.-]+:.+$")
_CACHE_LIMIT = 256


@dataclass(frozen=True)
class Rendered:
    """A rendered prompt and the problems met on the way (each already worked around)."""

    text: str
    problems: tuple[str, ...] = ()


def _section_rank(section: str | None) -> tuple[int, int, str]:
    if section is None:
        return (2, 0, "")
    if section in SECTIONS:
        return (0, SECTIONS.index(section), "")
    return (1, 0, section.lower())


def _tag(section: str | None) -> str:
    return UNSECTIONED if section is None else re.sub(r"\s+", "_", section.strip().lower())


class SystemPrompt:
    """The contributions of one agent's system prompt."""

    def __init__(self, scope: str, settings: PromptSettings, context: dict[str, str] | None = None) -> None:
        self.scope = scope
        self.settings = settings
        self._parts: dict[str, SystemPromptContribution] = {}
        self._env = SandboxedEnvironment(autoescape=False)
        self._templates: dict[str, jinja2.Template] = {}
        for key, text in (context or {}).items():
            self._put(key, SystemPromptText(text), 0, "system_context")
        for section, text in settings.defaults.items():
            self._put(f"config:{section}", SystemPromptText(text), DEFAULTS_PRIORITY, section)

    def _put(self, key: str, content: SystemPromptContent, priority: int, section: str | None) -> None:
        self._parts[key] = SystemPromptContribution(self.scope, key, content, priority, section)

    def add(self, contribution: SystemPromptContribution) -> str | None:
        """Take a contribution for this agent; returns why it was refused, if it was."""
        if contribution.agent != self.scope:
            return None
        if not _KEY.match(contribution.key):
            return f"contribution key '{contribution.key}' is not of the form 'actor:name'; ignored"
        section = None if contribution.section is None else section_name(contribution.section)
        self._put(contribution.key, contribution.content, contribution.priority, section)
        return None

    def keys(self) -> list[str]:
        """The keys that currently contribute (excluded ones left out), in prompt order."""
        return [part.key for part in self._ordered()]

    def _ordered(self) -> list[SystemPromptContribution]:
        parts = [p for p in self._parts.values() if p.key not in self.settings.exclude]
        return sorted(parts, key=lambda p: (_section_rank(p.section), -p.priority, p.key))

    def render(self) -> Rendered:
        """The prompt text: non-empty parts grouped by section, in section then priority order."""
        problems: list[str] = []
        sections: list[tuple[str, list[str]]] = []
        for part in self._ordered():
            text = self._render_part(part, problems).strip()
            if not text:
                continue
            name = _tag(part.section)
            if sections and sections[-1][0] == name:
                sections[-1][1].append(text)
            else:
                sections.append((name, [text]))
        layout = self.settings.base_template or DEFAULT_LAYOUT
        try:
            text = self._render(layout, sections=sections)
        except Exception as err:
            problems.append(f"system_prompt.base_template failed ({_describe(err)}); used the default layout")
            text = self._render(DEFAULT_LAYOUT, sections=sections)
        return Rendered(text.strip(), tuple(problems))

    def _render_part(self, part: SystemPromptContribution, problems: list[str]) -> str:
        override = self.settings.overrides.get(part.key)
        content = part.content
        if isinstance(content, SystemPromptText):
            if override is None:
                return content.text
            try:
                return self._render(override, text=content.text, data=None)
            except Exception as err:
                problems.append(f"override of '{part.key}' failed ({_describe(err)}); used the original text")
                return content.text
        assert isinstance(content, SystemPromptData)
        if override is not None:
            try:
                return self._render(override, data=content.data, text=None)
            except Exception as err:
                problems.append(f"override of '{part.key}' failed ({_describe(err)}); used its own template")
        try:
            return self._render(content.default_template, data=content.data)
        except Exception as err:
            problems.append(f"template of '{part.key}' failed ({_describe(err)}); left it out")
            return ""

    def _render(self, source: str, **variables: Any) -> str:
        template = self._templates.get(source)
        if template is None:
            if len(self._templates) >= _CACHE_LIMIT:
                self._templates.clear()
            template = self._templates[source] = self._env.from_string(source)
        return template.render(**variables)


def _describe(err: Exception) -> str:
    return f"{type(err).__name__}: {err}"
