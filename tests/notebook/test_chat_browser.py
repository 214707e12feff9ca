"""Talk to an agent from the view's chat pane, in JupyterLab (real server, kernel, Chromium).

The notebook runs an assistant and ``file_interaction`` (``edit_file`` needs approval) on a scripted model
and shows ``%wasmind graph``. The test clicks the root agent in the graph, which opens its conversation;
types a question into the chat box (Enter sends it), sees the scripted reply and its ``read_file`` call,
expands the call to read its result; then asks for an edit, whose call stays pending (held for approval),
and presses Interrupt: the call is closed as interrupted and the pane says so. Screenshots go to
``test-artifacts/chat_*.png``.
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
    click_agent,
    open_notebook,
    playwright_api,
    run_all_cells,
    serve_lab,
)

pytestmark = pytest.mark.browser

NOTEBOOK = "chat.ipynb"
ACTORS = Path(__file__).parents[2] / "actors"
CHAT = ".wasmind-agent-view .wm-chat"
REPLIES = """
from wasmind_nb.llm import Reply, ToolCallSpec

script = [
    Reply("Let me look.", tool_calls=[ToolCallSpec("read_file", {"path": "greeting.py"}, id="c1")]),
    "It prints hi.",
    Reply(tool_calls=[
        ToolCallSpec("edit_file", {"path": "greeting.py", "edits": [
            {"old_string": "hi", "new_string": "bonjour"}]}, id="c2"),
    ]),
]
"""


def make_notebook(folder: Path) -> None:
    (folder / "replies.py").write_text(REPLIES)
    (folder / "greeting.py").write_text("print('hi')\n")
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
    cells = ["%load_ext wasmind_nb", config, "%wasmind graph"]
    nb = new_notebook(cells=[new_code_cell(source) for source in cells])
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "wasmind e2e", "language": "python"}
    nbformat.write(nb, folder / NOTEBOOK)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with serve_lab(tmp_path, make_notebook) as server:
        yield server


@pytest.mark.timeout(600)
def test_chat_with_an_agent_and_interrupt_it(lab: Lab, chromium: Any) -> None:  # noqa: F811
    sync_api = playwright_api()
    page = chromium.pages[0] if chromium.pages else chromium.new_page()
    page.set_default_timeout(UI_S * 1000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        open_notebook(page, lab, NOTEBOOK)
        run_all_cells(page)
        view = page.locator(".wasmind-agent-view .wm-root").first
        view.wait_for(timeout=300_000)
        view.scroll_into_view_if_needed()

        # Selecting the agent opens its conversation, ready for input.
        click_agent(page, "000000")
        chat = page.locator(CHAT)
        page.wait_for_function(
            "() => { const c = document.querySelector('.wasmind-agent-view .wm-chat');"
            " return c && !c.hidden && c.dataset.scope === '000000' && c.dataset.available === 'true'; }"
        )
        assert chat.locator(".wm-chat-head").inner_text().startswith("root (000000)")
        box = chat.locator("textarea.wm-chat-text")
        box.fill("What does greeting.py do?")
        box.press("Enter")
        reply = chat.locator(".wm-msg-assistant", has_text="It prints hi.")
        reply.wait_for()
        interrupt = chat.locator("button.wm-chat-interrupt")
        sync_api.expect(interrupt).to_be_disabled()  # waiting for input: nothing to interrupt
        assert box.input_value() == ""
        assert chat.locator(".wm-msg-user .wm-msg-text").first.inner_text() == "What does greeting.py do?"
        assert chat.locator(".wm-msg-user .wm-msg-head").first.inner_text() == "you"
        # The timeline reads the same messages as one line each (issue 12, item 6).
        rows = page.locator(".wasmind-agent-view .wm-tl-rows .wm-row:not([hidden]) > span:nth-child(5)")
        rows.filter(has_text='reply "It prints hi."').first.wait_for()  # in view: the newest rows
        hook = "document.querySelector('.wasmind-agent-view').wasmind"
        summaries = page.evaluate(f"() => {hook}.timeline.store.messages.map(m => m[9])")
        assert 'user -> root: "What does greeting.py do?"' in summaries
        assert "tool ok: read_file greeting.py (lines 1-1 of 1)" in summaries

        # The tool call is collapsed, with its one-line form; expanding it shows the arguments and result.
        call = chat.locator("details.wm-call[data-call=c1]")
        page.wait_for_function(
            "() => document.querySelector('.wasmind-agent-view details.wm-call[data-call=c1]')"
            "?.dataset.status === 'ok'"
        )
        assert call.get_attribute("open") is None
        assert call.locator("summary").inner_text().startswith("read_file(path=greeting.py) · ok")
        assert not call.locator(".wm-call-result").is_visible()
        call.locator("summary").click()
        assert call.locator(".wm-call-result").is_visible()
        assert "print('hi')" in call.locator(".wm-call-result").inner_text()
        assert '"path": "greeting.py"' in call.locator(".wm-call-args").inner_text()
        page.screenshot(path=str(ARTIFACTS / "chat_reply.png"), full_page=True)

        # An edit held for approval keeps the agent at work; Interrupt ends the turn.
        box.fill("Make it greet in French")
        chat.locator("button.wm-chat-send").click()
        held = chat.locator("details.wm-call[data-call=c2]")
        held.wait_for()
        assert held.get_attribute("data-status") == "pending"
        assert "running…" in held.locator("summary").inner_text()
        page.screenshot(path=str(ARTIFACTS / "chat_pending.png"), full_page=True)
        sync_api.expect(interrupt).to_be_enabled()  # waiting for its (held) tool call
        interrupt.click()
        page.wait_for_function(
            "() => document.querySelector('.wasmind-agent-view details.wm-call[data-call=c2]')"
            "?.dataset.status === 'error'"
        )
        chat.locator(".wm-msg-notice", has_text="interrupt requested").wait_for()
        sync_api.expect(interrupt).to_be_disabled()
        held.locator("summary").click()
        assert "interrupted" in held.locator(".wm-call-result").inner_text().lower()
        assert call.get_attribute("open") is not None  # expanded calls stay expanded while the pane updates
        page.screenshot(path=str(ARTIFACTS / "chat_interrupted.png"), full_page=True)
        assert (lab.root / "greeting.py").read_text() == "print('hi')\n"
    except BaseException:
        page.screenshot(path=str(ARTIFACTS / "chat_failure.png"), full_page=True)
        print(lab.tail())
        raise
    assert errors == [], errors
