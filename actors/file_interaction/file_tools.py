"""The ``file_interaction`` tools: ``read_file`` and ``edit_file`` on host files the config grants.

``FileTools`` is the whole actor (``actor.py`` exports it as ``Actor``); other actors build on it by
adding this folder to their manifest's ``python_path`` and overriding :meth:`FileTools._apply`, the one
place an edit reaches the disk.

Files are reached through WASI preopens only (``capabilities.fs``); the ``roots`` config tells the actor
which guest path shows which host folder (see ``file_roots``). Rules for edits: the file was read by this
actor and has not changed since; each ``old_string`` matches exactly once (unless ``replace_all``); an
empty ``old_string`` creates a file. Every file read or edited is kept, line-numbered, in the system
prompt through a ``Data`` contribution (key ``file_interaction:open_files``, section ``context``).
"""

from __future__ import annotations

import os
import posixpath
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from file_roots import Location, PathDenied, Root, Roots, parse_roots
from file_text import View, numbered_view, split_lines, unified_diff

from wasmind_sdk import Tool, ToolError, broadcast, working_directory
from wasmind_sdk.messages import (
    ExecuteToolCall,
    SystemPromptContribution,
    SystemPromptData,
    ToolCallResult,
    ToolCallStatus,
    UIDisplayInfo,
)
from wasmind_sdk.messages import Tool as ToolDefinition

READ_FILE = "read_file"
EDIT_FILE = "edit_file"
PROMPT_KEY = "file_interaction:open_files"
PROMPT_SECTION = "context"
PROMPT_PRIORITY = 0
DEFAULTS: dict[str, int] = {
    "max_lines": 1000,
    "max_chars": 60_000,
    "max_open_files": 20,
    "max_diff_chars": 20_000,
}

PROMPT_TEMPLATE = """\
{% if data.files %}Files you have read or edited, as they are now. Each line starts with its line \
number and a tab; these are not part of the file.
{% for file in data.files %}
<file path="{{ file.path }}" lines="{{ file.start_line }}-{{ file.end_line }}" \
total_lines="{{ file.total_lines }}">
{{ file.content }}
</file>
{% if file.truncated %}(only part of this file is shown: read_file with start_line/end_line shows the rest)
{% endif %}{% endfor %}{% endif %}"""

READ_DESCRIPTION = (
    "Read a text file, with line numbers. `path` is absolute or relative to the host working directory. "
    "`start_line` and `end_line` (1-based, inclusive) select a range; long files are cut with a notice. "
    "Files you read stay visible, up to date, in your system prompt. Read a file before editing it."
)
EDIT_DESCRIPTION = (
    "Edit a text file by exact string replacement. Each edit replaces `old_string` with `new_string`; "
    "`old_string` must match the file exactly (whitespace included) and exactly once, unless `replace_all` "
    "is true. Edits apply in order, all or none. You must read the file first, and it must not have changed "
    "since. To create a file, send one edit with an empty `old_string` and the content as `new_string`. "
    "Returns a unified diff."
)

PATH_SCHEMA = {"type": "string", "description": "File path, absolute or relative to the working directory."}
READ_PARAMETERS = {
    "type": "object",
    "properties": {
        "path": PATH_SCHEMA,
        "start_line": {"type": "integer", "minimum": 1, "description": "First line to show (default 1)."},
        "end_line": {"type": "integer", "minimum": 1, "description": "Last line to show (default: the end)."},
    },
    "required": ["path"],
}
EDIT_PARAMETERS = {
    "type": "object",
    "properties": {
        "path": PATH_SCHEMA,
        "edits": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "old_string": {
                        "type": "string",
                        "description": "Exact text to replace ('' creates a file).",
                    },
                    "new_string": {"type": "string", "description": "The replacement text."},
                    "replace_all": {
                        "type": "boolean",
                        "description": "Replace every occurrence instead of requiring exactly one.",
                    },
                },
                "required": ["old_string", "new_string"],
            },
        },
    },
    "required": ["path", "edits"],
}


class _Seen:
    """What this actor last saw of a file: its text (to detect changes) and the view in the prompt."""

    __slots__ = ("text", "view")

    def __init__(self, text: str, view: View) -> None:
        self.text = text
        self.view = view


@dataclass(frozen=True)
class Change:
    """A planned, checked edit of one file: the text before (``""`` for a new file) and after, its diff,
    and the result's headline and collapsed UI text."""

    location: Location
    before: str
    after: str
    diff: str
    head: str
    collapsed: str


def _positive_int(value: Any, where: str) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ToolError(f"{where} must be a positive integer, got {value!r}")
    return value


class FileTools(Tool):
    """Offers ``read_file`` and (unless ``allow_edits = false``) ``edit_file``."""

    def setup(self) -> None:
        allow = self.config.get("allow_edits", True)
        if not isinstance(allow, bool):
            raise ValueError(f"file_interaction config 'allow_edits' must be true or false, got {allow!r}")
        self.allow_edits = allow
        self.limits: dict[str, int] = {}
        for key, default in DEFAULTS.items():
            value = self.config.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"file_interaction config '{key}' must be a positive integer, got {value!r}")
            self.limits[key] = value
        cwd = working_directory()
        self.roots = Roots(parse_roots(self.config.get("roots"), cwd), cwd)
        self.seen: OrderedDict[str, _Seen] = OrderedDict()  # host path -> last sight, oldest first

    def definitions(self) -> list[ToolDefinition]:
        tools = [ToolDefinition.define(READ_FILE, READ_DESCRIPTION, READ_PARAMETERS)]
        if self.allow_edits:
            tools.append(ToolDefinition.define(EDIT_FILE, EDIT_DESCRIPTION, EDIT_PARAMETERS))
        return tools

    def call_tool(
        self, name: str, args: Any, request: ExecuteToolCall
    ) -> ToolCallResult | str | ToolCallStatus:
        if not isinstance(args, dict):
            raise ToolError("the arguments must be a JSON object")
        path = args.get("path")
        if not isinstance(path, str) or not path.strip():
            raise ToolError("'path' is required and must be a non-empty string")
        try:
            location = self.roots.locate(path)
        except PathDenied as err:
            raise ToolError(str(err)) from None
        self._check_granted(location.root)
        if name == READ_FILE:
            return self._read(location, args)
        return self._edit(location, args, request)

    # ------------------------------------------------------------------ read_file
    def _read(self, location: Location, args: dict[str, Any]) -> ToolCallResult:
        start = 1 if args.get("start_line") is None else _positive_int(args["start_line"], "'start_line'")
        end = None if args.get("end_line") is None else _positive_int(args["end_line"], "'end_line'")
        if end is not None and end < start:
            raise ToolError(f"'end_line' ({end}) is before 'start_line' ({start})")
        text = self._load(location)
        view = self._view(location, text, start, end)
        self._remember(location, text, view)
        header = f"{location.display} ({view.span})"
        body = view.content
        if view.truncated:
            body += (
                f"\n[cut at line {view.end_line} of {view.total_lines}: "
                f"read on with start_line={view.end_line + 1}]"
            )
        content = f"{header}:\n{body}" if body else f"{header}: (no content)"
        return ToolCallResult(content, UIDisplayInfo(f"read_file {header}", body or None))

    def _view(self, location: Location, text: str, start: int, end: int | None) -> View:
        total = len(split_lines(text))
        if start > max(total, 1):
            raise ToolError(f"'start_line' {start} is past the end of {location.display} ({total} lines)")
        return numbered_view(
            location.display,
            text,
            start,
            end,
            max_lines=self.limits["max_lines"],
            max_chars=self.limits["max_chars"],
        )

    # ------------------------------------------------------------------ edit_file
    def _edit(
        self, location: Location, args: dict[str, Any], request: ExecuteToolCall
    ) -> ToolCallResult | ToolCallStatus:
        edits = self._parse_edits(args.get("edits"))
        if edits[0][0] == "":
            return self._create(location, edits[0][1], request)
        name = location.display
        if not self._exists(location):
            raise ToolError(
                f"{name} does not exist; to create it, send one edit with an empty old_string "
                "and the whole content as new_string"
            )
        seen = self.seen.get(location.host)
        if seen is None:
            raise ToolError(f"read {name} with read_file before editing it")
        before = self._load(location)
        if before != seen.text:
            raise ToolError(f"{name} has changed since you last read it; read it again with read_file first")
        after = before
        replaced = 0
        for index, (old, new, replace_all) in enumerate(edits):
            found = after.count(old)
            if found == 0:
                raise ToolError(
                    f"edits[{index}]: old_string was not found in {name} (after the edits before it); "
                    "it must match the file exactly, including whitespace and indentation. "
                    "Nothing was changed."
                )
            if found > 1 and not replace_all:
                raise ToolError(
                    f"edits[{index}]: old_string matches {found} places in {name}; include more surrounding "
                    "text to make it unique, or set replace_all to true. Nothing was changed."
                )
            after = after.replace(old, new) if replace_all else after.replace(old, new, 1)
            replaced += found if replace_all else 1
        diff = unified_diff(name, before, after, max_chars=self.limits["max_diff_chars"])
        stats = f"+{diff.added} -{diff.removed}"
        plural = "s" if len(edits) > 1 else ""
        head = (
            f"Edited {name}: {len(edits)} edit{plural}, {replaced} replacement{'s' if replaced > 1 else ''}"
        )
        change = Change(
            location, before, after, diff.text, f"{head} ({stats} lines).", f"edit_file {name} ({stats})"
        )
        return self._apply(change, request)

    def _create(
        self, location: Location, content: str, request: ExecuteToolCall
    ) -> ToolCallResult | ToolCallStatus:
        name = location.display
        if os.path.isdir(location.guest):
            raise ToolError(f"{name} is a directory")
        if self._exists(location) and self._load(location) != "":
            raise ToolError(
                f"{name} already exists and is not empty; read it with read_file, then edit it "
                "with a non-empty old_string"
            )
        parent = posixpath.dirname(location.guest)
        try:
            if not os.path.isdir(parent):  # never makedirs a root: WASI has no "/" above the preopens
                os.makedirs(parent)
        except OSError as err:
            raise ToolError(f"cannot create the folder of {name}: {_reason(err)}") from None
        diff = unified_diff(name, "", content, max_chars=self.limits["max_diff_chars"])
        head = f"Created {name} (+{diff.added} lines)."
        return self._apply(
            Change(location, "", content, diff.text, head, f"edit_file created {name} (+{diff.added})"),
            request,
        )

    def _apply(self, change: Change, request: ExecuteToolCall) -> ToolCallResult | ToolCallStatus:
        """Write a planned edit, remember the new text, show the whole file in the prompt; the result.

        A subclass may hold the edit back and return a status such as ``ToolCallAwaitingSystem``."""
        self._write(change.location, change.after)
        self._remember(change.location, change.after, self._view(change.location, change.after, 1, None))
        text = f"{change.head}\n\n{change.diff}".rstrip("\n")
        return ToolCallResult(text, UIDisplayInfo(change.collapsed, change.diff or None))

    @staticmethod
    def _parse_edits(value: Any) -> list[tuple[str, str, bool]]:
        if not isinstance(value, list) or not value:
            raise ToolError("'edits' must be a non-empty array of {old_string, new_string, replace_all?}")
        edits = []
        for index, edit in enumerate(value):
            if not isinstance(edit, dict):
                raise ToolError(f"edits[{index}] must be an object with old_string and new_string")
            old, new, replace_all = edit.get("old_string"), edit.get("new_string"), edit.get("replace_all")
            if not isinstance(old, str) or not isinstance(new, str):
                raise ToolError(f"edits[{index}]: old_string and new_string are required strings")
            if replace_all is not None and not isinstance(replace_all, bool):
                raise ToolError(f"edits[{index}]: replace_all must be true or false")
            if old == "" and len(value) > 1:
                raise ToolError(
                    f"edits[{index}]: an empty old_string creates a file and must be the only edit"
                )
            if old == new:
                raise ToolError(f"edits[{index}]: old_string and new_string are the same")
            edits.append((old, new, bool(replace_all)))
        return edits

    # ------------------------------------------------------------------ files
    def _check_granted(self, root: Root) -> None:
        if not os.path.isdir(root.guest):
            raise ToolError(Roots.grant_hint(root))

    @staticmethod
    def _exists(location: Location) -> bool:
        return os.path.lexists(location.guest)

    @staticmethod
    def _load(location: Location) -> str:
        name = location.display
        try:
            with open(location.guest, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            raise ToolError(f"{name} does not exist") from None
        except IsADirectoryError:
            raise ToolError(f"{name} is a directory, not a file") from None
        except OSError as err:
            raise ToolError(f"cannot read {name}: {_reason(err)}") from None
        if b"\0" in data:
            raise ToolError(f"{name} is a binary file, not text")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise ToolError(f"{name} is not UTF-8 text") from None

    @staticmethod
    def _write(location: Location, text: str) -> None:
        try:
            with open(location.guest, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        except OSError as err:
            raise ToolError(f"cannot write {location.display}: {_reason(err)}") from None

    # ------------------------------------------------------------------ system prompt
    def _remember(self, location: Location, text: str, view: View) -> None:
        self.seen[location.host] = _Seen(text, view)
        self.seen.move_to_end(location.host)
        self._contribute()

    def _contribute(self) -> None:
        """Send the open files (the most recent ``max_open_files``) as a ``Data`` contribution.

        The template sees the data as ``data`` (``data.files``), as the assistant renders it.
        """
        recent = list(self.seen.values())[-self.limits["max_open_files"] :]
        data = {"files": [seen.view.to_data() for seen in recent]}
        content = SystemPromptData(data, PROMPT_TEMPLATE)
        broadcast(SystemPromptContribution(self.scope, PROMPT_KEY, content, PROMPT_PRIORITY, PROMPT_SECTION))


def _reason(err: OSError) -> str:
    return err.strerror or type(err).__name__
