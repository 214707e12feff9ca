"""Upstream Wasmind's example configs (shaped like them) run here unchanged, offline on the embedded model
with the built-in stand-ins, and with an ``[llm]`` section added; a Rust actor built by (a fake)
``cargo component`` runs as the component it wrote."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from tests.actors_builtin.conftest import llm_requests
from tests.delegation.conftest import notes_to, tool_results
from tests.upstream.repo import CONFIGS
from tests.upstream.test_upstream_load import fake_cargo, make_crate  # noqa: F401 (fixtures)
from wasmind_nb import SpawnError, Wasmind
from wasmind_nb.config import Config
from wasmind_nb.llm import EmbeddedLLM, Reply, Router, ToolCallSpec
from wasmind_sdk.messages import BaseUrlUpdate, decode

pytestmark = pytest.mark.anyio
ROOT_SCOPE = "000000"


def load(name: str, extra: str = "") -> Config:
    path = CONFIGS / f"{name}.toml"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Config.from_toml(path.read_text() + extra, base_dir=CONFIGS, source_name=str(path))


def responses(mind: Wasmind, scope: str) -> list[str]:
    return [
        e.json()["message"].get("content") or ""
        for e in mind.messages
        if e.message_type == "wasmind.common.assistant.Response" and e.from_scope == scope
    ]


async def test_assistant_config_runs_offline_with_the_litellm_models_offered(upstream_repo: Path) -> None:
    config = load("assistant")
    async with Wasmind(config, progress=False, llm=[Reply("Hello from the stand-in.")]) as mind:
        await mind.send_user_message(ROOT_SCOPE, "Say hello.")
        await mind.wait_idle()
        assert mind.faults == [] and mind.llm is not None and mind.llm.mode == "embedded"
        assert responses(mind, ROOT_SCOPE) == ["Hello from the stand-in."]
        [request] = llm_requests(mind)
        assert request["model"] == "openai/gpt-5-mini"
        updates = [
            decode(BaseUrlUpdate, e.payload)
            for e in mind.messages
            if e.message_type == BaseUrlUpdate.MESSAGE_TYPE
        ]
        assert updates and all(u.models_available == ["openai/gpt-5-mini"] for u in updates)
        # the bus names senders by logical name; the manifest's actor_id stays on the spec
        assert {e.from_actor_id for e in mind.messages if e.from_scope == ROOT_SCOPE} >= {"assistant"}
        assert mind.config.actors["assistant"].actor_id == "wasmind:assistant"


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("assistant", "openai/gpt-5-mini"),
        ("code_with_experts", "gemini-2.5-flash"),
        ("delegation_network", "qwen/qwen3-coder"),
    ],
)
async def test_each_config_with_an_llm_section_added_calls_that_endpoint(
    upstream_repo: Path, tmp_path: Path, name: str, model: str
) -> None:
    with EmbeddedLLM([Reply("Hello from the endpoint.")], models=[model]) as endpoint:
        extra = f'\n[llm]\nbase_url = "{endpoint.base_url}"\nmodels = ["{model}"]\n'
        async with Wasmind(load(name, extra), progress=False, working_dir=tmp_path) as mind:
            assert mind.llm is not None and mind.llm.mode == "remote"
            await mind.send_user_message(ROOT_SCOPE, "Say hello.")
            await mind.wait_idle()
            assert mind.faults == [] and mind.denials == []
            assert responses(mind, ROOT_SCOPE) == ["Hello from the endpoint."]
        assert [r.json["model"] for r in endpoint.requests] == [model]


def _spawn(role: str, task: str, kind: str) -> ToolCallSpec:
    specs = [{"agent_role": role, "task_description": task, "agent_type": kind}]
    return ToolCallSpec("spawn_agent", {"agents_to_spawn": specs, "wait": True})


async def test_delegation_network_config_runs_a_manager_and_a_worker(
    upstream_repo: Path, tmp_path: Path
) -> None:
    script = Router(
        {
            "marker:[role:main]": [
                Reply("Delegating.", tool_calls=[_spawn("Greeter", "Run `echo hi` and report.", "Worker")]),
                Reply("The worker said hi."),
            ],
            "marker:[role:worker]": [
                Reply(tool_calls=[ToolCallSpec("execute_bash", {"command": "echo hi"})]),
                Reply(tool_calls=[ToolCallSpec("complete", {"summary": "echo printed hi", "success": True})]),
            ],
        }
    )
    async with Wasmind(load("delegation_network"), progress=False, llm=script, working_dir=tmp_path) as mind:
        await mind.send_user_message(ROOT_SCOPE, "Say hi through a worker.")
        await mind.wait_idle()
        assert mind.faults == [] and mind.denials == []
        [worker] = [scope for scope, agent in mind.agents.items() if agent.name == "Greeter"]
        assert {"worker_assistant", "execute_bash", "worker_file_interaction_with_approval", "complete",
                "check_health", "conversation_compaction"} <= set(mind.agents[worker].actors)  # fmt: skip
        assert [(name, kind) for name, kind, _ in tool_results(mind, worker)] == [
            ("execute_bash", "Ok"),
            ("complete", "Ok"),
        ]
        assert "hi" in tool_results(mind, worker)[0][2]
        assert any("echo printed hi" in text for _, _, text in notes_to(mind, ROOT_SCOPE))
        assert responses(mind, ROOT_SCOPE)[-1] == "The worker said hi."
        assert mind.agents[worker].state == "exited"
        assert all(r["model"] == "qwen/qwen3-coder" for r in llm_requests(mind))
        # honest ids: every sender is named by its logical name (a dozen actors share wasmind:assistant)
        senders = {e.from_actor_id for e in mind.messages} - {"wasmind__context", "wasmind__coordinator"}
        assert {"main_manager_assistant", "worker_assistant", "spawn_agent", "execute_bash"} <= senders
        assert senders <= set(mind.config.actors)


async def test_code_with_experts_config_has_an_edit_approved_by_the_upstream_named_experts(
    upstream_repo: Path, tmp_path: Path
) -> None:
    (tmp_path / "app.py").write_text("def greet(name):\n    return 'hi ' + name\n")
    new = "def greet(name: str) -> str:\n    " + "\n    ".join(
        f"# line {i} of a long docstring" for i in range(8)
    )
    new += "\n    return 'hi ' + name\n"
    edit = {"path": "app.py", "edits": [{"old_string": (tmp_path / "app.py").read_text(), "new_string": new}]}
    approve = [Reply(tool_calls=[ToolCallSpec("approve", {})]), Reply("Approved.")]
    script = Router(
        {
            "marker:[role:root]": [
                Reply(tool_calls=[ToolCallSpec("read_file", {"path": "app.py"})]),
                Reply(tool_calls=[ToolCallSpec("edit_file", edit)]),
                Reply("Typed and approved."),
            ],
            "marker:[role:typing]": approve,
            "marker:[role:style]": list(approve),
        }
    )
    async with Wasmind(load("code_with_experts"), progress=False, llm=script, working_dir=tmp_path) as mind:
        await mind.send_user_message(ROOT_SCOPE, "Add type hints to app.py.")
        await mind.wait_idle()
        assert mind.faults == [] and mind.denials == []
        assert (tmp_path / "app.py").read_text() == new
        experts = {
            agent.name: set(agent.actors) for agent in mind.agents.values() if agent.scope != ROOT_SCOPE
        }
        assert set(experts) == {"typing_expert", "style_expert"}
        assert {
            "typing_expert_assistant",
            "expert_file_reader",
            "hcwe_approve",
            "hcwe_request_changes",
        } <= experts["typing_expert"]
        assert responses(mind, ROOT_SCOPE)[-1] == "Typed and approved."


async def test_a_rust_actor_built_by_cargo_component_runs(fake_cargo: Path, make_crate) -> None:  # noqa: F811
    folder = make_crate("raw", 'actor_id = "me:raw"\n')
    config = Config.from_toml(f'starting_actors = ["raw"]\n[actors.raw]\nsource = {{ path = "{folder}" }}\n')
    async with Wasmind(config, progress=False) as mind:
        await mind.broadcast("raw.Ping", b"ping")
        await mind.wait_idle()
        assert [(m.payload, m.from_actor_id) for m in mind.messages if m.message_type == "raw.Pong"] == [
            (b"ping", "raw")
        ]


@pytest.mark.parametrize(
    ("builtin", "config", "message"),
    [
        ("request_plan_review", "review_actors = []", "request_plan_review config 'review_actors' must be"),
        (
            "file_interaction_with_approval",
            'tool_actors = "approve"',
            "'tool_actors' must be a non-empty list",
        ),
    ],
)
async def test_the_keys_stand_ins_are_configured_with_are_checked(
    builtin: str, config: str, message: str
) -> None:
    text = f'starting_actors = ["x"]\n[actors.x]\nsource = {{ builtin = "{builtin}" }}\n'
    text += f"config = {{ {config} }}\n"
    mind = Wasmind(Config.from_toml(text), progress=False)
    with pytest.raises(SpawnError, match=message):
        await mind.start()
    assert mind.agents == {} or all(agent.state != "running" for agent in mind.agents.values())
