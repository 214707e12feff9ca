"""A notebook read without its kernel: exported to HTML, or reopened in JupyterLab.

At ``%wasmind stop`` every widget output of wasmind-nb becomes plain output (notebook/freezing.py): the
view's final snapshot (agent tree and timeline) as HTML. So ``jupyter nbconvert --to html --execute``
shows the snapshot, with or without the widget state saved, in Chromium with the network blocked; with
``--ExecutePreprocessor.store_widget_state=False`` the page names no widget script at all (with the state
saved, nbconvert's template adds its own widget loader, which no output of ours needs). A notebook
executed and saved, then opened in JupyterLab, shows the snapshot and no "model not found" error.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tests.notebook.chromium import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.notebook.test_jupyterlab_e2e import (
    UI_S,
    Lab,
    chromium,  # noqa: F401 (fixture)
    open_notebook,
    serve_lab,
)
from wasmind_nb.paths import cache_dir

ECHO = Path(__file__).parents[1] / "actors" / "echo"
WIDGET_URLS = ("unpkg.com", "html-manager", "@jupyter-widgets", "jupyter-js-widgets", "anywidget")
NO_WIDGET_STATE = "--ExecutePreprocessor.store_widget_state=False"
WIDGET_VIEW_SCRIPT = '<script type="application/vnd.jupyter.widget-view+json">'
FINAL = re.compile(r"AgentView: 1 agent, (\d+) messages")


def write_notebook(folder: Path) -> None:
    """A small notebook: an echo actor answers a Ping, %wasmind graph, another Ping, %wasmind stop."""
    cells = [
        "%load_ext wasmind_nb",
        f'%%wasmind config\nstarting_actors = ["echo"]\n[actors.echo]\nsource = {{ path = "{ECHO}" }}',
        "await mind.broadcast('demo.Ping', {'n': 1})\n%wasmind wait",
        "%wasmind graph",
        "await mind.broadcast('demo.Ping', {'n': 2})\n%wasmind wait",
        "%wasmind stop",
    ]
    nb = new_notebook(cells=[new_code_cell(source) for source in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "run.ipynb")


def nbconvert(folder: Path, *options: str) -> None:
    env = {**os.environ, "WASMIND_NB_CACHE": str(cache_dir())}
    command = [sys.executable, "-m", "nbconvert", "--execute", *options, "run.ipynb"]
    subprocess.run(command, cwd=folder, env=env, check=True, capture_output=True, timeout=300)


def export(folder: Path, *options: str) -> str:
    """The small notebook, exported executed to HTML with nbconvert ``options``."""
    write_notebook(folder)
    nbconvert(folder, "--to", "html", *options)
    return (folder / "run.html").read_text()


@pytest.fixture(scope="module", params=["without widget state", "with widget state"])
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    export(folder, *([NO_WIDGET_STATE] if request.param == "without widget state" else []))
    return folder / "run.html"


def test_the_export_shows_the_final_snapshot_and_no_widget_view(exported: Path) -> None:
    html = exported.read_text()
    assert html.count('class="wasmind-agent-view-snapshot"') == 1
    for expected in ("root", "[echo]", "demo.Ping", "demo.Pong"):
        assert expected in html, expected
    assert int(FINAL.search(html).group(1)) > 7  # the snapshot taken at the stop, past the second Ping
    assert WIDGET_VIEW_SCRIPT not in html  # no output of ours needs a widget renderer


def test_without_widget_state_the_page_names_no_widget_script(tmp_path: Path) -> None:
    html = export(tmp_path, NO_WIDGET_STATE)
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
    assert FINAL.search(text) and "demo.Pong" in text, text
    assert snapshot.bounding_box()["height"] > 50  # laid out, not an empty cell
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"offline_export_{exported.parent.name}.png"), full_page=True)
    # nbconvert's own template asks for MathJax, require.js and mermaid, and, where the widget state was
    # saved, for its widget loader (html-manager); the snapshot shows all the same
    widget_asks = [url for url in asked if any(part in url for part in WIDGET_URLS)]
    assert all("html-manager" in url for url in widget_asks), asked


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    """JupyterLab serving the small notebook, executed and saved by nbconvert (widget state included)."""

    def executed(root: Path) -> None:
        write_notebook(root)
        nbconvert(root, "--to", "notebook", "--inplace")

    with serve_lab(tmp_path, executed) as server:
        yield server


@pytest.mark.browser
@pytest.mark.timeout(600)
def test_a_saved_notebook_reopened_without_its_kernel_shows_the_snapshot(lab: Lab, chromium: Any) -> None:  # noqa: F811
    page = chromium.pages[0] if chromium.pages else chromium.new_page()
    page.set_default_timeout(UI_S * 1000)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        open_notebook(page, lab, "run.ipynb", kernel=None)  # a new kernel: no widget models
        snapshot = page.locator(".jp-OutputArea-output .wasmind-agent-view-snapshot")
        snapshot.wait_for()
        assert FINAL.search(snapshot.inner_text())
        page.wait_for_timeout(1000)  # a widget renderer would have said "model not found" by now
        page.screenshot(path=str(ARTIFACTS / "reopened_without_kernel.png"), full_page=True)
        outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
        assert not [text for text in outputs if "Error displaying widget" in text], outputs
        assert page.locator(".jp-OutputArea-output .jupyter-widgets").count() == 0
    except BaseException:
        page.screenshot(path=str(ARTIFACTS / "reopened_failure.png"), full_page=True)
        print(lab.tail())
        raise
