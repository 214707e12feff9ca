"""A live line for a cell that waits: what the system is doing now, gone when the wait ends.

``%wasmind wait`` and ``%wasmind start`` can take a while (a model answering, agents starting). While they
wait, a one-line tqdm display (a widget in a notebook, a line on stderr in a terminal) shows, twice a
second, what runs and how much is queued; when the wait ends the line is removed and the cell prints its
usual summary. In a notebook the line's output has an empty ``text/plain`` and, once the wait ends, no
widget any more (``notebook/freezing.py``): a saved notebook shows nothing where it was, with or without
a kernel, and nbval (which ignores the widget's updates) sees the same empty text however long the wait
took.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

from wasmind_nb.notebook.freezing import close_bar, progress_bar
from wasmind_nb.notebook.render import plural

UPDATE_EVERY_S = 0.5


@contextlib.asynccontextmanager
async def live_line(label: str, describe: Callable[[float], str]) -> AsyncIterator[None]:
    """Show ``label`` and, every :data:`UPDATE_EVERY_S`, ``describe(seconds since the start)`` while the
    block runs; remove the line when it ends, however it ends."""
    bar, shown = progress_bar("", total=None, desc=label, bar_format="{desc}{postfix}", leave=False)
    started = time.monotonic()

    async def update() -> None:
        while True:
            await asyncio.sleep(UPDATE_EVERY_S)
            bar.set_postfix_str(describe(time.monotonic() - started), refresh=True)

    task = asyncio.ensure_future(update())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        close_bar(bar, shown, final_text=False)


def activity_text(agents: int, messages: int, queued: int, running: list[str], seconds: float) -> str:
    """``3 agents, 120 messages, 2 queued; running assistant@a1B2c3 on AddMessage (4 s)``."""
    now = f"running {running[0]}" if running else "between calls"
    if len(running) > 1:
        now += f" and {len(running) - 1} more"
    return (
        f"{plural(agents, 'agent')}, {plural(messages, 'message')}, {queued} queued; {now} ({seconds:.0f} s)"
    )


__all__ = ["UPDATE_EVERY_S", "activity_text", "live_line"]
