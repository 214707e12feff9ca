"""The ``%wasmind`` line and cell magics, registered by ``%load_ext wasmind_nb``.

Subcommands that wait (start, config, spawn, send, wait, step, stop, actor) return an awaitable, and the input
transformer of ``awaiting.py`` makes the cell ``await`` it on the kernel's loop: the cell ends when the
work has ended. The others (status, graph, timeline, help) display at once.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display
from IPython.utils.process import arg_split

from wasmind_nb.errors import WasmindError
from wasmind_nb.notebook import approval_magics, help_end, render, stepping_magics
from wasmind_nb.notebook.awaiting import Pending, await_magic_calls
from wasmind_nb.notebook.loading import check_actor_name
from wasmind_nb.notebook.session import Session, short

CellUse = Literal["never", "optional", "required"]
Work = Callable[[], Awaitable[Any]]


# ---------------------------------------------------------------------------------------------- parsers
# One function per subcommand: IPython's ``magic_arguments`` builds its parser; the docstring is its help.


@magic_arguments(name="wasmind start")
@argument(
    "config", metavar="CONFIG", help="the config file (TOML); relative paths in it resolve from its folder"
)
@argument(
    "--var",
    default="mind",
    metavar="NAME",
    help="the variable that receives the Wasmind object (default: mind)",
)
@argument("--seed", type=int, default=0, metavar="N", help="seed of the scope ids (default: 0, reproducible)")
@argument(
    "--workdir",
    metavar="DIR",
    help="the agents' working directory: commands run and relative files resolve there "
    "(default: the kernel's current directory)",
)
def _start_args() -> None:
    """Start a Wasmind from a config file: build and load its actors (with a progress bar), then spawn
    ``starting_actors`` into the root scope 000000. A Wasmind already running in this notebook is
    stopped first, so re-running the cell restarts instead of leaking the old one."""


@magic_arguments(name="%wasmind config")
@argument(
    "--var",
    default="mind",
    metavar="NAME",
    help="the variable that receives the Wasmind object (default: mind)",
)
@argument("--seed", type=int, default=0, metavar="N", help="seed of the scope ids (default: 0, reproducible)")
@argument(
    "--workdir",
    metavar="DIR",
    help="the agents' working directory: commands run and relative files resolve there "
    "(default: the kernel's current directory)",
)
def _config_args() -> None:
    """Cell magic: start a Wasmind from the TOML config in the cell body, like ``start``. Relative
    paths resolve from the notebook's folder (the kernel's working directory)."""


@magic_arguments(name="wasmind spawn")
@argument("actors", nargs="+", metavar="ACTOR", help="logical actor names from the config")
@argument("--name", help="the agent's name (default: the actor names joined by '+')")
@argument("--parent", help="the parent agent, by scope or name (default: the root scope 000000)")
def _spawn_args() -> None:
    """Spawn an agent (a new scope) and wait until all its actors are ready. ``auto_spawn`` actors and
    what each actor requires join it."""


@magic_arguments(name="wasmind send")
@argument("agent", metavar="AGENT", help="the receiving agent, by scope or name")
@argument("text", nargs="*", metavar="TEXT", help="the message (the rest of the line, or the cell body)")
def _send_args() -> None:
    """Send a user message (``AddMessage``) to an agent. The text is the rest of the line (quotes around
    all of it are removed) or, as ``%%wasmind send AGENT``, the cell body, verbatim."""


@magic_arguments(name="wasmind wait")
@argument(
    "--timeout", type=float, default=None, metavar="S", help="seconds to wait at most (default: no limit)"
)
def _wait_args() -> None:
    """Block until the system is idle (nothing queued or running), then print a summary and any actor
    that failed meanwhile. Interrupt the kernel to stop waiting; the system keeps running."""


@magic_arguments(name="wasmind status")
def _status_args() -> None:
    """Show a table of every agent so far: scope, name, state, actors."""


@magic_arguments(name="wasmind graph")
def _graph_args() -> None:
    """Show the live agent graph and message timeline widget (AgentView)."""


@magic_arguments(name="wasmind timeline")
@argument(
    "--last", type=int, default=20, metavar="N", help="how many messages the text version lists (default: 20)"
)
@argument("--scope", metavar="AGENT", help="only messages from or to this agent (scope or name)")
@argument("--type", help="only message types containing this text")
@argument("--actor", help="only messages from actors whose id contains this text")
@argument("--search", metavar="TEXT", help="only messages whose payload contains this text (any case)")
def _timeline_args() -> None:
    """Show the message timeline widget, filtered; its text version lists the last messages (scope,
    number, type, sending actor)."""


@magic_arguments(name="wasmind stop")
def _stop_args() -> None:
    """Stop the running Wasmind: Exit the root scope, let every destructor run, stop the threads."""


@magic_arguments(name="%wasmind actor")
@argument("name", metavar="NAME", help="the actor's logical name")
@argument("--requires", nargs="+", default=[], metavar="ACTOR", help="actors spawned together with it")
@argument("--auto-spawn", action="store_true", help="join every agent spawned from now on")
def _actor_args() -> None:
    """Cell magic: build the cell (Python source of a module with class ``Actor``) into an actor
    component. It joins every later start, and a running Wasmind can spawn it at once."""


@magic_arguments(name="wasmind help")
@argument("subcommand", nargs="?", metavar="SUBCOMMAND", help="a subcommand")
def _help_args() -> None:
    """Show the help of ``%wasmind`` or of one subcommand."""


@dataclass(frozen=True)
class Subcommand:
    """One ``%wasmind`` subcommand: its parser, whether it waits, and whether it takes a cell body."""

    name: str
    args: Callable[[], None]
    usage: str
    summary: str
    blocking: bool = False
    cell: CellUse = "never"

    def help(self) -> str:
        return self.args.parser.format_help()  # type: ignore[attr-defined]


SUBCOMMANDS: dict[str, Subcommand] = {
    s.name: s
    for s in (
        Subcommand("start", _start_args, "%wasmind start CONFIG.toml", "start a config file", True),
        Subcommand(
            "config", _config_args, "%%wasmind config", "start the config in the cell", True, "required"
        ),
        Subcommand("spawn", _spawn_args, "%wasmind spawn ACTOR... --name NAME", "spawn an agent", True),
        Subcommand("send", _send_args, "%wasmind send AGENT TEXT", "send a user message", True, "optional"),
        Subcommand("wait", _wait_args, "%wasmind wait [--timeout S]", "block until idle", True),
        Subcommand("status", _status_args, "%wasmind status", "table of the agents"),
        Subcommand("graph", _graph_args, "%wasmind graph", "agent graph and timeline widget"),
        Subcommand("timeline", _timeline_args, "%wasmind timeline [--last N]", "message timeline widget"),
        Subcommand("stop", _stop_args, "%wasmind stop", "stop the Wasmind", True),
        Subcommand(
            "actor", _actor_args, "%%wasmind actor NAME", "build the cell into an actor", True, "required"
        ),
        Subcommand("pause", stepping_magics.pause_args, "%wasmind pause", "hold every new message"),
        Subcommand("resume", stepping_magics.resume_args, "%wasmind resume", "deliver what is held, run on"),
        Subcommand("step", stepping_magics.step_args, "%wasmind step [N]", "deliver N held messages", True),
        Subcommand(
            "break", stepping_magics.break_args, "%wasmind break [list|clear|--type ...]", "breakpoints"
        ),
        Subcommand(
            "approvals", approval_magics.approvals_args, "%wasmind approvals", "tool calls awaiting approval"
        ),
        Subcommand("approve", approval_magics.approve_args, "%wasmind approve ID", "run a held tool call"),
        Subcommand(
            "reject",
            approval_magics.reject_args,
            "%wasmind reject ID REASON",
            "refuse a held call",
            cell="optional",
        ),
        Subcommand("help", _help_args, "%wasmind help [SUBCOMMAND]", "this help, or a subcommand's"),
    )
}
BLOCKING = frozenset(name for name, sub in SUBCOMMANDS.items() if sub.blocking)

_OVERVIEW = (
    "`%wasmind help SUBCOMMAND` (or `%wasmind SUBCOMMAND -h`) describes one. Subcommands that wait "
    "({blocking}) are awaited by the cell itself on the kernel's event loop: the cell ends when they end, "
    "the cells after it run as usual, and interrupting the kernel cancels the wait. Once started, the "
    "Wasmind is the variable `mind`, so `await mind.broadcast(...)` works in any cell."
)


def overview() -> str:
    width = max(len(s.usage) for s in SUBCOMMANDS.values())
    table = "\n".join(f"    {s.usage.ljust(width)}  {s.summary}" for s in SUBCOMMANDS.values())
    text = textwrap.fill(_OVERVIEW.format(blocking=", ".join(sorted(BLOCKING))), width=100)
    return f"Run and watch a Wasmind actor system in this notebook.\n\n{table}\n\n{text}\n"


def full_help() -> str:
    parts = [overview()]
    for sub in SUBCOMMANDS.values():
        parts.append(sub.help())
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------- parsing


def split_subcommand(line: str) -> tuple[str, str]:
    """``"spawn echo --name w"`` -> ``("spawn", "echo --name w")``."""
    parts = line.strip().split(None, 1)
    return (parts[0], parts[1] if len(parts) > 1 else "") if parts else ("", "")


def unquote(text: str) -> str:
    """Remove one pair of matching quotes around the whole of ``text``."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def wants_help(rest: str) -> bool:
    try:
        tokens = arg_split(rest, strict=False)
    except ValueError:
        return False
    return "-h" in tokens or "--help" in tokens


def workdir(args: argparse.Namespace) -> Path | None:
    """The ``--workdir`` of start/config, checked: an existing folder (``None``: the current one)."""
    if args.workdir is None:
        return None
    folder = Path(unquote(args.workdir)).expanduser()
    if not folder.is_dir():
        raise UsageError(f"--workdir {args.workdir}: no such folder")
    return folder.resolve()


def parse(sub: Subcommand, rest: str) -> argparse.Namespace:
    """Parse a subcommand's arguments; a ``UsageError`` names the subcommand and shows its usage."""
    try:
        return parse_argstring(sub.args, rest)
    except UsageError as err:
        usage = sub.args.parser.format_usage().strip().removeprefix("::").strip()  # type: ignore[attr-defined]
        raise UsageError(f"%wasmind {sub.name}: {err}\nusage: {usage}") from None
    except ValueError as err:  # unbalanced quotes
        raise UsageError(f"%wasmind {sub.name}: {err}") from None


def check_var(name: str) -> None:
    if not name.isidentifier():
        raise UsageError(f"--var: '{name}' is not a Python variable name")


def send_text(rest: str, cell: str | None) -> tuple[str, str]:
    """The target agent and the text of ``send``: the rest of the line after the agent, or the cell."""
    stripped = rest.strip()
    tokens = arg_split(stripped, strict=False)
    if not tokens:
        raise UsageError("%wasmind send: name the agent (scope or name) and give the text")
    agent = tokens[0]
    line_text = stripped[len(agent) :].strip()
    if cell is not None:
        if line_text:
            raise UsageError("%%wasmind send: give the text either on the line or in the cell, not both")
        text = cell.rstrip("\n")
    else:
        text = unquote(line_text)
    if not text.strip():
        raise UsageError("%wasmind send: the message text is empty")
    return unquote(agent), text


# ---------------------------------------------------------------------------------------------- magics


async def _print_async(text: str) -> None:
    print(text)


async def _quietly(work: Work) -> None:
    """Run ``work`` for its output only: a magic's value would become the cell's ``Out``."""
    await work()


@magics_class
class WasmindMagics(Magics):
    """``%wasmind`` / ``%%wasmind``; the state lives in :attr:`session`."""

    def __init__(self, shell: InteractiveShell) -> None:
        super().__init__(shell)
        self.session = Session(shell.user_ns)

    @line_cell_magic
    def wasmind(self, line: str, cell: str | None = None) -> Pending | None:
        name, rest = split_subcommand(line)
        if not name:
            print(overview())
            return None
        sub = SUBCOMMANDS.get(name)
        if sub is None:
            known = ", ".join(SUBCOMMANDS)
            raise UsageError(f"unknown subcommand '{name}' (one of: {known}); see `%wasmind help`")
        if wants_help(rest):
            if sub.blocking:  # the cell awaits whatever a blocking subcommand returns
                return Pending(f"%wasmind {name}", partial(_print_async, sub.help()))
            print(sub.help())
            return None
        if cell is None and sub.cell == "required":
            raise UsageError(f"`{name}` is a cell magic: write `%%wasmind {name} ...` with the body below it")
        if cell is not None and sub.cell == "never":
            raise UsageError(f"`%%wasmind {name}` takes no cell body: use `%wasmind {name}`")
        handler: Callable[[str, str | None], Any] = getattr(self, f"_{name}")
        work = handler(rest, cell)
        return Pending(f"%wasmind {name}", partial(_quietly, work)) if sub.blocking else None

    # -- blocking subcommands: parse and check now (errors show at once), return the work to await

    def _start(self, rest: str, cell: str | None) -> Work:
        args = parse(SUBCOMMANDS["start"], rest)
        check_var(args.var)
        config = self.session.config_from_file(unquote(args.config))
        return partial(self.session.start, config, var=args.var, seed=args.seed, workdir=workdir(args))

    def _config(self, rest: str, cell: str | None) -> Work:
        args = parse(SUBCOMMANDS["config"], rest)
        check_var(args.var)
        config = self.session.config_from_text(cell or "")
        return partial(self.session.start, config, var=args.var, seed=args.seed, workdir=workdir(args))

    def _spawn(self, rest: str, cell: str | None) -> Work:
        args = parse(SUBCOMMANDS["spawn"], rest)
        actors = [unquote(a) for a in args.actors]
        name = unquote(args.name) if args.name else None
        parent = unquote(args.parent) if args.parent else None
        self.session.current()
        return partial(self.session.spawn, actors, name, parent)

    def _send(self, rest: str, cell: str | None) -> Work:
        agent, text = send_text(rest, cell)
        self.session.current()
        return partial(self.session.send, agent, text)

    def _wait(self, rest: str, cell: str | None) -> Work:
        args = parse(SUBCOMMANDS["wait"], rest)
        if args.timeout is not None and args.timeout <= 0:
            raise UsageError("%wasmind wait: --timeout must be positive")
        self.session.current()
        return partial(self.session.wait, args.timeout)

    def _stop(self, rest: str, cell: str | None) -> Work:
        parse(SUBCOMMANDS["stop"], rest)
        return self.session.stop

    def _actor(self, rest: str, cell: str | None) -> Work:
        args = parse(SUBCOMMANDS["actor"], rest)
        if not (cell or "").strip():
            raise UsageError("%%wasmind actor: the cell body must be the actor's Python source")
        try:
            check_actor_name(unquote(args.name))
        except WasmindError as err:
            raise short(err) from None
        requires = [unquote(r) for r in args.requires]
        return partial(
            self.session.define_actor,
            unquote(args.name),
            cell or "",
            requires=requires,
            auto_spawn=args.auto_spawn,
        )

    def _step(self, rest: str, cell: str | None) -> Work:
        args = parse(SUBCOMMANDS["step"], rest)
        if args.n < 1:
            raise UsageError("%wasmind step: N must be 1 or more")
        return partial(stepping_magics.step, self.session.current(), args.n, args.timeout)

    # -- immediate subcommands

    def _approve(self, rest: str, cell: str | None) -> None:
        args = parse(SUBCOMMANDS["approve"], rest)
        approval_magics.approve(self.session.current(), unquote(args.id))

    def _reject(self, rest: str, cell: str | None) -> None:
        approval_id, reason = approval_magics.reject_text(rest, cell)
        approval_magics.reject(self.session.current(), approval_id, reason)

    def _approvals(self, rest: str, cell: str | None) -> None:
        parse(SUBCOMMANDS["approvals"], rest)
        approval_magics.show(self.session.current())

    def _pause(self, rest: str, cell: str | None) -> None:
        parse(SUBCOMMANDS["pause"], rest)
        stepping_magics.pause(self.session.current())

    def _resume(self, rest: str, cell: str | None) -> None:
        parse(SUBCOMMANDS["resume"], rest)
        stepping_magics.resume(self.session.current())

    def _break(self, rest: str, cell: str | None) -> None:
        args = parse(SUBCOMMANDS["break"], rest)
        fields = {"type": args.type, "scope": args.scope, "actor": args.actor}
        fields = {key: unquote(value) if value else None for key, value in fields.items()}
        stepping_magics.breakpoints(self.session.current(), args.action, args.id, fields)

    def _status(self, rest: str, cell: str | None) -> None:
        parse(SUBCOMMANDS["status"], rest)
        mind = self.session.current(running=False)
        table = render.StatusTable(
            mind.agents,
            messages=len(mind.messages),
            running=mind.running,
            grants=mind.grants,
            denials=mind.runtime.denial_count,
        )
        display(table)

    def _graph(self, rest: str, cell: str | None) -> None:
        parse(SUBCOMMANDS["graph"], rest)
        display(self.session.view())

    def _timeline(self, rest: str, cell: str | None) -> None:
        from wasmind_nb.notebook.snapshot import render_html

        args = parse(SUBCOMMANDS["timeline"], rest)
        if args.last < 0:
            raise UsageError("%wasmind timeline: --last must be 0 or more")
        mind = self.session.current(running=False)
        try:
            scope = mind.scope_of(unquote(args.scope)) if args.scope else None
        except WasmindError as err:
            raise short(err) from None
        view = self.session.view()
        filters = {"type": args.type, "actor": args.actor, "text": args.search}
        view.filter(scope=scope or "", **{key: unquote(value or "") for key, value in filters.items()})
        rows = view.filtered_messages()
        filtered = bool(scope) or any(filters.values())

        def html() -> str:  # the matching messages now, and at the stop (notebook/freezing.py)
            matching = view.filtered_messages()
            return render_html(view.agents, matching, total=len(matching), last=args.last)

        view.show(
            text=render.timeline_text(rows, view.message_count, args.last, filtered=filtered), html=html
        )

    def _help(self, rest: str, cell: str | None) -> None:
        args = parse(SUBCOMMANDS["help"], rest)
        if args.subcommand is None:
            print(overview())
            return
        sub = SUBCOMMANDS.get(args.subcommand)
        if sub is None:
            raise UsageError(f"unknown subcommand '{args.subcommand}' (one of: {', '.join(SUBCOMMANDS)})")
        print(sub.help())


WasmindMagics.wasmind.__doc__ = full_help()


# ---------------------------------------------------------------------------------------------- extension

_TRANSFORMER = "_wasmind_await_transformer"


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """Register ``%wasmind`` and the input transformer that awaits its blocking subcommands."""
    magics = WasmindMagics(ipython)
    ipython.register_magics(magics)

    def transform(lines: list[str]) -> list[str]:
        if not ipython.autoawait:  # `await` would be a syntax error; the magics return `Pending`
            return lines
        return await_magic_calls(lines, magic="wasmind", blocking=BLOCKING)

    ipython.input_transformers_post.append(transform)
    help_end.install(ipython.input_transformer_manager)
    setattr(ipython, _TRANSFORMER, (transform, magics))


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    """Remove the transformer and schedule the shutdown of a running Wasmind."""
    registered = getattr(ipython, _TRANSFORMER, None)
    if registered is None:
        return
    transform, magics = registered
    if transform in ipython.input_transformers_post:
        ipython.input_transformers_post.remove(transform)
    help_end.uninstall(ipython.input_transformer_manager)
    magics.session.close()
    delattr(ipython, _TRANSFORMER)
