"""Content hashes that key the build and compile caches."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

_SKIP_DIRS = {"__pycache__", ".git", ".ipynb_checkpoints", "node_modules"}


def source_files(folder: Path) -> list[Path]:
    """Every file below ``folder`` that can affect a build, in a stable order."""
    files = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part in _SKIP_DIRS or part.startswith(".") for part in rel.parts):
            continue
        if path.is_file() and path.suffix not in {".wasm", ".pyc"}:
            files.append(path)
    return files


def hash_tree(digest: hashlib._Hash, folder: Path, label: str) -> None:
    """Feed the relative names and contents of ``folder``'s files into ``digest``."""
    for path in source_files(folder):
        digest.update(f"{label}/{path.relative_to(folder).as_posix()}\0".encode())
        digest.update(path.read_bytes())
        digest.update(b"\0")


def content_key(folders: Iterable[tuple[str, Path]], extra: Iterable[str] = ()) -> str:
    """A hex key over several labelled folders and extra strings (tool versions)."""
    digest = hashlib.sha256()
    for label, folder in folders:
        hash_tree(digest, folder, label)
    for item in extra:
        digest.update(f"extra:{item}\0".encode())
    return digest.hexdigest()[:32]


def file_key(path: Path, extra: Iterable[str] = ()) -> str:
    """A hex key over one file's bytes and extra strings."""
    digest = hashlib.sha256(path.read_bytes())
    for item in extra:
        digest.update(f"extra:{item}\0".encode())
    return digest.hexdigest()[:32]
