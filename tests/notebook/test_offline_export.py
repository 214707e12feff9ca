"""Offline HTML export: ``jupyter nbconvert --to html --execute`` with widget state left out shows the
AgentView's static snapshot (agent tree and timeline) and names no widget script to fetch; the page
opened in Chromium with the network blocked shows it and asks for nothing widget-related.

Without ``--ExecutePreprocessor.store_widget_state=False`` nbconvert keeps the widget state and picks
the widget view, whose renderer it loads from a CDN (docs/notebook.md, "Exporting to HTML").
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tests.notebook.chromium import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, require_chromium
from wasmind_nb.paths import cache_dir

ECHO = Path(__file__).parents[1] / "actors" / "echo"
WIDGET_URLS = ("unpkg.com", "html-manager", "@jupyter-widgets", "jupyter-js-widgets", "anywidget")
NO_WIDGET_STATE = "--ExecutePreprocessor.store_widget_state=False"


def export(folder: Path, *options: str) -> str:
    """Write a small notebook (an echo actor answers a Ping, then %wasmind graph), export it executed."""
    cells = [
        "%load_ext wasmind_nb",
        f'%%wasmind config\nstarting_actors = ["echo"]\n[actors.echo]\nsource = {{ path = "{ECHO}" }}',
        "await mind.broadcast('demo.Ping', {'n': 1})\n%wasmind wait",
        "%wasmind graph",
        "%wasmind stop",
    ]
    nb = new_notebook(cells=[new_code_cell(source) for source in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "run.ipynb")
    env = {**os.environ, "WASMIND_NB_CACHE": str(cache_dir())}
    command = [sys.executable, "-m", "nbconvert", "--to", "html", "--execute", *options, "run.ipynb"]
    subprocess.run(command, cwd=folder, env=env, check=True, capture_output=True, timeout=300)
    return (folder / "run.html").read_text()


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    export(folder, NO_WIDGET_STATE)
    return folder / "run.html"


def test_the_export_shows_the_snapshot_and_names_no_widget_script(exported: Path) -> None:
    html = exported.read_text()
    assert html.count('class="wasmind-agent-view-snapshot"') == 1
    for expected in ("AgentView: 1 agent, 7 messages", "root", "[echo]", "demo.Ping", "demo.Pong"):
        assert expected in html, expected
    assert "application/vnd.jupyter.widget-state+json" not in html
    assert not [url for url in WIDGET_URLS if url in html]


@pytest.fixture
def page() -> Iterator[Any]:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        finally:
            browser.close()


@pytest.mark.browser
def test_the_exported_page_shows_the_snapshot_with_the_network_blocked(exported: Path, page: Any) -> None:
    asked: list[str] = []

    def block(route: Any) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            asked.append(route.request.url)
            route.abort()

    page.route("**/*", block)
    page.goto(exported.as_uri())
    snapshot = page.locator(".wasmind-agent-view-snapshot")
    snapshot.wait_for()
    text = snapshot.inner_text()
    assert "AgentView: 1 agent, 7 messages" in text and "demo.Pong" in text, text
    assert snapshot.bounding_box()["height"] > 50  # laid out, not an empty cell
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "offline_export.png"), full_page=True)
    # nbconvert's own template asks for MathJax, require.js and mermaid; nothing is for the widget
    assert not [url for url in asked if any(part in url for part in WIDGET_URLS)], asked
