"""Approve and reject held tool calls with the view's buttons, in JupyterLab (real server, kernel, Chromium).

The notebook runs an assistant and ``file_interaction`` with ``approval = ["edit_file"]`` on a scripted
model that asks for two edits at once, and shows ``%wasmind graph``. The test checks the panel lists
both calls with their edits as diffs, approves one and rejects the other with a typed reason, then checks
the files on disk (one written, one not) and that the reason reached the bus as the tool's result.
Screenshots go to ``test-artifacts/approvals_*.png``.
"""

from __future__ import annotations

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
    wait_until,
)

pytestmark = pytest.mark.browser

NOTEBOOK = "approvals.ipynb"
ACTORS = Path(__file__).parents[2] / "actors"
PANEL = ".wasmind-agent-view .wm-approvals"
REASON = "Only one file, please"
REPLIES = """
from wasmind_nb.llm import Reply, ToolCallSpec


def create(path, text):
    return {"path": path, "edits": [{"old_string": "", "new_string": text}]}


script = [
    Reply(
        tool_calls=[
            ToolCallSpec("edit_file", create("kept.txt", "kept\\n"), id="c1"),
            ToolCallSpec("edit_file", create("refused.txt", "refused\\n"), id="c2"),
        ]
    ),
    "Wrote kept.txt.",
]
"""


def make_notebook(folder: Path) -> None:
    (folder / "replies.py").write_text(REPLIES)
    config = f"""%%wasmind config --workdir {folder}
starting_actors = ["assistant", "file_interaction"]
[llm]
script = "{folder / "replies.py"}"
[actors.assistant]
source = {{ path = "{ACTORS / "assistant"}" }}
config = {{ model_name = "test-model", system_context = false, max_tokens = 0 }}
[actors.file_interaction]
source = {{ path = "{ACTORS / "file_interaction"}" }}
approval = ["edit_file"]"""
    cells = [
        "%load_ext wasmind_nb",
        config,
        "%wasmind graph",
        "await mind.send_user_message('000000', 'Write two files')",
    ]
    nb = new_notebook(cells=[new_code_cell(source) for source in cells])
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "wasmind e2e", "language": "python"}
    nbformat.write(nb, folder / NOTEBOOK)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with serve_lab(tmp_path, make_notebook) as server:
        yield server


def wait_count(page: Any, count: int) -> None:
    page.wait_for_function(
        """(count) => {
            const p = document.querySelector('.wasmind-agent-view .wm-approvals');
            return p && p.dataset.count === String(count) && p.hidden === (count === 0);
        }""",
        arg=count,
    )


@pytest.mark.timeout(600)
def test_approve_and_reject_with_the_buttons(lab: Lab, chromium: Any) -> None:  # noqa: F811
    page = chromium.pages[0] if chromium.pages else chromium.new_page()
    page.set_default_timeout(UI_S * 1000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        open_notebook(page, lab, NOTEBOOK)
        run_all_cells(page)
        page.locator(".wasmind-agent-view .wm-root").first.wait_for(timeout=300_000)
        wait_count(page, 2)
        panel = page.locator(PANEL)
        panel.scroll_into_view_if_needed()
        assert panel.locator(".wm-approvals-head").inner_text() == "2 tool call(s) wait for approval"
        kept, refused = panel.locator("[data-approval=a1]"), panel.locator("[data-approval=a2]")
        assert kept.locator(".wm-approval-title").inner_text() == (
            "a1 edit_file · root (000000) · file_interaction"
        )
        # each edit is shown as a diff, the added line marked
        assert kept.locator(".wm-approval-diff .wm-diff-file").first.inner_text().strip() == "--- a/kept.txt"
        assert refused.locator(".wm-approval-diff .wm-diff-add").inner_text().strip() == "+refused"
        assert not (lab.root / "kept.txt").exists() and not (lab.root / "refused.txt").exists()
        page.screenshot(path=str(ARTIFACTS / "approvals_pending.png"), full_page=True)

        kept.locator("button.wm-approve").click()
        wait_count(page, 1)
        wait_until(lambda: (lab.root / "kept.txt").exists(), UI_S, "the approved edit did not run")
        refused.locator(".wm-approval-reason").fill(REASON)
        page.screenshot(path=str(ARTIFACTS / "approvals_rejecting.png"), full_page=True)
        refused.locator("button.wm-reject").click()
        wait_count(page, 0)

        # The reason reached the bus as the tool's error result: search the payloads for it.
        search = page.locator(".wasmind-agent-view input[data-filter=text]")
        search.fill(REASON)
        page.wait_for_function(
            """() => {
                const sel = '.wasmind-agent-view .wm-tl-rows .wm-row:not([hidden])';
                const rows = [...document.querySelectorAll(sel)];
                return rows.some(r => r.children[3].title === 'wasmind.common.tools.ToolCallStatusUpdate');
            }"""
        )
        page.screenshot(path=str(ARTIFACTS / "approvals_decided.png"), full_page=True)
        assert (lab.root / "kept.txt").read_text() == "kept\n"
        assert not (lab.root / "refused.txt").exists()
    except BaseException:
        page.screenshot(path=str(ARTIFACTS / "approvals_failure.png"), full_page=True)
        print(lab.tail())
        raise
    assert errors == [], errors
