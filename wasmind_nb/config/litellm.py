"""Upstream's ``[litellm]`` table, read for what it says about models when a config has no ``[llm]``.

Upstream Wasmind runs a LiteLLM proxy in Docker, configured by ``[[litellm.models]]``; wasmind-nb runs no
Docker. Without an ``[llm]`` section, the ``model_name`` of each entry becomes a model offered to actors
(answered by the embedded offline model, as every run without ``[llm]``), and an ``api_key`` written
``"os.environ/NAME"`` becomes ``api_key_env = "NAME"`` where the route is OpenAI-compatible. What cannot
be carried over is said in one ``ConfigWarning``, with what to set instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ENV_PREFIX = "os.environ/"
#: LiteLLM route prefixes whose providers speak OpenAI's chat completions API, with their base URLs.
OPENAI_COMPATIBLE = {
    "openai": "https://api.openai.com",
    "openrouter": "https://openrouter.ai/api",
    "groq": "https://api.groq.com/openai",
    "deepseek": "https://api.deepseek.com",
    "mistral": "https://api.mistral.ai",
    "cerebras": "https://api.cerebras.ai",
    "together_ai": "https://api.together.xyz",
    "fireworks_ai": "https://api.fireworks.ai/inference",
}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Translation:
    """The ``[llm]`` table ``[litellm]`` stands for, and what could not be carried over."""

    llm: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    base_urls: list[str] = field(default_factory=list)


def translate(litellm: Any) -> Translation:
    """Read ``[[litellm.models]]``: model names, key variables and routes."""
    result = Translation()
    entries = litellm.get("models", []) if isinstance(litellm, dict) else []
    models: list[str] = []
    keys: dict[str, list[str]] = {}  # env name -> models using it
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        name = entry.get("model_name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name:
            result.notes.append(f"litellm.models[{index}] has no model_name and is skipped")
            continue
        models.append(name)
        params = entry.get("litellm_params", {})
        params = params if isinstance(params, dict) else {}
        route = str(params.get("model", ""))
        provider = route.split("/", 1)[0] if "/" in route else ""
        base_url = params.get("api_base") or OPENAI_COMPATIBLE.get(provider)
        key = params.get("api_key")
        env = key[len(ENV_PREFIX) :] if isinstance(key, str) and key.startswith(ENV_PREFIX) else None
        if key is not None and env is None:
            result.notes.append(
                f"model '{name}' has an api_key written in the file, which is never used: keep the key in an "
                "environment variable and name it with [llm] api_key_env"
            )
        if base_url is None:
            result.notes.append(
                f"model '{name}' routes to '{route or '?'}', which does not speak OpenAI's API: reach it "
                "through an OpenAI-compatible proxy (such as LiteLLM's) with [llm] base_url and api_key_env"
            )
            continue
        if str(base_url) not in result.base_urls:
            result.base_urls.append(str(base_url))
        if env is not None and _ENV_NAME.fullmatch(env):
            keys.setdefault(env, []).append(name)
    if models:
        result.llm["models"] = list(dict.fromkeys(models))
    if len(keys) == 1:
        result.llm["api_key_env"] = next(iter(keys))
    elif len(keys) > 1:
        used = ", ".join(f"{env} ({', '.join(names)})" for env, names in keys.items())
        result.notes.append(
            f"the models use different keys ({used}) and [llm] takes one endpoint and one api_key_env: "
            "run a LiteLLM proxy and point [llm] base_url at it, or pick one provider"
        )
    return result


def describe(result: Translation, file: str) -> str:
    """The warning for a ``[litellm]`` table read in place of ``[llm]``."""
    models = ", ".join(result.llm.get("models", [])) or "none"
    parts = [
        f"{file}: [litellm] is not run here (upstream runs it in Docker); its models ({models}) are offered "
        "to actors and answered by the embedded offline model"
    ]
    if "api_key_env" in result.llm:
        parts.append(f'api_key_env = "{result.llm["api_key_env"]}" is taken from it')
    if len(result.base_urls) == 1:
        key = result.llm.get("api_key_env")
        env = f', api_key_env = "{key}"' if key else ""
        parts.append(
            f'to call the real models, write [llm] base_url = "{result.base_urls[0]}"{env} and '
            "models = [...] (an [llm] section replaces [litellm] entirely)"
        )
    return "; ".join([*parts, *result.notes])
