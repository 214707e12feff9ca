"""Settings, the transcript the model reads, and the one chat completion that summarises it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from wasmind_sdk import HostError, http_request
from wasmind_sdk.messages import AssistantMessage, ChatMessage, SystemMessage, ToolMessage, UserMessage
from wasmind_sdk.sampling import Sampling

INSTRUCTIONS = (
    "You condense the working memory of an AI agent. Below is the transcript of its conversation so far. "
    "Write a short summary that lets the agent carry on without the transcript: the overall goal, what has "
    "been done and learned (facts, decisions, names of files, commands and their outcomes that still "
    "matter), what is in progress, and the next step. Leave out pleasantries and raw tool output. Answer "
    "with the summary only."
)
TOOL_OUTPUT_LIMIT = 2000
"""Characters of one tool result kept in the transcript."""
RETRY_STATUSES = [429, 500, 502, 503, 504]


class SummaryError(Exception):
    """The summary could not be made; the message says why."""


@dataclass(frozen=True)
class CompactionSettings:
    """The actor's config (see README.md)."""

    token_threshold: int
    model_name: str
    base_url: str | None = None
    instructions: str = INSTRUCTIONS
    request_timeout_s: int = 120
    max_attempts: int = 4
    base_delay_ms: int = 1000
    sampling: Sampling = field(default_factory=Sampling)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> CompactionSettings:
        """Check the config table; a missing or mistyped key raises ``ValueError`` naming it."""
        threshold = config.get("token_threshold")
        if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
            raise ValueError(
                "conversation_compaction config: 'token_threshold' is required, a positive integer "
                f"(e.g. token_threshold = 50000); got {threshold!r}"
            )
        model = config.get("model_name")
        if not isinstance(model, str) or not model.strip():
            raise ValueError(
                "conversation_compaction config: 'model_name' is required, the model that writes the "
                f'summaries (e.g. model_name = "gpt-4o-mini"); got {model!r}'
            )
        base_url = config.get("base_url")
        instructions = config.get("instructions", INSTRUCTIONS)
        if base_url is not None and not isinstance(base_url, str):
            raise ValueError(f"conversation_compaction config: 'base_url' must be a string, got {base_url!r}")
        if not isinstance(instructions, str) or not instructions.strip():
            raise ValueError("conversation_compaction config: 'instructions' must be a non-empty string")
        return cls(
            token_threshold=threshold,
            model_name=model,
            base_url=base_url.rstrip("/") if base_url else None,
            instructions=instructions,
            request_timeout_s=_positive(config, "request_timeout_s", 120),
            max_attempts=_positive(config, "max_attempts", 4),
            base_delay_ms=_positive(config, "base_delay_ms", 1000, minimum=0),
            sampling=Sampling.from_config(config, "conversation_compaction"),
        )


def _positive(config: dict[str, Any], key: str, default: int, minimum: int = 1) -> int:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(
            f"conversation_compaction config: '{key}' must be an integer >= {minimum}, got {value!r}"
        )
    return value


def transcript(messages: Sequence[ChatMessage]) -> str:
    """The conversation as plain text, one ``[role]`` block per message."""
    blocks = []
    for message in messages:
        if isinstance(message, SystemMessage | UserMessage):
            blocks.append(f"[{message.ROLE}]\n{message.content}")
        elif isinstance(message, AssistantMessage):
            lines = [message.content] if message.content else []
            lines += [f"(calls {c.function.name} {c.function.arguments})" for c in message.tool_calls or []]
            blocks.append("[assistant]\n" + "\n".join(lines))
        elif isinstance(message, ToolMessage):
            content = message.content
            if len(content) > TOOL_OUTPUT_LIMIT:
                content = content[:TOOL_OUTPUT_LIMIT] + f"\n... ({len(message.content)} characters in all)"
            blocks.append(f"[tool {message.name or message.tool_call_id}]\n{content}")
    return "\n\n".join(blocks)


def summarise(settings: CompactionSettings, base_url: str, messages: Sequence[ChatMessage]) -> str:
    """Ask the model for a summary of ``messages``. Raises :class:`SummaryError`."""
    body = {
        "model": settings.model_name,
        "messages": [
            {"role": "system", "content": settings.instructions},
            {"role": "user", "content": transcript(messages)},
        ],
        **settings.sampling.body_fields(),
    }
    url = f"{base_url.rstrip('/')}/v1/chat/completions"
    try:
        response = http_request(
            "POST",
            url,
            json_body=body,
            timeout_s=settings.request_timeout_s,
            max_attempts=settings.max_attempts,
            base_delay_ms=settings.base_delay_ms,
            retry_on_status=RETRY_STATUSES,
        )
    except HostError as err:
        raise SummaryError(f"POST {url} failed: {err}") from None
    if not 200 <= response.status < 300:
        raise SummaryError(f"POST {url} answered HTTP {response.status}")
    try:
        content = json.loads(response.body)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise SummaryError("the model's reply is not a chat completion") from None
    if not isinstance(content, str) or not content.strip():
        raise SummaryError("the model's reply has no text")
    return content.strip()
