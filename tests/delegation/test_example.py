"""The example config runs offline with its script and leaves the file the worker wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.delegation.conftest import ROOT, ROOT_SCOPE
from wasmind_nb import Wasmind

pytestmark = pytest.mark.anyio


async def test_example_runs_offline(tmp_path: Path) -> None:
    example = ROOT / "examples" / "delegation_network.toml"
    async with Wasmind(example, progress=False, working_dir=tmp_path) as mind:
        await mind.send_user_message(ROOT_SCOPE, "Write a NOTES.md for this project.")
        await mind.wait_idle()
        assert mind.llm is not None and mind.llm.server is not None
        mind.llm.server.check()
        assert mind.faults == []
        assert (tmp_path / "NOTES.md").read_text() == "# Notes\n\nA Wasmind delegation demo.\n"
        lead, writer = mind.scope_of("Docs lead"), mind.scope_of("Notes writer")
        assert set(mind.graph.edges) == {(ROOT_SCOPE, lead), (lead, writer)}
        assert mind.agents[lead].state == mind.agents[writer].state == "exited"
        # the plan the main manager made is in its later prompts
        bodies = [r.json for r in mind.llm.server.requests if r.agent == "marker:You are the Main Manager"]
        assert (
            "Your plan: Project notes\n1. [ ] Write NOTES.md (pending)" in bodies[1]["messages"][0]["content"]
        )
        final = [m.json() for m in mind.messages if m.message_type.endswith("assistant.Response")][-1]
        assert (
            final["message"]["content"] == "NOTES.md is written: it describes this folder as a Wasmind demo."
        )
