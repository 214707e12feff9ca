"""Payloads that are not UTF-8 JSON (or not of the expected shape) are logged and skipped, never a trap.

``json.loads`` of bytes guesses UTF-16/32 from the first bytes: ``b"\\x00\\x01"`` asked for a codec
the guest does not have and the ``LookupError`` trapped every SDK actor it reached.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import tomli_w

from tests.actors_builtin.tools_helpers import call
from tests.helpers import of_type
from wasmind_nb import Wasmind
from wasmind_nb.config import Config
from wasmind_sdk.messages import ExecuteToolCall

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
NOT_JSON = [b"\x00\x01", b"\x00\x00\x00\x01", b"\xff\xfe", b"\xc3\x28", b"{", b"[" * 200_000]
WRONG_SHAPE = [b'{"tool_call": 7}', b"42", b"[]"]


def _config() -> Config:
    actors = {
        "execute_bash": {"source": {"path": str(ROOT / "actors" / "execute_bash")}},
        "file_interaction": {"source": {"path": str(ROOT / "actors" / "file_interaction")}},
        "echo": {"source": {"path": str(ROOT / "tests" / "actors" / "echo")}},
    }
    return Config.from_toml(tomli_w.dumps({"starting_actors": list(actors), "actors": actors}), base_dir=ROOT)


async def test_malformed_payloads_are_skipped_and_every_actor_keeps_working(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with Wasmind(_config(), working_dir=tmp_path, progress=False) as mind:
        root = "000000"
        for payload in NOT_JSON:
            await mind.broadcast("demo.Ping", payload, scope=root)
        for payload in NOT_JSON + WRONG_SHAPE:
            await mind.broadcast(ExecuteToolCall.MESSAGE_TYPE, payload, scope=root)
        await mind.wait_idle()
        assert mind.faults == []
        skipped = [r.getMessage() for r in caplog.records if "skipped a malformed" in r.getMessage()]
        expected = {"execute_bash": NOT_JSON + WRONG_SHAPE, "file_interaction": NOT_JSON + WRONG_SHAPE}
        for actor, sent in {**expected, "echo": NOT_JSON}.items():
            assert sum(f" {actor}]" in line for line in skipped) == len(sent), (actor, skipped)
        # each still handles a well-formed message
        for tool in ("execute_bash", "read_file"):
            outcome = await call(mind, root, tool, raw="not json")
            assert outcome.failed and "invalid arguments" in outcome.content
        await mind.broadcast("demo.Ping", {"n": 1}, scope=root)
        await mind.wait_idle()
        assert len(of_type(mind, "demo.Pong")) == 1
