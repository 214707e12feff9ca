"""wasmind_sdk: write Wasmind actors in Python (imported inside the component).

Standard library only: it runs in CPython compiled to WebAssembly by componentize-py.
"""

from wasmind_sdk import messages
from wasmind_sdk.actor import ActorBase, EnvelopeLike, MalformedPayload, on, parse_payload
from wasmind_sdk.host import (
    CommandResult,
    HostError,
    HttpResult,
    broadcast,
    debug,
    error,
    http_request,
    info,
    log,
    os_info,
    parent_scope,
    parent_scope_of,
    run_command,
    spawn_agent,
    warn,
    working_directory,
)
from wasmind_sdk.messages import decode, encode
from wasmind_sdk.panel import MemberSpawnError, Panel, Round, Seat
from wasmind_sdk.sampling import Sampling
from wasmind_sdk.tool import FinalTool, Tool, ToolError, parse_flag

__all__ = [
    "ActorBase",
    "CommandResult",
    "EnvelopeLike",
    "FinalTool",
    "HostError",
    "HttpResult",
    "MalformedPayload",
    "MemberSpawnError",
    "Panel",
    "Round",
    "Sampling",
    "Seat",
    "Tool",
    "ToolError",
    "broadcast",
    "debug",
    "decode",
    "encode",
    "error",
    "http_request",
    "info",
    "log",
    "messages",
    "on",
    "os_info",
    "parent_scope",
    "parent_scope_of",
    "parse_flag",
    "parse_payload",
    "run_command",
    "spawn_agent",
    "warn",
    "working_directory",
]
