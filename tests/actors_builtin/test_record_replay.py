"""A whole run recorded once replays identically with the model server stopped and no network.

Byte-identical order needs a deterministic schedule: one worker (``[runtime] workers = 1``) and inputs
sent when the system is idle. With more workers, actors running in parallel may interleave their
messages differently from run to run, while each actor's own messages stay the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from wasmind_nb import Config, Wasmind
from wasmind_nb.demo import DEMO_CONFIG, GREETING, TASK, demo_script

pytestmark = pytest.mark.anyio


def bus(mind: Wasmind) -> list[tuple]:
    return [(m.seq, m.id, m.message_type, m.from_actor_id, m.from_scope, m.payload) for m in mind.messages]


async def run(work: Path, llm_table: str, script=None) -> tuple[list[tuple], str, Wasmind]:
    (work / "greeting.py").write_text(GREETING)
    config = Config.from_toml(DEMO_CONFIG + llm_table + "[runtime]\nworkers = 1\n", base_dir=work)
    async with Wasmind(config, working_dir=work, llm=script, progress=False) as mind:
        await mind.wait_idle()
        await mind.send_user_message("000000", TASK)
        await mind.wait_idle(timeout=120)
        mind.llm.check()
    return bus(mind), (work / "greeting.py").read_text(), mind


async def test_a_recorded_run_replays_identically_without_the_server(tmp_path) -> None:
    work, trace = tmp_path / "work", tmp_path / "run.jsonl"
    work.mkdir()
    record = f'[llm]\nmode = "record"\ntrace = "{trace}"\nmodels = ["wasmind-offline"]\n'
    recorded, recorded_file, first = await run(work, record, demo_script())
    assert first.llm.server is not None and not first.llm.server.running
    assert len(trace.read_text().splitlines()) == 4  # four model calls: read, edit, run, answer

    replay = f'[llm]\nmode = "replay"\ntrace = "{trace}"\nmodels = ["wasmind-offline"]\n'
    replayed, replayed_file, second = await run(work, replay)
    assert second.llm.server is None  # nothing listens: every answer came from the trace
    second.llm.replay.check(complete=True)  # every recorded exchange was used, none differed
    assert replayed == recorded  # same envelopes, same order, same payloads, same ids
    assert replayed_file == recorded_file == GREETING.replace("world", "Wasmind")


async def test_a_run_that_departs_from_the_recording_is_reported(tmp_path) -> None:
    work, trace = tmp_path / "work", tmp_path / "run.jsonl"
    work.mkdir()
    record = f'[llm]\nmode = "record"\ntrace = "{trace}"\n'
    await run(work, record, demo_script())
    (work / "greeting.py").write_text(GREETING)
    config = Config.from_toml(DEMO_CONFIG + f'[llm]\nmode = "replay"\ntrace = "{trace}"\n', base_dir=work)
    async with Wasmind(config, working_dir=work, progress=False) as mind:
        await mind.send_user_message("000000", "a different task")
        await mind.wait_idle(timeout=120)
        with pytest.raises(Exception, match=r"seq 0|differs|mismatch"):
            mind.llm.check()
        notes = [m.json() for m in mind.messages if m.message_type == "wasmind.common.ui.UserNotification"]
        assert notes and notes[0]["level"] == "Error"  # the agent was told, and is waiting, not crashed
