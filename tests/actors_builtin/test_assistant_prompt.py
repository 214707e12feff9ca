"""System prompt assembly: sections, priorities, replacement by key, Data templates, overrides, exclude."""

from __future__ import annotations

import pytest

from tests.actors_builtin.conftest import ROOT_SCOPE, llm_requests, messages_of, publish, say
from wasmind_nb import Wasmind
from wasmind_sdk.messages import (
    Request,
    SystemPromptContribution,
    SystemPromptData,
    SystemPromptText,
)

pytestmark = pytest.mark.anyio


def text(key: str, value: str, priority: int = 0, section: str | None = None, agent: str = ROOT_SCOPE):
    return SystemPromptContribution(agent, key, SystemPromptText(value), priority, section)


def data(key: str, value: object, template: str, priority: int = 0, section: str | None = None):
    return SystemPromptContribution(ROOT_SCOPE, key, SystemPromptData(value, template), priority, section)


CONTRIBUTIONS = [
    text("b:second", "Second identity", priority=1, section="Identity"),
    text("a:first", "First identity", priority=10, section="identity"),
    data("t:tools", {"names": ["x", "y"]}, "Tools: {{ data.names | join(', ') }}", section="Tools"),
    text("c:zeta", "Zeta part", section="Zeta"),
    text("c:alpha", "Alpha part", section="alpha"),
    text("u:loose", "No section"),
    text("r:replaced", "old text", section="Context"),
    text("r:replaced", "new text", section="Context"),
    text("x:excluded", "Never shown", section="Context"),
    data("o:data", {"n": 7}, "Own template {{ data.n }}", section="Instructions"),
    text("o:text", "plain", section="Instructions"),
    text("s:context", "Context of the system", section="system_context"),
    text("e:empty", "   ", section="Capabilities"),
    text("f:foreign", "For another agent", section="Context", agent="zzzzzz"),
    text("nokey", "Key without a colon", section="Context"),
    data("k:broken", {}, "{% if %}", section="Guidelines"),
    data("k:fails", {}, "{{ data.missing.deeper }}", section="Guidelines"),
]
SYSTEM_PROMPT = {
    "defaults": {"Identity": "You are a test agent.", "guidelines": "Be brief."},
    "overrides": {"o:data": "Override saw {{ data.n }}", "o:text": "[{{ text }}]"},
    "exclude": ["x:excluded"],
}
EXPECTED = """\
<identity>
You are a test agent.

First identity

Second identity
</identity>

<context>
new text
</context>

<guidelines>
Be brief.
</guidelines>

<tools>
Tools: x, y
</tools>

<instructions>
Override saw 7

[plain]
</instructions>

<system_context>
Context of the system
</system_context>

<alpha>
Alpha part
</alpha>

<zeta>
Zeta part
</zeta>

<other>
No section
</other>"""


async def _prompt_of_first_request(mind: Wasmind, contributions: list[SystemPromptContribution]) -> str:
    for contribution in contributions:
        await publish(mind, contribution)
    await say(mind, "Hi")
    (body,) = llm_requests(mind)
    assert body["messages"][0]["role"] == "system"
    (request,) = messages_of(mind, Request)
    assert request.chat_state.system.content == body["messages"][0]["content"]
    return body["messages"][0]["content"]


async def test_contributions_render_by_section_then_priority(agent_config) -> None:
    async with Wasmind(agent_config(system_prompt=SYSTEM_PROMPT), progress=False, llm=["ok"]) as mind:
        assert await _prompt_of_first_request(mind, CONTRIBUTIONS) == EXPECTED
        assert mind.faults == []


async def test_later_contributions_apply_to_the_next_call(agent_config) -> None:
    async with Wasmind(agent_config(), progress=False, llm=["one", "two"]) as mind:
        await publish(mind, text("a:note", "Before", section="context"))
        await say(mind, "first")
        await publish(mind, text("a:note", "After", section="context"))
        await say(mind, "second")
        prompts = [body["messages"][0]["content"] for body in llm_requests(mind)]
        assert prompts == ["<context>\nBefore\n</context>", "<context>\nAfter\n</context>"]


async def test_host_context_is_contributed_and_can_be_excluded(agent_config, tmp_path) -> None:
    config = agent_config(system_context=True)
    async with Wasmind(config, progress=False, llm=["ok"], working_dir=tmp_path) as mind:
        prompt = await _prompt_of_first_request(mind, [])
        assert prompt.startswith("<system_context>\n") and prompt.endswith("\n</system_context>")
        assert f"Current working directory: {tmp_path}" in prompt
        assert "Operating system: " in prompt
    config = agent_config(system_context=True, system_prompt={"exclude": ["system:os_info"]})
    async with Wasmind(config, progress=False, llm=["ok"], working_dir=tmp_path) as mind:
        prompt = await _prompt_of_first_request(mind, [])
        assert "Operating system" not in prompt and "Current working directory" in prompt


async def test_a_base_template_lays_out_the_sections(agent_config) -> None:
    layout = "{% for name, parts in sections %}# {{ name | upper }}\n{{ parts | join(' / ') }}\n{% endfor %}"
    settings = {"defaults": {"identity": "Agent"}, "base_template": layout}
    async with Wasmind(agent_config(system_prompt=settings), progress=False, llm=["ok"]) as mind:
        extra = [text("a:one", "One", 2, "tools"), text("a:two", "Two", 1, "tools")]
        assert await _prompt_of_first_request(mind, extra) == "# IDENTITY\nAgent\n# TOOLS\nOne / Two"


async def test_an_empty_prompt_sends_no_system_message(agent_config) -> None:
    async with Wasmind(agent_config(), progress=False, llm=["ok"]) as mind:
        await say(mind, "Hi")
        assert llm_requests(mind)[0]["messages"] == [{"role": "user", "content": "Hi"}]
        (request,) = messages_of(mind, Request)
        assert request.chat_state.system.content == ""


async def test_templates_cannot_reach_into_the_assistant(agent_config) -> None:
    sneaky = data(
        "a:sneaky", {}, "{{ data.__class__.__mro__ }}|{{ ''.__class__.__subclasses__() }}", 0, "context"
    )
    async with Wasmind(agent_config(), progress=False, llm=["ok"]) as mind:
        prompt = await _prompt_of_first_request(mind, [sneaky, text("a:fine", "Still here", 0, "tools")])
        assert "subclasses" not in prompt and "<class" not in prompt
        assert "Still here" in prompt
        assert mind.faults == []
