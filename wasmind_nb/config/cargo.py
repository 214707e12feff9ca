"""Rust actors: a crate folder (``Cargo.toml`` + ``Wasmind.toml``) built with ``cargo component``.

Upstream Wasmind's actors are Rust crates. When ``cargo component`` works on this machine, such a folder
is built into ``<cache>/cargo/<digest>/wasm32-wasip1/release/<crate>.wasm`` (cargo rebuilds only what
changed) and loaded like any prebuilt component.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import tomllib
from pathlib import Path

from wasmind_nb.errors import ConfigError
from wasmind_nb.paths import cache_dir

CARGO_TOML = "Cargo.toml"
TARGET = "wasm32-wasip1"
BUILD_TIMEOUT_S = 1800
INSTALL_HINT = (
    "install Rust with rustup, then `cargo install cargo-component` and `rustup target add wasm32-wasip1`"
)


def is_rust_crate(folder: Path) -> bool:
    """Whether ``folder`` is a Rust crate (it has a ``Cargo.toml``)."""
    return (folder / CARGO_TOML).is_file()


def find_cargo_component() -> str | None:
    """The ``cargo`` on ``PATH`` when its ``component`` subcommand runs, else ``None``.

    Asked once per version of the two programs (a config may hold dozens of Rust actors).
    """
    cargo = shutil.which("cargo")
    if cargo is None:
        return None
    plugin = shutil.which("cargo-component")
    return _runs_component(cargo, _mtime(cargo), plugin, _mtime(plugin) if plugin else None)


@functools.lru_cache(maxsize=8)
def _runs_component(
    cargo: str, _cargo_mtime: int, _plugin: str | None, _plugin_mtime: int | None
) -> str | None:
    try:
        done = subprocess.run([cargo, "component", "--version"], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return cargo if done.returncode == 0 else None


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


#: What a build sees of the host's environment: the toolchain's and the network's settings, no secrets
#: (a crate's build scripts run with this environment; API keys and tokens stay out of their reach).
_BUILD_ENV_NAMES = frozenset(
    {"PATH", "HOME", "USER", "LANG", "TERM", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR"}
)
_BUILD_ENV_PREFIXES = ("CARGO_", "RUSTUP_", "RUSTC", "RUSTFLAGS", "RUSTDOC", "LC_")
_PROXY_NAMES = frozenset({"http_proxy", "https_proxy", "no_proxy", "all_proxy"})


def build_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a build: ``environ`` (the host's) less everything but toolchain, locale,
    proxy and certificate settings."""
    source = os.environ if environ is None else environ
    return {
        name: value
        for name, value in source.items()
        if name in _BUILD_ENV_NAMES or name.startswith(_BUILD_ENV_PREFIXES) or name.lower() in _PROXY_NAMES
    }


def build_command(cargo: str, target_dir: Path) -> list[str]:
    """The command that builds the crate in the current folder into ``target_dir``."""
    return [cargo, "component", "build", "--release", "--target-dir", str(target_dir)]


def build_crate(folder: Path, cargo: str, *, cache: Path | None, file: str, key: str) -> Path:
    """Build the crate in ``folder`` with ``cargo component``; return the component it wrote."""
    name = crate_name(folder, file=file, key=key)
    digest = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
    target_dir = cache_dir(cache) / "cargo" / digest
    command = build_command(cargo, target_dir)
    try:
        done = subprocess.run(
            command, cwd=folder, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, env=build_env()
        )
    except subprocess.TimeoutExpired:
        raise ConfigError(
            f"cargo component build of {folder} did not finish within {BUILD_TIMEOUT_S} s", file=file, key=key
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot run cargo for {folder}: {exc}", file=file, key=key) from None
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-20:])
        raise ConfigError(
            f"cargo component build of {folder} failed (exit {done.returncode}):\n{tail}", file=file, key=key
        )
    component = target_dir / TARGET / "release" / f"{name.replace('-', '_')}.wasm"
    if not component.is_file():
        raise ConfigError(
            f"cargo component build of {folder} succeeded but wrote no {component}", file=file, key=key
        )
    return component


def crate_name(folder: Path, *, file: str, key: str) -> str:
    """The ``[package] name`` of the crate's ``Cargo.toml``."""
    path = folder / CARGO_TOML
    try:
        name = tomllib.loads(path.read_text(encoding="utf-8")).get("package", {}).get("name")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}", file=file, key=key) from None
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{path} has no [package] name", file=file, key=key)
    return name
