"""The ``execute_bash`` tool: run a bash command line on the host through the ``command`` capability.

The command runs as ``bash -c <command> execute_bash <args...>``, so ``args`` are ``$1``, ``$2``, ... inside
it, in the host's OS sandbox, where the working directory is granted at ``/work``; relative directories
resolve against it (the host applies it). Each output
stream keeps its first ``max_output_bytes`` bytes. Exit code 0 is an ``Ok`` result, anything else an ``Err``.
"""

from __future__ import annotations

from typing import Any

from wasmind_sdk import CommandResult, HostError, Tool, ToolError, run_command
from wasmind_sdk.messages import ExecuteToolCall, ToolCallResult, ToolCallStatus, UIDisplayInfo
from wasmind_sdk.messages import Tool as ToolDefinition

MIN_TIMEOUT_S = 1
MAX_TIMEOUT_S = 600
DEFAULT_TIMEOUT_S = 30
DEFAULT_MAX_OUTPUT_BYTES = 5_000
SHELL = "bash"
SCRIPT_NAME = "execute_bash"  # $0 inside the command
SUMMARY_CHARS = 80


def _timeout_value(value: Any, where: str) -> int:
    """An integer number of seconds in 1..600 (integral floats and digit strings are accepted)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where} must be an integer number of seconds, got {value!r}")
    if not MIN_TIMEOUT_S <= value <= MAX_TIMEOUT_S:
        raise ValueError(f"{where} must be between {MIN_TIMEOUT_S} and {MAX_TIMEOUT_S} seconds, got {value}")
    return value


def _summary(command: str) -> str:
    """The command on one short line, for the collapsed UI view."""
    lines = command.strip().splitlines() or [""]
    text = lines[0]
    if len(text) > SUMMARY_CHARS or len(lines) > 1:
        text = text[: SUMMARY_CHARS - 1].rstrip() + "…"
    return f"$ {text}"


class Actor(Tool):
    """Offers ``execute_bash``. Config: ``timeout_default`` (s, default 30), ``max_output_bytes`` (5,000)."""

    name = "execute_bash"

    def setup(self) -> None:
        self.timeout_default = _timeout_value(
            self.config.get("timeout_default", DEFAULT_TIMEOUT_S), "execute_bash config 'timeout_default'"
        )
        cap = self.config.get("max_output_bytes", DEFAULT_MAX_OUTPUT_BYTES)
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
            raise ValueError(
                f"execute_bash config 'max_output_bytes' must be a positive integer, got {cap!r}"
            )
        self.max_output_bytes = cap
        self._err_result: ToolCallResult | None = None

    def definitions(self) -> list[ToolDefinition]:
        description = (
            "Run a bash command on the host and return its exit code, stdout and stderr. The command runs "
            "as `bash -c <command>`; `args` become its positional parameters ($1, $2, ...). `directory` is "
            "the working directory (relative paths resolve against the working directory, /work). The "
            f"command is killed after `timeout` seconds (default {self.timeout_default}, at most "
            f"{MAX_TIMEOUT_S}). "
            f"Only the first {self.max_output_bytes} bytes of stdout and of stderr are returned: redirect "
            "large output to a file and inspect it in parts. stdin is empty; nothing is interactive."
        )
        parameters = {
            "type": "object",
            "properties": {
                "command": {"type": "string", "description": "The bash command line to run."},
                "args": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Positional parameters for the command: $1, $2, ...",
                },
                "directory": {
                    "type": "string",
                    "description": "Working directory; default: the working directory, /work.",
                },
                "timeout": {
                    "type": "integer",
                    "minimum": MIN_TIMEOUT_S,
                    "maximum": MAX_TIMEOUT_S,
                    "description": f"Seconds before the command is killed (default {self.timeout_default}).",
                },
            },
            "required": ["command"],
        }
        return [ToolDefinition.define(self.name, description, parameters)]

    def call(self, args: Any, request: ExecuteToolCall) -> ToolCallResult | str:
        command, positional, directory, timeout = self._parse(args)
        summary = _summary(command)
        self.reply(request, ToolCallStatus.received(summary, command))
        try:
            result = run_command(
                SHELL,
                ["-c", command, SCRIPT_NAME, *positional],
                cwd=directory,
                timeout_s=timeout,
                max_output_bytes=self.max_output_bytes,
            )
        except HostError as err:
            raise ToolError(f"The command could not be run: {err}") from None
        return self._result(summary, result, timeout)

    def _parse(self, args: Any) -> tuple[str, list[str], str | None, int]:
        if not isinstance(args, dict):
            raise ToolError("execute_bash: the arguments must be a JSON object with at least 'command'")
        command = args.get("command")
        if not isinstance(command, str) or not command.strip():
            raise ToolError("execute_bash: 'command' is required and must be a non-empty string")
        positional = args.get("args")
        if positional is None:
            positional = []
        elif not isinstance(positional, list) or not all(isinstance(a, str) for a in positional):
            raise ToolError("execute_bash: 'args' must be an array of strings")
        directory = args.get("directory")
        if directory is not None and (not isinstance(directory, str) or not directory):
            raise ToolError("execute_bash: 'directory' must be a non-empty string")
        timeout = args.get("timeout")
        try:
            seconds = self.timeout_default if timeout is None else _timeout_value(timeout, "'timeout'")
        except ValueError as err:
            raise ToolError(f"execute_bash: {err}") from None
        return command, positional, directory, seconds

    def _streams(self, result: CommandResult) -> str:
        blocks = []
        for name, text, truncated in (
            ("stdout", result.stdout, result.stdout_truncated),
            ("stderr", result.stderr, result.stderr_truncated),
        ):
            if not text and not truncated:
                continue
            block = f"{name}:\n{text}"
            if not block.endswith("\n"):
                block += "\n"
            if truncated:
                block += (
                    f"[{name} truncated: only the first {self.max_output_bytes} bytes are shown; "
                    "redirect the output to a file and read it in parts]\n"
                )
            blocks.append(block)
        return "\n".join(blocks) if blocks else "(no output)\n"

    def _result(self, summary: str, result: CommandResult, timeout: int) -> ToolCallResult:
        output = self._streams(result)
        if result.timed_out:
            head, status = (
                f"The command timed out after {timeout} s and was killed.",
                f"timed out after {timeout} s",
            )
        elif result.signal is not None:
            head, status = f"The command was killed by signal {result.signal}.", f"signal {result.signal}"
        elif result.ok:
            head, status = "Exit code: 0", "exit 0"
        else:
            head, status = (
                f"The command failed with exit code {result.exit_code}.",
                f"exit {result.exit_code}",
            )
        content = f"{head}\n\n{output}".rstrip("\n")
        info = UIDisplayInfo(f"{summary}  ({status})", output.rstrip("\n"))
        if not result.ok:
            raise ToolError(ToolCallResult(content, info))
        return ToolCallResult(content, info)
