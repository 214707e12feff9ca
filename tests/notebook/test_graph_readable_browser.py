"""The graph stays readable in headless Chromium (issue 12, item 6): a legend, final colours after exit,
a layout of 231 agents in families, and a selection drawn around the name, not over it.

Uses the plain harness page of ``test_widget_browser``; screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.notebook.chromium import ARTIFACTS
from tests.notebook.test_widget_browser import Loop, Mind, browser, page, page_url, synced  # noqa: F401
from wasmind_nb.notebook.widget import AgentView
from wasmind_nb.runtime.events import AgentEvent

pytestmark = pytest.mark.browser

STATUS = "wasmind.common.assistant.StatusUpdate"
DONE = {"status": {"Done": {"result": {"Ok": {"success": True, "summary": "ok"}}}}}
ERROR = {"status": {"Done": {"result": {"Err": "boom"}}}}


def families(view: AgentView, mind: Mind) -> list[str]:
    """A root with 20 leads of 9 workers each, and 30 workers of its own: 231 agents."""
    scopes = ["000000"]
    batch: list[Any] = [AgentEvent("spawned", "000000", "root", None, ("assistant",))]
    for lead in range(20):
        scope = f"l{lead:05d}"
        scopes.append(scope)
        batch.append(AgentEvent("spawned", scope, f"lead{lead}", "000000", ("assistant",)))
        for w in range(9):
            scopes.append(f"w{lead:02d}{w:03d}")
            batch.append(AgentEvent("spawned", scopes[-1], f"worker{lead}.{w}", scope, ("assistant",)))
    for w in range(30):
        scopes.append(f"r{w:05d}")
        batch.append(AgentEvent("spawned", scopes[-1], f"helper{w}", "000000", ("assistant",)))
    mind.callback(batch)
    view.flush()
    return scopes


def steady_point(pg: Any, scope: str) -> dict[str, float]:
    """A node's client point once it is the same in two animation frames (no fit or layout to come)."""
    return pg.wait_for_function(
        """s => {
            const p = view.wasmind.clientPoint(s);
            const last = (window.wmLast ??= {})[s];
            window.wmLast[s] = p;
            return p && last && last.x === p.x && last.y === p.y && p;
        }""",
        arg=scope,
        polling="raf",
    ).json_value()


def pixel(pg: Any, scope: str) -> list[int]:
    """The RGB of the graph canvas at a node's centre."""
    return pg.evaluate(
        """s => {
            const g = view.wasmind.graph;
            const p = g.clientPoint(s);
            const r = g.canvas.getBoundingClientRect();
            const dpr = g.size.dpr;
            const at = (v) => Math.round(v * dpr);
            const d = g.ctx.getImageData(at(p.x - r.left), at(p.y - r.top), 1, 1);
            return [d.data[0], d.data[1], d.data[2]];
        }""",
        scope,
    )


def test_legend_final_colours_and_selection_around_the_name(page: Any) -> None:  # noqa: F811
    mind = Mind()
    view = AgentView(mind, loop=Loop())
    scopes = families(view, mind)
    done, failed_status, exited_plain, failed = "w00000", "w00001", "w00002", "w00003"
    mind.say(STATUS, DONE, done)
    mind.say(STATUS, ERROR, failed_status)
    mind.say(STATUS, DONE, "l00001")  # a live agent that is done
    mind.callback(
        [
            AgentEvent("exited", done, "worker0.0", "l00000", ("assistant",)),
            AgentEvent("exited", failed_status, "worker0.1", "l00000", ("assistant",)),
            AgentEvent("exited", exited_plain, "worker0.2", "l00000", ("assistant",)),
            AgentEvent("failed", failed, "worker0.3", "l00000", ("assistant",), error="trap"),
        ]
    )
    view.flush()
    page.set_viewport_size({"width": 1300, "height": 900})
    page.evaluate("state => mount({...state, height: 760})", synced(view))
    assert page.evaluate("view.wasmind.stats().agents") == len(scopes) == 231

    # The legend names every colour.
    legend = page.locator(".wm-legend")
    assert legend.get_attribute("open") is not None
    items = legend.locator(".wm-legend-item").all_inner_texts()
    for word in ("processing", "waiting", "done", "error", "failed", "exited: its last status, paler"):
        assert word in items, items
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "graph_231_families.png"), full_page=True)

    # Zoomed in on the first family: exited agents keep their last status, paler; failed stays dark red.
    steady_point(page, "l00001")
    assert pixel(page, "l00001") == [39, 174, 96]  # live and done: the status colour itself
    point = steady_point(page, "w00001")
    page.mouse.move(point["x"], point["y"])
    while page.evaluate("view.wasmind.graph.view.scale") < 1:
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(30)
    steady_point(page, done)
    assert pixel(page, done) == [158, 219, 183]  # pale green (done, exited)
    assert pixel(page, failed_status) == [237, 171, 171]  # pale red (error, exited)
    assert pixel(page, exited_plain) == [196, 201, 208]  # grey: exited without a status
    assert pixel(page, failed) == [142, 31, 31]  # failed

    # Selecting a node draws a box around the node and its name: the name is never drawn over.
    point = steady_point(page, failed_status)
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function("s => view.wasmind.stats().selectedScope === s", arg=failed_status)
    page.wait_for_function("view.wasmind.graph.selectionBox !== null")
    box, label = page.evaluate(
        """s => {
            const g = view.wasmind.graph;
            return [g.selectionBox, g.labelBox(g.store.index.get(s), g.view.scale)];
        }""",
        failed_status,
    )
    assert box["left"] < label["left"] and box["right"] > label["right"], (box, label)
    assert box["top"] < label["top"] and box["bottom"] > label["bottom"], (box, label)
    page.screenshot(path=str(ARTIFACTS / "graph_selection_and_colours.png"), full_page=True)
