"""Every TOML example in the docs and the actors' READMEs is valid: syntax, keys and types (no files
are touched)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from wasmind_nb.config import UPSTREAM_ONLY_TABLES
from wasmind_nb.config.models import ConfigFile, ManifestFile
from wasmind_nb.config.sources import builtin_names

ROOT = Path(__file__).resolve().parents[2]
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md", *sorted(ROOT.glob("actors/*/README.md"))]
BLOCKS = [
    (f"{page.relative_to(ROOT).as_posix()}#{index}", block)
    for page in PAGES
    for index, block in enumerate(
        re.findall(r"```toml\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)
    )
]


def test_the_config_page_has_examples() -> None:
    assert sum(where.startswith("docs/config.md#") for where, _ in BLOCKS) >= 10


@pytest.mark.parametrize("block", [b for _, b in BLOCKS], ids=[where for where, _ in BLOCKS])
def test_example_is_a_valid_config_or_manifest(block: str) -> None:
    data = tomllib.loads(block)
    if "actor_id" in data:
        ManifestFile.model_validate(data)
    else:
        ConfigFile.model_validate({k: v for k, v in data.items() if k not in UPSTREAM_ONLY_TABLES})


def test_the_config_page_names_every_builtin_actor() -> None:
    text = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    paragraph = text[text.index("**Built-in actor.**") :].split("\n\n")[0]
    assert [name for name in builtin_names() if f"`{name}`" not in paragraph] == []
