"""``%wasmind pause``, ``resume``, ``step [N]`` and ``break ...``: the bus's debugger in a cell.

Parsers and handlers for :mod:`wasmind_nb.notebook.magics`; the work is :class:`wasmind_nb.Wasmind`'s
(``pause``, ``resume``, ``step``, ``break_on``, ``breakpoints``, ``clear_breakpoint``).
"""

from __future__ import annotations

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument, magic_arguments

from wasmind_nb.errors import WasmindError
from wasmind_nb.mind import Wasmind
from wasmind_nb.notebook.session import short
from wasmind_nb.runtime.events import Envelope
from wasmind_nb.runtime.stepper import Breakpoint, BusState


@magic_arguments(name="wasmind pause")
def pause_args() -> None:
    """Pause the bus: messages posted from now on are logged (the order never changes) but reach no actor
    until `%wasmind step` or `%wasmind resume`. What actors already had queued is still handled."""


@magic_arguments(name="wasmind resume")
def resume_args() -> None:
    """Deliver every held message, in order, and run on, until the next breakpoint."""


@magic_arguments(name="wasmind step")
@argument("n", nargs="?", type=int, default=1, metavar="N", help="how many messages (default: 1)")
@argument("--timeout", type=float, default=60.0, metavar="S", help="seconds to wait at most (default: 60)")
def step_args() -> None:
    """Deliver the next N held messages, one at a time: each to every actor that receives it, the next
    one only when all their handlers have returned. Lists what was delivered."""


@magic_arguments(name="wasmind break")
@argument("action", nargs="?", choices=["list", "clear"], help="list the breakpoints, or clear them")
@argument("id", nargs="?", type=int, metavar="ID", help="with clear: only this breakpoint")
@argument("--type", metavar="TYPE", help="message type (full, or its last part: AddMessage)")
@argument("--scope", metavar="AGENT", help="the sending agent (scope or name)")
@argument("--actor", metavar="ACTOR", help="the sending actor, or an actor that receives the message")
def break_args() -> None:
    """Set a breakpoint (`%wasmind break --type AddMessage --scope coder`): the bus pauses in front of the
    next message that matches every option given. `%wasmind break list` shows them, `%wasmind break
    clear [ID]` removes one or all."""


def envelope_text(envelope: Envelope) -> str:
    """``#12 demo.Ping from wasmind__context in 000000``."""
    return f"#{envelope.seq} {envelope.message_type} from {envelope.from_actor_id} in {envelope.from_scope}"


def state_text(state: BusState) -> str:
    """``paused at #12 demo.Ping from ... (1 held; breakpoint 1 (type=Ping))``, or ``running``."""
    if not state.paused:
        return "running"
    if state.at is None:
        return f"paused ({state.reason}); nothing held yet"
    return f"paused at {envelope_text(state.at)} ({state.held} held; {state.reason})"


def breakpoint_text(point: Breakpoint) -> str:
    return f"breakpoint {point.id}: {point.describe()}"


def pause(mind: Wasmind) -> None:
    mind.pause()
    print(state_text(mind.bus_state))


def resume(mind: Wasmind) -> None:
    mind.resume()
    print(state_text(mind.bus_state))


async def step(mind: Wasmind, n: int, timeout: float) -> None:
    try:
        delivered = await mind.step(n, timeout=timeout)
    except WasmindError as err:
        raise short(err) from None
    for envelope in delivered:
        print(f"delivered {envelope_text(envelope)}")
    if len(delivered) < n:
        print(f"nothing more is held ({len(delivered)} of {n} delivered)")
    print(state_text(mind.bus_state))


def breakpoints(
    mind: Wasmind, action: str | None, point_id: int | None, fields: dict[str, str | None]
) -> None:
    given = {key: value for key, value in fields.items() if value}
    if action == "list" or (action is None and not given):
        if point_id is not None:
            raise UsageError("%wasmind break list takes no ID")
        points = mind.breakpoints
        print("\n".join(breakpoint_text(p) for p in points) if points else "no breakpoints")
        return
    if action == "clear":
        if given:
            raise UsageError("%wasmind break clear takes an ID at most, no --type/--scope/--actor")
        try:
            mind.clear_breakpoint(point_id)
        except WasmindError as err:
            raise short(err) from None
        print(f"breakpoint {point_id} cleared" if point_id is not None else "every breakpoint cleared")
        return
    if point_id is not None:
        raise UsageError("%wasmind break: an ID goes with `clear` only")
    try:
        point = mind.break_on(given.get("type"), scope=given.get("scope"), actor=given.get("actor"))
    except WasmindError as err:
        raise short(err) from None
    print(breakpoint_text(point))


__all__ = ["break_args", "pause_args", "resume_args", "state_text", "step_args"]
