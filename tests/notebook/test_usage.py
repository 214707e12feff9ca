"""Token usage and cost: read from the assistant's Response messages, per agent and model, in
``mind.usage()``, ``AgentInfo.usage``, ``%wasmind status`` and the view's agent rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wasmind_nb import Wasmind
from wasmind_nb.config import Config
from wasmind_nb.errors import ConfigError
from wasmind_nb.llm import Reply
from wasmind_nb.llm import Usage as ScriptUsage
from wasmind_nb.notebook.render import StatusTable
from wasmind_nb.notebook.view_state import A_USAGE
from wasmind_nb.notebook.widget import AgentView
from wasmind_nb.runtime.events import Envelope
from wasmind_nb.usage import RESPONSE_TYPE, Pricing, Usage, UsageLedger, UsageRow, response_tokens, usage_text

REPO = Path(__file__).parents[2]
CONFIG = """
starting_actors = ["assistant"]
[actors.assistant]
source = { path = "actors/assistant" }
config = { model_name = "priced", system_context = false, max_tokens = 0, max_attempts = 1 }
[actors.helper]
source = { path = "actors/assistant" }
config = { model_name = "free", system_context = false, max_tokens = 0, max_attempts = 1 }
[llm]
prices = { "priced" = { input_per_mtok = 2.5, output_per_mtok = 10 } }
"""


def response(seq: int, scope: str, prompt: int, completion: int, actor: str = "assistant") -> Envelope:
    payload = {
        "message": {"content": "x"},
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion},
    }
    return Envelope(seq, f"r:{seq}", RESPONSE_TYPE, actor, scope, json.dumps(payload).encode())


def test_prices_are_checked_and_errors_name_the_key() -> None:
    config = Config.from_toml(CONFIG, base_dir=REPO)
    assert config.llm.prices["priced"].cost(1_000_000, 100_000) == pytest.approx(3.5)
    with pytest.raises(ConfigError, match=r"llm\.prices\.m\.input_per_mtok"):
        Config.from_toml(
            "starting_actors = []\n[llm]\nprices = { m = { input_per_mtok = -1, output_per_mtok = 1 } }"
        )
    with pytest.raises(ConfigError, match=r"llm\.prices\.m\.output"):
        Config.from_toml("starting_actors = []\n[llm]\nprices = { m = { input_per_mtok = 1, output = 1 } }")


def test_the_ledger_reads_each_response_once_and_prices_by_model() -> None:
    config = Config.from_toml(CONFIG, base_dir=REPO)
    pricing = Pricing(config.actors, config.llm.prices)
    assert (pricing.model("assistant"), pricing.model("helper"), pricing.model("bash")) == (
        "priced",
        "free",
        "?",
    )
    log = [response(0, "aaaaaa", 1000, 200), Envelope(1, "x", "other.Type", "a", "aaaaaa", b"{}")]
    ledger = UsageLedger()
    ledger.update(log, pricing)
    log += [response(2, "aaaaaa", 3000, 100), response(3, "bbbbbb", 10, 5, actor="helper")]
    ledger.update(log, pricing)
    ledger.update(log, pricing)  # nothing new: nothing counted twice
    assert ledger.rows({"aaaaaa": "coder"}, pricing) == [
        UsageRow(
            "aaaaaa", "coder", "priced", 2, 4000, 300, 4300, pytest.approx((4000 * 2.5 + 300 * 10) / 1e6)
        ),
        UsageRow("bbbbbb", "", "free", 1, 10, 5, 15, None),
    ]
    assert ledger.of("bbbbbb", pricing) == Usage(1, 10, 5, None)
    assert ledger.of("cccccc", pricing) == Usage()
    assert response_tokens(b"not json") is None and response_tokens(b'{"usage": 3}') is None


def test_usages_add_up_and_read_as_one_line() -> None:
    assert Usage(1, 10, 2, 0.5) + Usage(2, 5, 1, 0.25) == Usage(3, 15, 3, 0.75)
    assert (Usage(1, 1, 1, 0.5) + Usage(1, 1, 1, None)).cost is None  # one unpriced call: cost unknown
    assert (Usage() + Usage(1, 1, 1, 0.5)).cost == 0.5
    assert str(Usage(2, 1000, 234, 0.0012)) == "1,234 tokens (1,000 in, 234 out), $0.0012"
    assert usage_text(5, 1) == "6 tokens (5 in, 1 out)"
    assert usage_text(10**6, 0, 12.5) == "1,000,000 tokens (1,000,000 in, 0 out), $12.50"


@pytest.mark.anyio
async def test_usage_per_agent_in_the_api_the_record_the_status_and_the_view() -> None:
    script = [Reply("Hello.", usage=ScriptUsage(1000, 200)), Reply("Hi.", usage=ScriptUsage(30, 7))]
    async with Wasmind(Config.from_toml(CONFIG, base_dir=REPO), progress=False, llm=script) as mind:
        view = AgentView(mind)  # follows live: its rows count what arrives later
        try:
            await mind.send_user_message("000000", "Hi")
            await mind.wait_idle()
            helper = await mind.spawn_agent(["helper"], name="helper")
            await mind.send_user_message(helper, "Hi")
            await mind.wait_idle()

            rows = mind.usage()
            assert rows == [
                UsageRow("000000", "root", "priced", 1, 1000, 200, 1200, pytest.approx(0.0045)),
                UsageRow(helper, "helper", "free", 1, 30, 7, 37, None),
            ]
            assert mind.agents["000000"].usage == Usage(1, 1000, 200, pytest.approx(0.0045))
            assert mind.agents[helper].usage == Usage(1, 30, 7, None)
            assert mind.total_usage() == Usage(2, 1030, 207, None)  # one model has no price

            status = repr(StatusTable(mind.agents, messages=len(mind.messages), running=True))
            caption, header, root, helper_line = status.splitlines()
            assert caption.endswith(", 1,237 tokens (1,030 in, 207 out)")
            assert header.split() == ["scope", "name", "state", "actors", "usage"]
            assert root.endswith("1,200 tokens (1,000 in, 200 out), $0.0045")
            assert helper_line.endswith("37 tokens (30 in, 7 out)")

            view.flush()
            usage = {row[0]: row[A_USAGE] for row in view.agents}
            assert usage["000000"] == [1, 1000, 200, pytest.approx(0.0045)]
            assert usage[helper] == [1, 30, 7, None]
            late = AgentView(mind)  # a view made afterwards reads the same from the history
            assert {row[0]: row[A_USAGE] for row in late.agents} == usage
            late.close()
        finally:
            view.close()


def test_status_has_no_usage_column_when_no_model_was_called() -> None:
    from wasmind_nb.mind import AgentInfo

    agents = {"000000": AgentInfo("000000", "root", None, ("echo",), "running", None)}
    table = StatusTable(agents, messages=3, running=True)
    assert table.header == StatusTable.HEADER and "tokens" not in repr(table)
