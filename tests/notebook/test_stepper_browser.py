"""Pause, step and resume with the view's buttons, in JupyterLab (real server, kernel and Chromium).

The notebook starts an echo actor, pauses the bus and posts a Ping, then shows ``%wasmind graph``. The
test clicks the view's buttons and checks its "paused at ..." line and what the kernel delivered (the
cells after it print the bus). Screenshots go to ``test-artifacts/stepper_*.png``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tests.notebook.chromium import ARTIFACTS
from tests.notebook.test_jupyterlab_e2e import (
    KERNEL,
    UI_S,
    Lab,
    chromium,  # noqa: F401 (fixture)
    open_notebook,
    run_all_cells,
    serve_lab,
)

pytestmark = pytest.mark.browser

NOTEBOOK = "stepper.ipynb"
ECHO = Path(__file__).parents[1] / "actors" / "echo"
STEPPER = ".wasmind-agent-view .wm-stepper"


def make_notebook(folder: Path) -> None:
    cells = [
        "%load_ext wasmind_nb",
        f'%%wasmind config\nstarting_actors = ["echo"]\n[actors.echo]\nsource = {{ path = "{ECHO}" }}',
        "%wasmind wait\n%wasmind pause\nping = await mind.broadcast('demo.Ping', {'n': 1})",
        "%wasmind graph",
    ]
    nb = new_notebook(cells=[new_code_cell(source) for source in cells])
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "wasmind e2e", "language": "python"}
    nbformat.write(nb, folder / NOTEBOOK)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with serve_lab(tmp_path, make_notebook) as server:
        yield server


def bus_line(page: Any) -> str:
    return page.locator(f"{STEPPER} .wm-bus").inner_text()


def held_rows(page: Any, types: list[str]) -> None:
    """Wait until the timeline marks exactly the rows of ``types`` as held (in order)."""
    page.wait_for_function(
        """(types) => {
            const sel = '.wasmind-agent-view .wm-tl-rows .wm-row:not([hidden])';
            const rows = [...document.querySelectorAll(sel)];
            const held = rows.filter(r => r.classList.contains('wm-held')).map(r => r.children[3].title);
            return JSON.stringify(held) === JSON.stringify(types);
        }""",
        arg=types,
    )


def wait_bus(page: Any, paused: bool, held: int) -> None:
    page.wait_for_function(
        """([paused, held]) => {
            const s = document.querySelector('.wasmind-agent-view .wm-stepper');
            return s && !s.hidden && s.dataset.paused === String(paused) && s.dataset.held === String(held);
        }""",
        arg=[paused, held],
    )


@pytest.mark.timeout(600)
def test_pause_step_and_resume_with_the_buttons(lab: Lab, chromium: Any) -> None:  # noqa: F811
    page = chromium.pages[0] if chromium.pages else chromium.new_page()
    page.set_default_timeout(UI_S * 1000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        open_notebook(page, lab, NOTEBOOK)
        run_all_cells(page)
        page.locator(STEPPER).wait_for(timeout=300_000)
        view = page.locator(".wasmind-agent-view .wm-root").first
        view.scroll_into_view_if_needed()

        # Paused with the Ping held: the line names it; pause is disabled, step and resume are not.
        wait_bus(page, paused=True, held=1)
        assert re.fullmatch(
            r"paused at #\d+ demo\.Ping from wasmind__context in 000000 · 1 held · paused", bus_line(page)
        ), bus_line(page)
        buttons = {b: page.locator(f"{STEPPER} button[data-bus={b}]") for b in ("pause", "step", "resume")}
        assert buttons["pause"].is_disabled() and buttons["step"].is_enabled()
        held_rows(page, ["demo.Ping"])  # logged in its place, marked as not yet delivered
        page.screenshot(path=str(ARTIFACTS / "stepper_paused.png"), full_page=True)

        # One step delivers the Ping: the echo's Pong is logged and held next.
        buttons["step"].click()
        page.wait_for_function(
            "() => /demo\\.Pong from echo/.test(document.querySelector("
            "'.wasmind-agent-view .wm-stepper .wm-bus').textContent)"
        )
        wait_bus(page, paused=True, held=1)
        held_rows(page, ["demo.Pong"])  # the Ping was delivered
        page.screenshot(path=str(ARTIFACTS / "stepper_stepped.png"), full_page=True)
        buttons["step"].click()
        wait_bus(page, paused=True, held=0)
        held_rows(page, [])
        assert bus_line(page) == "paused (paused) · nothing held"

        buttons["resume"].click()
        wait_bus(page, paused=False, held=0)
        assert bus_line(page) == "running" and buttons["pause"].is_enabled() and buttons["step"].is_disabled()
        # The timeline shows both messages, the Pong after the Ping.
        page.wait_for_function(
            """() => {
                const selector = '.wasmind-agent-view .wm-tl-rows .wm-row:not([hidden])';
                const rows = [...document.querySelectorAll(selector)];
                const types = rows.map(r => r.children[3].title);
                return types.includes('demo.Ping') && types.indexOf('demo.Pong') > types.indexOf('demo.Ping');
            }"""
        )
        buttons["pause"].click()
        wait_bus(page, paused=True, held=0)
        page.screenshot(path=str(ARTIFACTS / "stepper_resumed_and_paused.png"), full_page=True)
    except BaseException:
        page.screenshot(path=str(ARTIFACTS / "stepper_failure.png"), full_page=True)
        print(lab.tail())
        raise
    assert errors == [], errors
