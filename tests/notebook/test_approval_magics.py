"""``%wasmind approvals``, ``approve ID`` and ``reject ID REASON`` in an in-process IPython shell."""
# ruff: noqa: F811 (the shell and project fixtures come from test_magics)

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from tests.notebook.test_magics import error_of, ok, project, run, shell  # noqa: F401 (fixtures)
from wasmind_nb.errors import ApprovalError, ApprovalPending

ROOT = Path(__file__).resolve().parents[2]
CONFIG = f"""
starting_actors = ["assistant", "file_interaction"]
[llm]
script = "replies.py"
[actors.assistant]
source = {{ path = "{ROOT / "actors" / "assistant"}" }}
config = {{ model_name = "test-model", system_context = false, max_tokens = 0 }}
[actors.file_interaction]
source = {{ path = "{ROOT / "actors" / "file_interaction"}" }}
approval = ["edit_file"]
"""
REPLIES = """
from wasmind_nb.llm import Reply, ToolCallSpec

CREATE = {"path": "notes.txt", "edits": [{"old_string": "", "new_string": "hi\\n"}]}
script = [
    Reply(tool_calls=[ToolCallSpec("edit_file", CREATE, id="c1")]),
    "Written.",
    Reply(tool_calls=[ToolCallSpec("edit_file", CREATE, id="c2")]),
    "Understood.",
]
"""


@pytest.fixture
def hitl(project: Path) -> Path:
    (project / "hitl.toml").write_text(CONFIG)
    (project / "replies.py").write_text(REPLIES)
    return project


def test_list_approve_and_reject_with_a_reason_verbatim(
    shell: InteractiveShell, hitl: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok(shell, "%wasmind start hitl.toml", capsys)
    assert ok(shell, "%wasmind approvals", capsys) == "no tool call waits for approval\n"
    ok(shell, "%wasmind send root Write notes.txt", capsys)
    error = error_of(run(shell, "%wasmind wait"))
    assert isinstance(error, ApprovalPending) and "%wasmind approve a1" in str(error)
    listed = ok(shell, "%wasmind approvals", capsys)
    assert listed.startswith("a1 edit_file(path='notes.txt', edits=[") and listed.endswith(
        "for root (000000)\n"
    )
    assert not (hitl / "notes.txt").exists()

    assert ok(shell, "%wasmind approve a1", capsys).startswith("approved a1 edit_file(")
    ok(shell, "%wasmind wait", capsys)
    assert (hitl / "notes.txt").read_text() == "hi\n"

    (hitl / "notes.txt").unlink()
    ok(shell, "%wasmind send root Again", capsys)
    assert isinstance(error_of(run(shell, "%wasmind wait")), ApprovalPending)
    out = ok(shell, "%wasmind reject a2 Why write it twice?", capsys)
    assert out.endswith(": Why write it twice?\n")
    ok(shell, "%wasmind wait", capsys)
    assert not (hitl / "notes.txt").exists()
    tool_results = [
        m for m in shell.user_ns["mind"].llm.server.requests[-1].json["messages"] if m["role"] == "tool"
    ]
    assert tool_results[-1]["content"].endswith("Why write it twice?")


def test_errors(shell: InteractiveShell, hitl: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok(shell, "%wasmind start hitl.toml", capsys)
    error = error_of(run(shell, "%wasmind approve a7"))
    assert isinstance(error, ApprovalError) and "no approval with id 'a7' (waiting: none)" in str(error)
    assert "say why" in str(error_of(run(shell, "%wasmind reject a1")))
    assert isinstance(error_of(run(shell, "%wasmind approve")), UsageError)
    assert isinstance(error_of(run(shell, "%wasmind reject")), UsageError)
    assert isinstance(error_of(run(shell, "%wasmind approvals a1")), UsageError)
    ok(shell, "%wasmind send root Write notes.txt", capsys)
    run(shell, "%wasmind wait")
    out = ok(shell, "%%wasmind reject a1\nNot now.\nMaybe later.\n", capsys)
    assert out.endswith(": Not now.\nMaybe later.\n")
    error = error_of(run(shell, "%wasmind reject a1 again"))
    assert isinstance(error, ApprovalError) and "already rejected (Not now." in str(error)
