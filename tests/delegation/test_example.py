"""The example config runs offline with its script and leaves the file the worker wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.delegation.conftest import ROOT, ROOT_SCOPE, tool_results
from wasmind_nb import Wasmind
from wasmind_nb.config import Config
from wasmind_nb.llm import EmbeddedLLM, load_script

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
        reviewer = mind.scope_of("plan_reviewer")
        assert set(mind.graph.edges) == {(ROOT_SCOPE, reviewer), (ROOT_SCOPE, lead), (lead, writer)}
        assert mind.agents[lead].state == mind.agents[writer].state == mind.agents[reviewer].state == "exited"
        # the reviewer's feedback reached the main manager before it delegated
        review = next(r for r in tool_results(mind, ROOT_SCOPE) if r[0] == "request_plan_review")
        assert review[1] == "Ok" and "Have the worker show the file after writing it." in review[2]
        # the plan the main manager made is in its later prompts
        bodies = [r.json for r in mind.llm.server.requests if r.agent == "marker:You are the Main Manager"]
        assert all(
            "Your plan: Project notes\n1. [ ] Write NOTES.md (pending)" in body["messages"][0]["content"]
            for body in bodies[1:]
        )
        final = [m.json() for m in mind.messages if m.message_type.endswith("assistant.Response")][-1]
        assert (
            final["message"]["content"] == "NOTES.md is written: it describes this folder as a Wasmind demo."
        )


async def test_the_same_example_runs_against_an_endpoint_by_changing_only_llm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The example pointed at an OpenAI-compatible endpoint (here a server of our own on loopback, as a
    real one would be reached): only its [llm] table changes, and the key never reaches an actor."""
    examples = ROOT / "examples"
    text = (examples / "delegation_network.toml").read_text()
    monkeypatch.setenv("WASMIND_TEST_KEY", "sk-test-not-secret")
    with EmbeddedLLM(load_script(examples / "delegation_network_script.toml")) as endpoint:
        llm = (
            f'[llm]\nbase_url = "{endpoint.base_url}"\n'
            'api_key_env = "WASMIND_TEST_KEY"\nmodels = ["gpt-4o-mini"]\n'
        )
        config = Config.from_toml(text[: text.index("\n[llm]\n") + 1] + llm, base_dir=examples)
        async with Wasmind(config, progress=False, working_dir=tmp_path) as mind:
            await mind.send_user_message(ROOT_SCOPE, "Write a NOTES.md for this project.")
            await mind.wait_idle()
            assert mind.llm is not None and mind.llm.mode == "remote" and mind.llm.server is None
            assert mind.faults == []
        endpoint.check()
        requests = endpoint.requests
    assert (tmp_path / "NOTES.md").read_text() == "# Notes\n\nA Wasmind delegation demo.\n"
    assert requests and all(dict(r.headers).get("Authorization") == "<redacted>" for r in requests)
    assert not [m for m in mind.messages if b"sk-test-not-secret" in bytes(m.payload)]
