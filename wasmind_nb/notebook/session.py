"""The ``%wasmind`` state of one IPython shell: the running ``Wasmind``, inline actors, open views.

Every method that waits is a coroutine, awaited by the cell that ran the magic (see ``awaiting.py``),
on the kernel's own loop. An interrupt cancels it; :func:`interruptible` turns that into a short
``KeyboardInterrupt`` and leaves the session consistent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wasmind_nb.config import ActorSpec, Config
from wasmind_nb.config.parse import read_text
from wasmind_nb.errors import BuildError, WasmindError
from wasmind_nb.host.engine import shared_engine
from wasmind_nb.mind import AgentInfo, Wasmind
from wasmind_nb.notebook import render
from wasmind_nb.notebook.liveline import activity_text, live_line
from wasmind_nb.notebook.loading import (
    cell_error,
    config_with_inline,
    inline_spec,
    load_actors,
    write_inline_actor,
)
from wasmind_nb.paths import cache_dir

if TYPE_CHECKING:
    from wasmind_nb.notebook.widget import AgentView

#: How often the loop wakes while a magic waits, so that an interrupt is seen at once (see ``interruptible``).
WAKE_INTERVAL_S = 0.1


class Interrupted(KeyboardInterrupt):
    """A blocking magic was interrupted; shown as one line instead of a traceback."""

    def _render_traceback_(self) -> list[str]:
        return [f"KeyboardInterrupt: {self}"]


def short(err: BaseException) -> BaseException:
    """Show ``err`` as ``Type: message`` (no traceback through the magic machinery) and return it."""
    err._render_traceback_ = lambda: [f"{type(err).__name__}: {err}"]  # type: ignore[attr-defined]
    return err


@contextlib.asynccontextmanager
async def interruptible(what: str, after: str = "") -> AsyncIterator[None]:
    """Run a magic's wait so that a kernel interrupt cancels it promptly and reads well.

    ipykernel turns SIGINT into cancelling the cell, but schedules that with a plain ``call_soon`` from
    the signal handler, which does not wake a sleeping loop (ipykernel issue #881): the interrupt would
    only land when something else woke the loop. A light periodic timer keeps it prompt.
    """
    loop = asyncio.get_running_loop()
    handle: asyncio.TimerHandle | None = None

    def wake() -> None:
        nonlocal handle
        handle = loop.call_later(WAKE_INTERVAL_S, wake)

    wake()
    try:
        yield
    except asyncio.CancelledError:
        raise Interrupted(f"{what} interrupted" + (f"; {after}" if after else "")) from None
    except WasmindError as err:
        raise short(err) from None
    finally:
        if handle is not None:
            handle.cancel()


class Session:
    """What ``%wasmind`` works on. ``user_ns`` receives the running ``Wasmind`` under ``var``."""

    def __init__(self, user_ns: dict[str, Any]) -> None:
        self.user_ns = user_ns
        self.mind: Wasmind | None = None
        self.inline: dict[str, ActorSpec] = {}
        self.views: list[AgentView] = []

    # ------------------------------------------------------------------ looking up
    def current(self, *, running: bool = True) -> Wasmind:
        """The session's ``Wasmind``; a clear error when there is none (or it stopped, if ``running``)."""
        mind = self.mind
        if mind is None:
            message = (
                "no Wasmind is running: start one with `%wasmind start CONFIG.toml` or `%%wasmind config`"
            )
        elif running and not mind.running:
            message = "the Wasmind has stopped: start one again with `%wasmind start` or `%%wasmind config`"
        else:
            return mind
        raise short(WasmindError(message))

    def config_from_file(self, path: str) -> Config:
        """Config from a file; relative paths resolve from its folder, errors name it as written."""
        file = Path(path).expanduser()
        try:
            text = read_text(file, what="config file")
            return config_with_inline(text, self.inline, base_dir=file.resolve().parent, source_name=path)
        except WasmindError as err:
            raise short(err) from None

    def config_from_text(self, text: str, source_name: str = "%%wasmind config") -> Config:
        """Config from a cell; relative paths resolve from the current directory (the notebook's)."""
        try:
            return config_with_inline(text, self.inline, base_dir=Path.cwd(), source_name=source_name)
        except WasmindError as err:
            raise short(err) from None

    # ------------------------------------------------------------------ lifecycle
    async def start(
        self, config: Config, *, var: str = "mind", seed: int | None = 0, workdir: Path | None = None
    ) -> Wasmind:
        """Stop the session's running ``Wasmind`` (if any), then start one for ``config`` whose agents
        work in ``workdir`` (default: the current directory)."""
        async with interruptible("%wasmind start", "nothing was started"):
            old = self.mind
            if old is not None and old.running:
                await _shutdown(old)
                print("stopped the previous Wasmind")
            self._detach_views()
            cache = cache_dir(config.runtime.cache_dir)
            standalone = config.runtime.python_build == "standalone"
            await load_actors(config.actors.values(), shared_engine(), cache, standalone=standalone)
            mind = Wasmind(config, seed=seed, progress=False, working_dir=workdir)
            try:
                async with live_line("Starting", _activity(mind)):
                    await mind.start()
            except BaseException:
                await _shutdown(mind)
                raise
            self.mind = mind
            self.user_ns[var] = mind
            print(render.started_text(mind.agents, mind.llm.mode if mind.llm else "none", var))
            return mind

    async def stop(self) -> None:
        mind = self.mind
        if mind is None or not mind.running:
            print("no Wasmind is running")
            return
        async with interruptible("%wasmind stop", "the Wasmind finishes stopping in the background"):
            await _shutdown(mind)
            self._detach_views()
            print(f"Wasmind stopped ({render.plural(len(mind.agents), 'agent')})")

    def close(self) -> None:
        """Stop without waiting (extension unloaded): schedule the shutdown on the running loop."""
        mind, self.mind = self.mind, None
        self._detach_views()
        if mind is not None and mind.running:
            with contextlib.suppress(RuntimeError):  # no running loop: nothing can be scheduled
                asyncio.get_running_loop().create_task(mind.shutdown())

    # ------------------------------------------------------------------ acting
    async def spawn(self, actors: Sequence[str], name: str | None, parent: str | None) -> AgentInfo:
        mind = self.current()
        async with interruptible("%wasmind spawn", "the agent may still be starting"):
            parent_scope = mind.scope_of(parent) if parent else None
            scope = await mind.spawn_agent(list(actors), name, parent=parent_scope)
            info = mind.agents[scope]
            print(render.spawned_text(info))
            return info

    async def send(self, target: str, text: str) -> str:
        mind = self.current()
        async with interruptible("%wasmind send"):
            scope = mind.scope_of(target)
            await mind.send_user_message(scope, text)
            print(f"sent to '{mind.agents[scope].name}' (scope {scope})")
            return scope

    async def wait(self, timeout: float | None) -> None:
        """Block until nothing is queued or running; report actors that failed meanwhile."""
        mind = self.current()
        faults_before = len(mind.faults)
        after = "the Wasmind keeps running (`%wasmind status` shows it)"
        async with interruptible("%wasmind wait", after), live_line("Waiting", _activity(mind)):
            await mind.wait_idle(timeout)
        print(render.idle_text(mind.agents, len(mind.messages)))
        faults = mind.faults[faults_before:]
        if faults:
            print(render.faults_text(faults))

    async def define_actor(
        self, name: str, source: str, *, requires: Sequence[str] = (), auto_spawn: bool = False
    ) -> ActorSpec:
        """Build a cell's source into an actor; make it spawnable in the running ``Wasmind``, if any."""
        mind = self.mind if self.mind is not None and self.mind.running else None
        settings = mind.config.runtime.cache_dir if mind is not None else None
        cache = cache_dir(settings)
        async with interruptible(f"%%wasmind actor {name}", "the actor was not defined"):
            folder = write_inline_actor(name, source, cache)
            spec = inline_spec(name, folder, requires=requires, auto_spawn=auto_spawn)
            if mind is not None:
                mind.config.with_actor(spec)  # unknown `requires` fail here, before the build
            standalone = mind is not None and mind.config.runtime.python_build == "standalone"
            try:
                components = await load_actors([spec], shared_engine(), cache, standalone=standalone)
            except BuildError as err:  # the cell's own code: point at the cell's lines, not the cache
                raise short(BuildError(cell_error(str(err), folder, name))) from None
            self.inline[name] = spec
            if mind is not None:
                await mind.add_actor(spec, loaded=components[name])
        where = "spawn it with `%wasmind spawn " + name + "`" if mind else "it joins the next start"
        print(f"actor '{name}' is ready; {where}")
        return spec

    # ------------------------------------------------------------------ views
    def view(self) -> AgentView:
        """A new ``AgentView`` following the session's ``Wasmind`` (detached when it stops)."""
        from wasmind_nb.notebook.widget import AgentView

        view = AgentView(self.current(running=False))
        self.views.append(view)
        return view

    def _detach_views(self) -> None:
        views, self.views = self.views, []
        for view in views:
            view.detach()


def _activity(mind: Wasmind) -> Callable[[float], str]:
    """What the live line of a waiting cell says about ``mind``."""

    def describe(seconds: float) -> str:
        try:
            runtime = mind.runtime
        except WasmindError:  # not started yet: its actors are loading
            return f"loading actors ({seconds:.0f} s)"
        queued, running = runtime.activity()
        live = sum(1 for agent in runtime.agents.values() if agent.live)
        return activity_text(live, len(runtime.messages), queued, running, seconds)

    return describe


async def _shutdown(mind: Wasmind) -> None:
    """Shut ``mind`` down; an interrupt stops the waiting, never the shutdown itself."""
    await asyncio.shield(asyncio.ensure_future(mind.shutdown()))


__all__ = ["Interrupted", "Session", "interruptible", "short"]
