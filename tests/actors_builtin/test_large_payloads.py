"""An agent whose model writes megabytes: a 3 MB tool argument reaches file_interaction, a 10 MB reply
reaches the user (both killed their actor when data crossed as one engine value)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.actors_builtin.conftest import assistant_settings, make_config, messages_of, say
from wasmind_nb import Wasmind
from wasmind_nb.llm import Reply, ToolCallSpec
from wasmind_sdk.messages import Ok, Response, ToolCallDone, ToolCallStatusUpdate

pytestmark = pytest.mark.anyio


async def test_a_3_mb_tool_argument_and_a_10_mb_reply_go_through(tmp_path: Path) -> None:
    content = "".join(f"line {n}: {'x' * 60}\n" for n in range(45_000))  # ~3.1 MB
    reply = "r" * 10_000_000
    script = [
        Reply(
            tool_calls=[
                ToolCallSpec(
                    "edit_file",
                    {"path": "big.txt", "edits": [{"old_string": "", "new_string": content}]},
                    id="w",
                )
            ]
        ),
        Reply(reply),
    ]
    work = {"fs": [{"host": str(tmp_path), "guest": "/work", "read_only": False}]}
    config = make_config(
        {"assistant": {"config": assistant_settings()}, "file_interaction": {"capabilities": work}}
    )
    async with Wasmind(config, progress=False, llm=script, working_dir=tmp_path) as mind:
        await say(mind, "Write big.txt, then answer at length.")
        assert mind.faults == []
        done = [
            u.status for u in messages_of(mind, ToolCallStatusUpdate) if isinstance(u.status, ToolCallDone)
        ]
        assert [type(d.result) for d in done] == [Ok]
        final = messages_of(mind, Response)[-1].message
        assert final.content == reply
    assert (tmp_path / "big.txt").read_text() == content
