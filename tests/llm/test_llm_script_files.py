"""Loading scripts from JSON, TOML and Python files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wasmind_nb.errors import ConfigError, LLMScriptError
from wasmind_nb.llm import (
    EmbeddedLLM,
    Fault,
    Reply,
    Router,
    ScriptedReplies,
    ToolCallSpec,
    Usage,
    load_script,
)

from .helpers import chat, user

TOML_SCRIPT = """
models = ["gpt-manager", "gpt-worker"]

[[agents."model:gpt-manager"]]
content = "I will delegate."
usage = { prompt_tokens = 100, completion_tokens = 5 }

[[agents."model:gpt-manager".tool_calls]]
name = "spawn_agent"
[[agents."model:gpt-manager".tool_calls.arguments.agents_to_spawn]]
agent_role = "Worker"
task_description = "fix it"
agent_type = "Worker"

[[agents."marker:[role:worker]"]]
content = "done"

[[agents."marker:[role:worker]"]]
fault = 503
message = "overloaded"

[[agents.default]]
raw = "{}"
"""


def _answers(script: object) -> list[object]:
    assert isinstance(script, Router)
    return [
        script.answer(user("go", model="gpt-manager")).item,
        script.answer(user("go", system="[role:worker]")).item,
        script.answer(user("go", system="[role:worker]")).item,
    ]


def test_toml_script_becomes_a_router(tmp_path: Path) -> None:
    path = tmp_path / "script.toml"
    path.write_text(TOML_SCRIPT)
    script = load_script(path)
    assert script.models() == ["gpt-manager", "gpt-worker"]
    manager, worker, fault = _answers(script)
    spawn = {
        "agents_to_spawn": [{"agent_role": "Worker", "task_description": "fix it", "agent_type": "Worker"}]
    }
    assert manager == Reply("I will delegate.", [ToolCallSpec("spawn_agent", spawn)], usage=Usage(100, 5))
    assert worker == Reply("done")
    assert fault == Fault(503, "overloaded")


def test_json_script_with_agents_and_plain_list(tmp_path: Path) -> None:
    data = {
        "agents": {
            "model:gpt-manager": [
                {"content": "hi", "tool_calls": [{"name": "wait", "arguments": "{}", "id": "w1"}]}
            ],
            "marker:[role:worker]": ["done", {"fault": 503, "message": "overloaded"}],
        }
    }
    path = tmp_path / "script.json"
    path.write_text(json.dumps(data))
    manager, worker, fault = _answers(load_script(path))
    assert manager == Reply("hi", [ToolCallSpec("wait", "{}", "w1")])
    assert worker == Reply("done") and fault == Fault(503, "overloaded")

    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps(["one", {"content": "two"}]))
    script = load_script(flat)
    assert isinstance(script, ScriptedReplies) and script.remaining == 2
    with EmbeddedLLM(str(flat)) as llm:
        assert chat(llm.base_url, user("x")).json()["choices"][0]["message"]["content"] == "one"


def test_python_script_file_exposes_script(tmp_path: Path) -> None:
    path = tmp_path / "my_script.py"
    path.write_text(
        "from dataclasses import dataclass\n"
        "from wasmind_nb.llm import Reply\n\n"
        "@dataclass\nclass Counter:\n    n: int = 0\n\n"
        "counter = Counter()\n\n"
        "def script(request):\n"
        "    counter.n += 1\n"
        "    return Reply(f\"{request['model']} #{counter.n}\")\n"
    )
    script = load_script(path)
    assert script.answer(user("x", model="m")).item == Reply("m #1")
    assert script.answer(user("x", model="m")).agent == "default"


@pytest.mark.parametrize(
    ("name", "text", "message", "key"),
    [
        ("a.json", "[1]", "a reply must be a string or a table", "replies[0]"),
        (
            "b.json",
            '{"replies": [{"contents": "x"}]}',
            "Extra inputs are not permitted",
            "replies[0].contents",
        ),
        (
            "c.toml",
            '[[agents."model:m"]]\ntool_calls = [{ arguments = {} }]\n',
            "Field required",
            'agents."model:m"[0].tool_calls[0].name',
        ),
        ("d.json", '{"agents": {"bad key": ["x"]}}', "must be 'model:NAME'", "agents"),
        ("e.json", '{"replies": [], "agents": {}}', "exactly one of", None),
        ("f.json", '{"replies": [], "extra": 1}', "unknown script key", "extra"),
        ("g.json", '{"replies": [{"fault": 200}]}', "greater than or equal to 400", "replies[0].fault"),
        ("h.toml", "replies = [", "not valid TOML", None),
        ("i.yaml", "", "must end in .json, .toml or .py", None),
        ("j.py", "x = 1\n", "must define 'script'", "script"),
        ("k.py", "raise RuntimeError('boom')\n", "failed to import (RuntimeError: boom)", None),
    ],
)
def test_bad_script_files_name_the_file_and_key(
    tmp_path: Path, name: str, text: str, message: str, key: str | None
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_script(path)
    assert message in str(caught.value)
    assert caught.value.file == str(path)
    assert caught.value.key == key


def test_missing_script_file() -> None:
    with pytest.raises(ConfigError, match="cannot read script file"):
        load_script("no-such-script.json")


def test_exhausted_scripted_replies_says_so() -> None:
    script = ScriptedReplies(["only"])
    script.answer(user("a"))
    with pytest.raises(
        LLMScriptError, match=r"after 1 reply; request: model \"gpt-test\", last user message \"b\""
    ):
        script.answer(user("b"))
    script.reset()
    assert script.answer(user("c")).item == Reply("only")
