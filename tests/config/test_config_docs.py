"""Every TOML example in docs/config.md is valid: syntax, keys and types (no files are touched)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from wasmind_nb.config import UPSTREAM_ONLY_TABLES
from wasmind_nb.config.models import ConfigFile, ManifestFile

DOC = Path(__file__).resolve().parents[2] / "docs" / "config.md"
BLOCKS = re.findall(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_page_has_examples() -> None:
    assert len(BLOCKS) >= 10


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_example_is_a_valid_config_or_manifest(block: str) -> None:
    data = tomllib.loads(block)
    if "actor_id" in data:
        ManifestFile.model_validate(data)
    else:
        ConfigFile.model_validate({k: v for k, v in data.items() if k not in UPSTREAM_ONLY_TABLES})
