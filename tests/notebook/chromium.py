"""Debian's Chromium for the browser tests: where it is and how to start it on this closed network."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
# Headless, no background connections (the machine reaches no network), a fresh profile per launch.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium() -> None:
    """Skip, saying why, where Debian's Chromium is not installed (a browser is never downloaded)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium)")
