"""Where wasmind-nb finds its WIT, its built-in actors, the guest SDK, and its on-disk cache."""

from __future__ import annotations

import os
from pathlib import Path

import wasmind_sdk

_PACKAGE = Path(__file__).resolve().parent
_REPO = _PACKAGE.parent


def _data(name: str) -> Path:
    """A data folder: inside the installed wheel (``_data``) or at the top of a source checkout."""
    installed = _PACKAGE / "_data" / name
    return installed if installed.is_dir() else _REPO / name


def wit_dir() -> Path:
    """The ``wasmind:actor@0.1.0`` WIT package."""
    return _data("wit")


def builtin_actors_dir() -> Path:
    """Sources of the built-in actors (``assistant``, ``execute_bash``, ...)."""
    return _data("actors")


def sdk_dir() -> Path:
    """The ``wasmind_sdk`` package folder that Python actors import."""
    return Path(wasmind_sdk.__file__).resolve().parent


def js_sdk_dir() -> Path:
    """The ESM helper JavaScript actors import as ``"wasmind"`` (``js/sdk`` of the repository)."""
    installed = _PACKAGE / "_data" / "js-sdk"
    return installed if installed.is_dir() else _REPO / "js" / "sdk"


def js_toolchain_dir() -> Path | None:
    """The folder whose ``node_modules`` has ComponentizeJS and esbuild: ``$WASMIND_NB_JS_TOOLCHAIN``,
    else ``js/actors`` of a source checkout (installed there by ``npm ci``), else ``None``."""
    chosen = os.environ.get("WASMIND_NB_JS_TOOLCHAIN")
    if chosen:
        return Path(chosen).expanduser().resolve()
    checkout = _REPO / "js" / "actors"
    return checkout if (checkout / "package.json").is_file() else None


def cache_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The on-disk cache: ``override``, else ``$WASMIND_NB_CACHE``, else ``~/.cache/wasmind-nb``."""
    chosen = override or os.environ.get("WASMIND_NB_CACHE") or Path.home() / ".cache" / "wasmind-nb"
    path = Path(chosen).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path
