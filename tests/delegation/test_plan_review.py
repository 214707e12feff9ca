"""review_plan: ``request_plan_review`` spawns reviewer agents, which answer with ``review_plan``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from tests.delegation.conftest import ROOT, ROOT_SCOPE, by_turn, tool_results
from wasmind_nb import Wasmind
from wasmind_nb.config import Config
from wasmind_nb.llm import Reply, Router, ToolCallSpec

pytestmark = pytest.mark.anyio

PLANNER = "[role:planner]"
TASK = "Add a --verbose flag to the CLI."
PLAN = "1. Parse the flag.\n2. Pass it to the logger.\n3. Test it."
REQUEST = ToolCallSpec("request_plan_review", {"task": TASK, "plan": PLAN})
RESPONSE = "review_plan.common.PlanReviewResponse"
ASSISTANT = {"model_name": "test-model", "max_attempts": 2, "base_delay_ms": 1, "system_context": False}


def config(reviewers: dict[str, list[str]], extra: dict[str, Any] | None = None) -> Config:
    data: dict[str, Any] = {
        "starting_actors": ["assistant", "request_plan_review"],
        "actors": {
            "assistant": {
                "source": {"builtin": "assistant"},
                "config": {**ASSISTANT, "system_prompt": {"defaults": {"identity": f"You plan {PLANNER}."}}},
            },
            "request_plan_review": {
                "source": {"builtin": "request_plan_review"},
                "config": {"reviewers": reviewers},
                "capabilities": {
                    "spawn": sorted({"review_plan", *(n for ns in reviewers.values() for n in ns)})
                },
            },
            "reviewer_assistant": {"source": {"builtin": "assistant"}, "config": ASSISTANT},
            **(extra or {}),
        },
    }
    return Config.from_toml(tomli_w.dumps(data), base_dir=ROOT)


def reviewer(name: str) -> str:
    """The router key of a reviewer agent: its name, as request_plan_review writes it into the prompt."""
    return f"marker:You are the plan reviewer '{name}'"


def feedback(text: str) -> Reply:
    return Reply(tool_calls=[ToolCallSpec("review_plan", {"feedback": text})])


def planner(*calls: ToolCallSpec) -> Any:
    return by_turn(Reply(tool_calls=list(calls or [REQUEST])), Reply("Plan reviewed."))


async def run(tmp_path: Path, cfg: Config, script: dict[str, Any]) -> Wasmind:
    async with Wasmind(cfg, progress=False, llm=Router(script), working_dir=tmp_path) as mind:
        await mind.send_user_message(ROOT_SCOPE, "Plan the --verbose flag.")
        await mind.wait_idle()
        assert mind.llm is not None and mind.llm.server is not None
        mind.llm.server.check()
        assert mind.faults == []
    return mind


def review_result(mind: Wasmind, index: int = 0) -> tuple[str, str]:
    name, outcome, content = tool_results(mind, ROOT_SCOPE)[index]
    assert name == "request_plan_review"
    return outcome, content


async def test_every_reviewers_feedback_comes_back_labelled_in_config_order(tmp_path: Path) -> None:
    prompts: list[str] = []

    def alice(messages: list[dict[str, Any]]) -> Reply:
        prompts.append(messages[0]["content"])
        return feedback("Test the flag's absence too.")

    script = {
        f"marker:{PLANNER}": planner(),
        reviewer("alice"): by_turn(alice),
        reviewer("bob"): [feedback("Step 2 needs the logger config first.")],
    }
    mind = await run(
        tmp_path, config({"alice": ["reviewer_assistant"], "bob": ["reviewer_assistant"]}), script
    )
    alice_scope, bob_scope = mind.scope_of("alice"), mind.scope_of("bob")
    outcome, content = review_result(mind)
    assert outcome == "Ok"
    assert content.index(f"## alice (agent {alice_scope})\nTest the flag's absence too.") < content.index(
        f"## bob (agent {bob_scope})\nStep 2 needs the logger config first."
    )
    assert "2 of 2 reviewers gave feedback" in content
    for scope in (alice_scope, bob_scope):
        assert mind.agents[scope].parent == ROOT_SCOPE and mind.agents[scope].state == "exited"
        assert tool_results(mind, scope) == [("review_plan", "Ok", "Feedback sent. Your review is done.")]
    assert TASK in prompts[0] and PLAN in prompts[0]  # the reviewer's instructions carry task and plan


async def test_a_reviewer_that_exits_without_feedback_is_reported(tmp_path: Path) -> None:
    quit_ = ToolCallSpec("complete", {"summary": "I will not review.", "success": False})
    script = {
        f"marker:{PLANNER}": planner(),
        reviewer("alice"): [feedback("Looks right.")],
        reviewer("bob"): [Reply(tool_calls=[quit_])],
    }
    extra = {"complete": {"source": {"builtin": "complete"}}}
    reviewers = {"alice": ["reviewer_assistant"], "bob": ["reviewer_assistant", "complete"]}
    mind = await run(tmp_path, config(reviewers, extra), script)
    outcome, content = review_result(mind)
    assert outcome == "Ok" and "1 of 2 reviewers gave feedback" in content
    assert "Looks right." in content
    assert f"## bob (agent {mind.scope_of('bob')})\n(ended without giving feedback)" in content
    assert mind.agents[mind.scope_of("bob")].state == "exited"


async def test_a_reviewer_that_fails_to_start_is_reported_and_only_silence_is_an_error(
    tmp_path: Path,
) -> None:
    extra = {"broken_assistant": {"source": {"builtin": "assistant"}}}  # no model_name: its constructor fails
    mind = await run(
        tmp_path, config({"broken": ["broken_assistant"]}, extra), {f"marker:{PLANNER}": planner()}
    )
    outcome, content = review_result(mind)
    assert outcome == "Err" and content.startswith("No reviewer gave feedback.")
    assert re.search(r"## broken \(agent \w+\)\n\(failed: .*model_name", content)
    assert mind.agents[mind.scope_of("broken")].state == "failed"


async def test_no_reviewers_answers_at_once_and_spawns_nothing(tmp_path: Path) -> None:
    mind = await run(tmp_path, config({}), {f"marker:{PLANNER}": planner()})
    outcome, content = review_result(mind)
    assert outcome == "Ok" and "No plan reviewers are configured" in content
    assert list(mind.agents) == [ROOT_SCOPE]


async def test_concurrent_requests_each_get_their_own_reviewers(tmp_path: Path) -> None:
    def echo_plan(request: dict[str, Any]) -> Reply:
        prompt = request["messages"][0]["content"]
        plan = re.search(r"Plan:\n(plan \w+)", prompt)
        assert plan is not None
        return feedback(f"About {plan.group(1)}.")

    first = ToolCallSpec("request_plan_review", {"task": TASK, "plan": "plan A"})
    second = ToolCallSpec("request_plan_review", {"task": TASK, "plan": "plan B"})
    script = {f"marker:{PLANNER}": planner(first, second), reviewer("alice"): echo_plan}
    mind = await run(tmp_path, config({"alice": ["reviewer_assistant"]}), script)
    (a_outcome, a_content), (b_outcome, b_content) = review_result(mind, 0), review_result(mind, 1)
    assert (a_outcome, b_outcome) == ("Ok", "Ok")
    assert "About plan A." in a_content and "plan B" not in a_content
    assert "About plan B." in b_content and "plan A" not in b_content
    assert len(mind.agents) == 3  # one reviewer per request


async def test_missing_plan_is_a_clear_error_and_spawns_nothing(tmp_path: Path) -> None:
    bad = ToolCallSpec("request_plan_review", {"task": TASK})
    mind = await run(tmp_path, config({"alice": ["reviewer_assistant"]}), {f"marker:{PLANNER}": planner(bad)})
    assert review_result(mind) == (
        "Err",
        "request_plan_review: 'plan' is required and must be a non-empty string",
    )
    assert list(mind.agents) == [ROOT_SCOPE]


async def test_a_reviewer_that_cannot_be_spawned_is_a_clear_error(tmp_path: Path) -> None:
    mind = await run(tmp_path, config({"ghost": ["no_such_actor"]}), {f"marker:{PLANNER}": planner()})
    outcome, content = review_result(mind)
    assert outcome == "Err" and "'ghost'" in content and "no_such_actor" in content
    assert list(mind.agents) == [ROOT_SCOPE]


async def test_a_second_review_plan_is_refused(tmp_path: Path) -> None:
    twice = Reply(
        tool_calls=[
            ToolCallSpec("review_plan", {"feedback": "First thoughts."}),
            ToolCallSpec("review_plan", {"feedback": "Second thoughts."}),
        ]
    )
    script = {f"marker:{PLANNER}": planner(), reviewer("alice"): [twice]}
    mind = await run(tmp_path, config({"alice": ["reviewer_assistant"]}), script)
    results = tool_results(mind, mind.scope_of("alice"))
    assert [r[:2] for r in results] == [("review_plan", "Ok"), ("review_plan", "Err")]
    assert "already sent your feedback" in results[1][2]
    assert [m.json() for m in mind.messages if m.message_type == RESPONSE] == [
        {"feedback": "First thoughts."}
    ]
    _, content = review_result(mind)
    assert "First thoughts." in content and "Second thoughts." not in content


async def test_a_read_only_reviewer_reads_but_cannot_edit(tmp_path: Path) -> None:
    (tmp_path / "cli.py").write_text("VERBOSE = False\n")
    seen: list[str] = []

    def after_edit(messages: list[dict[str, Any]]) -> Reply:
        seen.extend(m["content"] or "" for m in messages if m["role"] == "tool")
        return feedback("The flag already exists as VERBOSE.")

    edit = {"path": "cli.py", "edits": [{"old_string": "False", "new_string": "True"}]}
    script = {
        f"marker:{PLANNER}": planner(),
        reviewer("auditor"): by_turn(
            Reply(tool_calls=[ToolCallSpec("read_file", {"path": "cli.py"})]),
            Reply(tool_calls=[ToolCallSpec("edit_file", edit)]),
            after_edit,
        ),
    }
    files = {
        "source": {"builtin": "file_interaction"},
        "config": {"allow_edits": False},
        "capabilities": {"fs": [{"host": "$WORKDIR", "guest": "/work", "read_only": True}]},
    }
    cfg = config({"auditor": ["reviewer_assistant", "reviewer_files"]}, {"reviewer_files": files})
    mind = await run(tmp_path, cfg, script)
    assert (tmp_path / "cli.py").read_text() == "VERBOSE = False\n"
    assert "VERBOSE = False" in seen[0]  # read_file worked
    assert "Tool 'edit_file' is not available" in seen[1]
    outcome, content = review_result(mind)
    assert outcome == "Ok" and "The flag already exists as VERBOSE." in content
