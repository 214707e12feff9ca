"""``[llm] local``: how the table is read, and each mistake named by its file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from wasmind_nb.config import Config, LocalModelSettings
from wasmind_nb.errors import ConfigError


def load(tmp_path: Path, llm: str) -> Config:
    path = tmp_path / "project" / "wasmind.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text("[llm]\n" + llm + "\n")
    return Config.from_file(path)


def test_the_model_path_resolves_from_the_config_folder_and_names_the_model(tmp_path: Path) -> None:
    local = load(tmp_path, 'local = { model = "models/tiny-chat.Q4_K_M.gguf" }').llm.local
    assert local == LocalModelSettings(model=str(tmp_path / "project" / "models" / "tiny-chat.Q4_K_M.gguf"))
    assert local.served_name == "tiny-chat.Q4_K_M"
    assert (local.name, local.ctx_size, local.threads, local.server, local.args) == (
        None,
        8192,
        None,
        None,
        [],
    )
    assert local.startup_timeout_s == 120.0


def test_every_optional_key(tmp_path: Path) -> None:
    local = load(
        tmp_path,
        'mode = "record"\ntrace = "run.jsonl"\n[llm.local]\nmodel = "m.gguf"\nname = "tiny"\n'
        "ctx_size = 2048\n"
        'threads = 2\nserver = "bin/llama-server"\nstartup_timeout_s = 30\nargs = ["--flash-attn", "on"]',
    ).llm.local
    assert local.served_name == "tiny"
    assert (local.ctx_size, local.threads, local.startup_timeout_s) == (2048, 2, 30.0)
    assert local.server == str(tmp_path / "project" / "bin" / "llama-server")
    assert local.args == ["--flash-attn", "on"]


def test_a_bare_server_name_is_a_command_on_path(tmp_path: Path) -> None:
    local = load(tmp_path, 'local = { model = "m.gguf", server = "llama-server" }').llm.local
    assert local.server == "llama-server"


@pytest.mark.parametrize(
    ("llm", "key", "words"),
    [
        ("local = {}", "llm.local.model", "missing required key 'model'"),
        ('local = { model = "" }', "llm.local.model", "path of a GGUF file"),
        ('local = { model = "m.gguf", ctx_sze = 1 }', "llm.local.ctx_sze", "unknown key 'ctx_sze'"),
        ('local = { model = "m.gguf", threads = 0 }', "llm.local.threads", "greater than or equal to 1"),
        (
            'local = { model = "m.gguf", startup_timeout_s = 0 }',
            "llm.local.startup_timeout_s",
            "greater than 0",
        ),
        ('local = { model = "m.gguf", name = " " }', "llm.local.name", "must not be empty"),
        ('local = { model = "m.gguf", args = ["--port", "1"] }', "llm.local.args", "127.0.0.1 only"),
        ('local = { model = "m.gguf", args = ["--host=0.0.0.0"] }', "llm.local.args", "127.0.0.1 only"),
        ('local = { model = "m.gguf", args = ["-c", "512"] }', "llm.local.args", "'ctx_size' key"),
        ('local = { model = "m.gguf", args = ["--alias", "x"] }', "llm.local.args", "'name' key"),
        ('local = { model = "m.gguf", args = ["-hf", "org/repo"] }', "llm.local.args", "downloads a model"),
        ('base_url = "http://127.0.0.1:8080"\nlocal = { model = "m.gguf" }', "llm.local", "not both"),
        ('script = "replies.toml"\nlocal = { model = "m.gguf" }', "llm.local", "embedded model"),
        ('api_key_env = "OPENAI_API_KEY"\nlocal = { model = "m.gguf" }', "llm.local", "needs no API key"),
        ('mode = "embedded"\nlocal = { model = "m.gguf" }', "llm.local", "mode 'embedded'"),
        ('mode = "remote"\nlocal = { model = "m.gguf" }', "llm.local", "mode 'remote'"),
    ],
)
def test_a_mistake_names_the_file_and_key(tmp_path: Path, llm: str, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, llm)
    assert caught.value.key == key
    assert caught.value.file == str(tmp_path / "project" / "wasmind.toml")
    assert words in str(caught.value)
