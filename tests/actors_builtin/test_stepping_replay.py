"""Stepping a recorded run, one envelope at a time, gives the envelopes of the run it replays."""

from __future__ import annotations

from pathlib import Path

import pytest

from wasmind_nb import Config, Wasmind
from wasmind_nb.demo import DEMO_CONFIG, GREETING, TASK, demo_script

pytestmark = pytest.mark.anyio


def bus(mind: Wasmind) -> list[tuple]:
    return [(m.seq, m.id, m.message_type, m.from_actor_id, m.from_scope, m.payload) for m in mind.messages]


async def run(work: Path, llm_table: str, *, script=None, stepped: bool = False) -> tuple[list[tuple], int]:
    (work / "greeting.py").write_text(GREETING)
    config = Config.from_toml(DEMO_CONFIG + llm_table + "[runtime]\nworkers = 1\n", base_dir=work)
    steps = 0
    async with Wasmind(config, working_dir=work, llm=script, progress=False) as mind:
        await mind.wait_idle()
        if stepped:
            mind.pause()
        task = await mind.send_user_message("000000", TASK)
        if stepped:
            while delivered := await mind.step(timeout=120):
                steps += len(delivered)
            assert mind.paused and mind.bus_state.held == 0
            assert steps == len(mind.messages) - task.seq  # every envelope from the task on was one step
            mind.resume()
        await mind.wait_idle(timeout=120)
    return bus(mind), steps


async def test_a_recorded_run_stepped_one_envelope_at_a_time_replays_identically(tmp_path) -> None:
    work, trace = tmp_path / "work", tmp_path / "run.jsonl"
    work.mkdir()
    record = f'[llm]\nmode = "record"\ntrace = "{trace}"\nmodels = ["wasmind-offline"]\n'
    recorded, _ = await run(work, record, script=demo_script())
    replay = f'[llm]\nmode = "replay"\ntrace = "{trace}"\nmodels = ["wasmind-offline"]\n'
    replayed, steps = await run(work, replay, stepped=True)
    assert steps > 30  # the whole conversation: four model calls, three tool calls
    assert replayed == recorded  # same envelopes, same order, same payloads, same ids
