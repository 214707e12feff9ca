"""LLM access without a network: an embedded OpenAI-compatible server, scripts, and record/replay.

See docs/llm.md.
"""

from __future__ import annotations

from wasmind_nb.llm.script import (
    Fault,
    FunctionScript,
    Raw,
    Reply,
    Router,
    Script,
    ScriptedReplies,
    ScriptLike,
    ToolCallSpec,
    Turn,
    Usage,
    as_script,
    load_script,
    script_from_data,
)
from wasmind_nb.llm.server import EmbeddedLLM, ReceivedRequest
from wasmind_nb.llm.trace import RecordingTransport, ReplayTransport

__all__ = [
    "EmbeddedLLM",
    "Fault",
    "FunctionScript",
    "Raw",
    "ReceivedRequest",
    "RecordingTransport",
    "ReplayTransport",
    "Reply",
    "Router",
    "Script",
    "ScriptLike",
    "ScriptedReplies",
    "ToolCallSpec",
    "Turn",
    "Usage",
    "as_script",
    "load_script",
    "script_from_data",
]
