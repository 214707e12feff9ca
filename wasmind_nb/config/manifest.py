"""Reading an actor's ``Wasmind.toml`` manifest.

Upstream Wasmind's loader ignores manifest keys it does not know (its own manifests carry some, such as
``display_name``, or ``allow_edits`` one level too high), so a manifest here may too: each ignored key is
a ``ConfigWarning`` naming the file and the key, never an error. Known keys are still checked strictly.
"""

from __future__ import annotations

import difflib
import warnings
from pathlib import Path
from typing import Any

from wasmind_nb.config.models import KEY_TABLES, ActorTable, ManifestFile
from wasmind_nb.config.notices import ConfigWarning
from wasmind_nb.config.parse import parse_toml, read_text, validate

MANIFEST_NAME = "Wasmind.toml"


def read_manifest(path: Path) -> ManifestFile:
    """Parse and validate the manifest at ``path``, warning about (and dropping) keys nobody reads."""
    file = str(path)
    raw = parse_toml(read_text(path, what="manifest"), file)
    kept, ignored = split_ignored(raw)
    if ignored:
        warnings.warn(
            f"{file}: ignoring key(s) that no manifest reads, as upstream Wasmind does: "
            + ", ".join(_explain(key) for key in ignored),
            ConfigWarning,
            stacklevel=2,
        )
    return validate(ManifestFile, kept, file=file)


def split_ignored(raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``raw`` without the unknown keys of its top level and of each ``[dependencies.NAME]``, and the
    dotted keys dropped."""
    top = set(ManifestFile.model_fields)
    kept = {key: value for key, value in raw.items() if key in top}
    ignored = [key for key in raw if key not in top]
    dependencies = raw.get("dependencies")
    if isinstance(dependencies, dict):
        entry = set(ActorTable.model_fields)
        kept_dependencies: dict[str, Any] = {}
        for name, table in dependencies.items():
            if isinstance(table, dict):
                ignored += [f"dependencies.{name}.{key}" for key in table if key not in entry]
                table = {key: value for key, value in table.items() if key in entry}
            kept_dependencies[name] = table
        kept["dependencies"] = kept_dependencies
    return kept, ignored


def _explain(dotted: str) -> str:
    """``'dependencies.x.allow_edits' (an actor setting goes under [dependencies.x.config])``."""
    parent, _, leaf = dotted.rpartition(".")
    known = ActorTable.model_fields if parent else ManifestFile.model_fields
    hint = difflib.get_close_matches(leaf, known, n=1, cutoff=0.75)
    if hint:
        return f"'{dotted}' (did you mean '{hint[0]}'?)"
    if parent:
        return f"'{dotted}' (a setting of the actor itself goes under [{parent}.config])"
    tables = KEY_TABLES.get(leaf)
    return f"'{dotted}' (it is a key of {' or '.join(tables)})" if tables else f"'{dotted}'"
