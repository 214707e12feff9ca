"""The JavaScript helper (js/sdk) in Node: its messages are byte for byte what the Python SDK sends and
decode as the golden files' types; its TOML reader reads what the host writes for an actor's config."""

from __future__ import annotations

import json
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from wasmind_nb.paths import js_sdk_dir
from wasmind_sdk.host import encode_payload
from wasmind_sdk.messages import (
    AddMessage,
    ExecuteToolCall,
    RequestStatusUpdate,
    Status,
    StatusUpdate,
    SystemPromptContribution,
    SystemPromptText,
    Tool,
    ToolCallResult,
    ToolCallStatus,
    ToolCallStatusUpdate,
    ToolsAvailable,
    UserMessage,
    UserNotification,
    decode,
)

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js (installed by .ci/run)")

GOLDEN = Path(__file__).resolve().parents[1] / "sdk" / "golden"
PARAMS = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}
LONG = "x" * 120 + "\nsecond line"

# name -> (JavaScript expression over the helper's exports `m`, the Python SDK's message)
CASES: dict[str, tuple[str, Any]] = {
    "tools": (
        f"m.toolsAvailable([m.toolDefinition('shout', 'Upper-cases ✓', {json.dumps(PARAMS)})])",
        ToolsAvailable([Tool.define("shout", "Upper-cases ✓", PARAMS)]),
    ),
    "ok_text": (
        "m.toolCallStatusUpdate(m.toolCallStatus.ok('a.txt\\nb.txt'), 'c1', 'req-1')",
        ToolCallStatusUpdate(ToolCallStatus.ok("a.txt\nb.txt"), "c1", "req-1"),
    ),
    "ok_long_line": (
        f"m.toolCallStatusUpdate(m.toolCallStatus.ok({json.dumps(LONG)}), 'c1', 'req-1')",
        ToolCallStatusUpdate(ToolCallStatus.ok(LONG), "c1", "req-1"),
    ),
    "ok_result": (
        "m.toolCallStatusUpdate(m.toolCallStatus.ok(m.toolCallResult('full', 'short')), 'c1', 'r')",
        ToolCallStatusUpdate(ToolCallStatus.ok(ToolCallResult.text("full", "short")), "c1", "r"),
    ),
    "err": (
        "m.toolCallStatusUpdate(m.toolCallStatus.err('unknown tool: fly'), 'c3', 'req-2')",
        ToolCallStatusUpdate(ToolCallStatus.err("unknown tool: fly"), "c3", "req-2"),
    ),
    "received": (
        "m.toolCallStatusUpdate(m.toolCallStatus.received('Running: ls'), 'c1', 'req-1')",
        ToolCallStatusUpdate(ToolCallStatus.received("Running: ls"), "c1", "req-1"),
    ),
    "status_done": ("m.statusUpdate(m.status.done('Wrote it', true))", StatusUpdate(Status.done("Wrote it"))),
    "request_done": (
        "m.requestStatusUpdate('a1B2c3', m.status.done('no', false), 'req-1')",
        RequestStatusUpdate("a1B2c3", Status.done("no", False), "req-1"),
    ),
    "notification": (
        "m.userNotification('Warning', 'Slow', 'Retrying', 'word_stats')",
        UserNotification("Warning", "Slow", "Retrying", "word_stats"),
    ),
    "add_message": ("m.addMessage('000000', 'héllo')", AddMessage("000000", UserMessage("héllo"))),
    "prompt": (
        "m.systemPromptContribution('000000', 'word_stats:usage', 'Count words.', 100, 'tools')",
        SystemPromptContribution(
            "000000", "word_stats:usage", SystemPromptText("Count words."), 100, "tools"
        ),
    ),
}


def run_node(script: str) -> Any:
    """Run an ES module in Node with the helper's pure modules imported; returns what it prints (JSON)."""
    url = (js_sdk_dir()).as_uri()
    source = (
        f"import * as m from '{url}/messages.js';\nimport {{ parseConfig }} from '{url}/toml.js';\n{script}"
    )
    proc = subprocess.run(
        ["node", "--input-type=module", "-e", source], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_messages_are_byte_for_byte_the_python_sdks() -> None:
    script = "const out = {};\n" + "".join(
        f"{{ const msg = {expr}; out[{json.dumps(name)}] = [msg.type, new TextDecoder().decode("
        f"m.encodePayload(msg.value))]; }}\n"
        for name, (expr, _) in CASES.items()
    )
    produced = run_node(script + "console.log(JSON.stringify(out));")
    for name, (_, message) in CASES.items():
        message_type, text = produced[name]
        assert message_type == message.MESSAGE_TYPE, name
        assert text.encode() == encode_payload(message), name
        assert decode(type(message), text.encode()) == message, name


@pytest.mark.parametrize(
    ("golden", "expr"),
    [
        ("ToolCallStatusUpdate.received.json", "m.toolCallStatusUpdate(m.toolCallStatus.received("
         "'Running: ls'), 'call_1', 'req-1')"),
        ("ToolCallStatusUpdate.done_err.json", "m.toolCallStatusUpdate(m.toolCallStatus.err("
         "m.toolCallResult('unknown tool: fly', 'Error', null)), 'call_3', 'req-2')"),
        ("ToolCallStatusUpdate.done_ok.json", "m.toolCallStatusUpdate(m.toolCallStatus.ok("
         "m.toolCallResult('a.txt\\nb.txt', 'a.txt', 'a.txt\\nb.txt')), 'call_1', 'req-1')"),
        ("ToolCallStatusUpdate.awaiting_system.json", "m.toolCallStatusUpdate(m.toolCallStatus."
         "awaitingSystem('Awaiting approval', '2 reviewers', 'a1B2c3'), 'call_2', 'req-1')"),
        ("StatusUpdate.done_ok.json", "m.statusUpdate(m.status.done('Wrote the report'))"),
        ("UserNotification.no_source.json", "m.userNotification('Info', 'Started', '3 actors ready')"),
        ("SystemPromptContribution.text.json", "m.systemPromptContribution('000000', 'execute_bash:usage', "
         "'Use execute_bash for shell commands.', 100, 'tools')"),
    ],
)  # fmt: skip
def test_messages_equal_the_golden_files(golden: str, expr: str) -> None:
    produced = run_node(f"console.log(JSON.stringify(({expr}).value));")
    assert produced == json.loads((GOLDEN / golden).read_text())


def test_execute_tool_call_golden_is_what_a_tool_reads() -> None:
    """The helper's Tool reads `tool_call.function.arguments` (a JSON string) and `originating_request_id`."""
    request = decode(ExecuteToolCall, (GOLDEN / "ExecuteToolCall.json").read_bytes())
    value = json.loads((GOLDEN / "ExecuteToolCall.json").read_text())
    assert json.loads(value["tool_call"]["function"]["arguments"]) == request.tool_call.parsed_arguments()
    assert value["originating_request_id"] == request.originating_request_id


CONFIGS = [
    {"min_length": 3, "greeting": 'say "hi"\n\ttab ✓ \U0001f600', "ratio": 0.25, "on": True, "off": False},
    {"tags": ["a", "b"], "nested": {"deep": {"n": -7, "list": [1, 2, 3]}}, "empty": [], "e": {}},
    {"people": [{"name": "Ann", "age": 3}, {"name": "Bo", "age": 4}], "big": 2**40, "neg": -1.5e-3},
    {"key with spaces": 1, "dotted.key": "v", "unicode_ключ": "значение"},
]


@pytest.mark.parametrize("config", CONFIGS, ids=range(len(CONFIGS)))
def test_parse_config_reads_what_the_host_writes(config: dict[str, Any]) -> None:
    text = tomli_w.dumps(config)
    assert tomllib.loads(text) == config
    assert run_node(f"console.log(JSON.stringify(parseConfig({json.dumps(text)})));") == config


def test_parse_config_reads_hand_written_toml() -> None:
    text = "# c\na = 1 # note\n[t]\nb = 'lit\\eral'\n[[rows]]\nx = 1\n[[rows]]\nx = 0x1F\n"
    assert run_node(f"console.log(JSON.stringify(parseConfig({json.dumps(text)})));") == {
        "a": 1,
        "t": {"b": "lit\\eral"},
        "rows": [{"x": 1}, {"x": 31}],
    }


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "a = 1\nb = 1979-05-27\n",
            "config TOML line 2: cannot read value 1979-05-27 (dates are not supported)",
        ),
        ('a = """x"""\n', "config TOML line 1: multi-line strings are not supported"),
        ("a = 1\nb\n", "config TOML line 2: expected key = value"),
        ('a = "open\n', "config TOML line 1: unterminated string"),
    ],
)
def test_parse_config_names_the_line_it_cannot_read(text: str, error: str) -> None:
    script = (
        f"try {{ parseConfig({json.dumps(text)}); console.log('null'); }}"
        "catch (e) { console.log(JSON.stringify(e.message)); }"
    )
    assert run_node(script) == error
