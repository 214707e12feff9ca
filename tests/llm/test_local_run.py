"""A whole run on ``[llm] local`` (the fake llama-server): the assistant answers from it, the server stops
with the run (or with a failed start), and the run replays from its trace with no server at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import tomli_w

from tests.actors_builtin.conftest import ROOT, ROOT_SCOPE, assistant_settings, messages_of
from tests.llm.fake_llama import alive, fake_server, launches
from wasmind_nb import Config, Wasmind
from wasmind_nb.llm.local_server import LocalModelError
from wasmind_nb.mind import BASE_URL_UPDATE
from wasmind_sdk.messages import Response

pytestmark = pytest.mark.anyio


def local_config(tmp_path: Path, behaviour: str = "serve", **llm: Any) -> Config:
    """The assistant alone, on the fake server serving ``models/tiny-chat.gguf`` (paths relative)."""
    (tmp_path / "models").mkdir(exist_ok=True)
    (tmp_path / "models" / "tiny-chat.gguf").write_bytes(b"GGUF not really")
    fake_server(tmp_path, behaviour)
    assistant = {"source": {"path": str(ROOT / "actors" / "assistant")}}
    assistant["config"] = assistant_settings(model_name="tiny-chat", max_tokens=16)
    data = {
        "starting_actors": ["assistant"],
        "actors": {"assistant": assistant},
        "llm": {"local": {"model": "models/tiny-chat.gguf", "server": "./llama-server"}, **llm},
        "runtime": {"workers": 1},
    }
    path = tmp_path / "wasmind.toml"
    path.write_text(tomli_w.dumps(data))
    return Config.from_file(path)


def bus(mind: Wasmind) -> list[tuple]:
    return [(m.seq, m.id, m.message_type, m.from_actor_id, m.from_scope, m.payload) for m in mind.messages]


async def hello(config: Config) -> Wasmind:
    async with Wasmind(config, progress=False) as mind:
        await mind.wait_idle()
        await mind.send_user_message(ROOT_SCOPE, "Say hello.")
        await mind.wait_idle(timeout=60)
    return mind


async def test_the_assistant_answers_from_the_local_model_and_the_server_stops_with_the_run(
    tmp_path: Path,
) -> None:
    mind = await hello(local_config(tmp_path))
    update = next(m.json() for m in mind.messages if m.message_type == BASE_URL_UPDATE)
    assert update["models_available"] == ["tiny-chat"] and update["base_url"].startswith("http://127.0.0.1:")
    assert [r.message.content for r in messages_of(mind, Response)] == ["Hello from tiny-chat."]
    [launch] = launches(tmp_path / "models")
    assert not alive(launch["pid"])


async def test_a_failed_start_leaves_nothing_running(tmp_path: Path) -> None:
    config = local_config(tmp_path, "exit")
    with pytest.raises(LocalModelError, match="exited with status 3") as caught:
        await Wasmind(config, progress=False).start()
    assert caught.value.file == str(tmp_path / "wasmind.toml")
    [launch] = launches(tmp_path / "models")
    assert not alive(launch["pid"])


async def test_a_local_run_replays_identically_without_the_server(tmp_path: Path) -> None:
    trace = tmp_path / "run.jsonl"
    recorded = await hello(local_config(tmp_path, mode="record", trace=str(trace)))
    (tmp_path / "llama-server").unlink()  # nothing could start it now
    replayed = await hello(local_config(tmp_path, mode="replay", trace=str(trace)))
    assert replayed.llm is not None and replayed.llm.local is None
    replayed.llm.check()
    assert replayed.llm.replay is not None and replayed.llm.replay.remaining == 0
    assert bus(replayed) == bus(recorded)
    assert len(launches(tmp_path / "models")) == 1
