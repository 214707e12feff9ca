"""Reading an actor's ``Wasmind.toml`` manifest."""

from __future__ import annotations

from pathlib import Path

from wasmind_nb.config.models import ManifestFile
from wasmind_nb.config.parse import parse_toml, read_text, validate

MANIFEST_NAME = "Wasmind.toml"


def read_manifest(path: Path) -> ManifestFile:
    """Parse and validate the manifest at ``path``."""
    file = str(path)
    return validate(ManifestFile, parse_toml(read_text(path, what="manifest"), file), file=file)
