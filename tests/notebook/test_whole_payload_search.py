"""Search in Python (``filter_text``, ``%wasmind timeline --search``) covers whole payloads, not the view's
2,048-byte previews; the front end searches the previews it has."""
# ruff: noqa: F811 (the shell and project fixtures come from test_magics)

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from tests.notebook.test_magics import ok, project, shell  # noqa: F401 (fixtures)
from tests.notebook.test_widget import ROOT, FakeMind, make_view, spawned
from wasmind_nb.notebook.filters import MessageFilter

PADDING = "x" * 5000


def test_filter_text_finds_text_past_the_preview() -> None:
    mind = FakeMind()
    view, _loop, _ = make_view(mind)
    mind.emit(spawned("aaaaaa", "coder"))
    mind.say("custom.Long", {"head": "start", "tail": PADDING + "NEEDLE at the end"}, ROOT)
    mind.say("custom.Short", {"text": "no match here"}, ROOT)
    view.flush()
    (long_row, _short_row) = view.messages
    assert "needle" not in long_row[6].lower()  # the preview the front end has stops before it
    view.filter(text="needle")
    assert [m.type for m in view.filtered_messages()] == ["custom.Long"]
    # the same filter over previews only (the front end's) finds nothing
    assert not MessageFilter(text="needle").matches(long_row)
    view.filter(text="no match")
    assert [m.type for m in view.filtered_messages()] == ["custom.Short"]


def test_a_message_the_source_no_longer_has_is_searched_in_its_preview() -> None:
    mind = FakeMind()
    view, _loop, _ = make_view(mind)
    mind.say("custom.Note", {"text": "findable"}, ROOT)
    mind.messages.clear()  # e.g. a view that outlived its source's history
    view.filter(text="FINDABLE")
    assert [m.type for m in view.filtered_messages()] == ["custom.Note"]


def test_timeline_search_covers_whole_payloads(
    shell: InteractiveShell, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok(shell, "%wasmind start wasmind.toml", capsys)
    ok(shell, "%wasmind wait", capsys)
    ok(shell, f"await mind.broadcast('custom.Long', {{'pad': '{PADDING}', 'tail': 'NEEDLE'}})", capsys)
    outputs = []
    shell.display_pub.publish = lambda data, **kw: outputs.append(data)  # type: ignore[method-assign]
    try:
        shell.run_cell("%wasmind timeline --search needle", store_history=False)
    finally:
        del shell.display_pub.publish
    (data,) = outputs
    assert data["text/plain"].splitlines()[0].startswith("Wasmind timeline: 1 of ")
    assert "custom.Long" in data["text/plain"]
