"""The magics in a real IPython kernel (jupyter_client): blocking waits, cell order, where output lands,
interrupts, and restarts. Nothing here measures time: each test observes what the kernel did."""

from __future__ import annotations

import os
import re
import shutil
import textwrap
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from jupyter_client import KernelManager

from wasmind_nb.paths import cache_dir

ACTORS = Path(__file__).parents[1] / "actors"
CONFIG = """
starting_actors = ["echo"]
[actors.echo]
source = { path = "actors/echo" }
[actors.probe]
source = { path = "actors/probe" }
capabilities = { commands = ["sleep"] }
"""
MESSAGE_TIMEOUT_S = 240  # a cold build of the test actors happens inside a cell


@dataclass
class Cell:
    """What one execute request produced: its reply status and its iopub outputs, in order."""

    msg_id: str
    status: str = ""
    outputs: list[dict[str, Any]] = field(default_factory=list)
    comms: list[dict[str, Any]] = field(default_factory=list)  # widget messages (opened, updated, closed)

    @property
    def stdout(self) -> str:
        return "".join(o["text"] for o in self.outputs if o["msg_type"] == "stream" and o["name"] == "stdout")

    @property
    def error(self) -> dict[str, Any] | None:
        return next((o for o in self.outputs if o["msg_type"] == "error"), None)

    @property
    def text(self) -> str:
        """Every text the cell showed (streams, text/plain of displays, error name and value)."""
        parts = []
        for o in self.outputs:
            if o["msg_type"] == "stream":
                parts.append(o["text"])
            elif o["msg_type"] in ("display_data", "execute_result"):
                parts.append(o["data"].get("text/plain", ""))
            elif o["msg_type"] == "error":
                parts.append(f"{o['ename']}: {o['evalue']}")
        return "".join(parts)


class Kernel:
    """A python kernel of this environment, running in ``cwd``, sharing the test's component cache."""

    def __init__(self, cwd: Path) -> None:
        env = {**os.environ, "WASMIND_NB_CACHE": str(cache_dir())}
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(cwd=str(cwd), env=env)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)
        self.cells: dict[str, Cell] = {}

    def submit(self, code: str) -> Cell:
        """Queue a cell without waiting for it."""
        cell = Cell(self.client.execute(code))
        self.cells[cell.msg_id] = cell
        return cell

    def finish(self, cell: Cell, on_output: Callable[[dict[str, Any]], None] | None = None) -> Cell:
        """Collect iopub messages (for every queued cell) until ``cell`` is idle, then take its reply."""
        while True:
            msg = self.client.get_iopub_msg(timeout=MESSAGE_TIMEOUT_S)
            owner = self.cells.get(msg["parent_header"].get("msg_id"))
            if owner is None:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "status":
                if content["execution_state"] == "idle" and owner is cell:
                    break
                continue
            if kind.startswith("comm_"):
                owner.comms.append({"msg_type": kind, **content})
            if kind in ("stream", "display_data", "update_display_data", "execute_result", "error"):
                owner.outputs.append({"msg_type": kind, **content})
                if owner is cell and on_output is not None:
                    on_output(owner.outputs[-1])
        while not cell.status:
            reply = self.client.get_shell_msg(timeout=MESSAGE_TIMEOUT_S)
            owner = self.cells.get(reply["parent_header"].get("msg_id"))
            if owner is not None:
                owner.status = reply["content"]["status"]
        return cell

    def run(self, code: str) -> Cell:
        return self.finish(self.submit(textwrap.dedent(code)))

    def ok(self, code: str) -> Cell:
        cell = self.run(code)
        assert cell.status == "ok", cell.text
        return cell

    def shutdown(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture
def kernel(tmp_path: Path) -> Iterator[Kernel]:
    """A kernel whose working directory holds ``wasmind.toml`` and copies of the echo and probe actors."""
    for name in ("echo", "probe"):
        shutil.copytree(
            ACTORS / name, tmp_path / "actors" / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    (tmp_path / "wasmind.toml").write_text(CONFIG)
    k = Kernel(tmp_path)
    try:
        k.ok("%load_ext wasmind_nb")
        yield k
    finally:
        k.run("%wasmind stop")
        k.shutdown()


def sleep_in_probe(seconds: int) -> str:
    """Cell code: make the probe agent run ``sleep`` through the host, which keeps the system busy."""
    command = {"program": "sleep", "args": [str(seconds)]}
    return f"await mind.broadcast('probe.Command', {command!r}, scope=mind.scope_of('p'))"


def test_wait_blocks_until_idle_and_the_queued_cells_run_after_it(kernel: Kernel) -> None:
    kernel.ok("%wasmind start wasmind.toml")
    kernel.ok("%wasmind spawn probe --name p")
    # Three cells queued at once: the middle one can only see the command's result if the first one's
    # `%wasmind wait` held the kernel until the system was idle.
    waiting = kernel.submit(f"{sleep_in_probe(1)}\n%wasmind wait\nprint('after wait')")
    check = kernel.submit(
        "print('idle' if mind.runtime.idle else 'busy', "
        "sum(m.message_type == 'probe.CommandResult' for m in mind.messages))"
    )
    last = kernel.submit("print('third cell')")
    kernel.finish(last)
    assert (waiting.status, check.status, last.status) == ("ok", "ok", "ok")
    assert waiting.stdout.startswith("idle: 2 live agents, ")
    assert waiting.stdout.endswith("after wait\n")
    assert check.stdout == "idle 1\n"
    assert last.stdout == "third cell\n"


def test_a_waiting_cell_shows_a_live_line_then_only_its_summary(kernel: Kernel) -> None:
    kernel.ok("%wasmind start wasmind.toml")
    kernel.ok("%wasmind spawn probe --name p")
    cell = kernel.ok(f"{sleep_in_probe(2)}\n%wasmind wait")
    # Saved output: the line as an empty text (the same however long the wait took), then the summary;
    # when the wait ends the output loses its widget, so nothing is left to fail without a kernel.
    (line,) = [o for o in cell.outputs if o["msg_type"] == "display_data"]
    assert "application/vnd.jupyter.widget-view+json" in line["data"]
    assert line["data"]["text/plain"] == ""
    (frozen,) = [o for o in cell.outputs if o["msg_type"] == "update_display_data"]
    assert frozen["transient"]["display_id"] == line["transient"]["display_id"]
    assert frozen["data"] == {"text/plain": ""}
    assert cell.stdout.startswith("idle: 2 live agents, ")
    # Live: widget updates say what runs; the line is closed when the wait ends.
    updates = [c["data"].get("state", {}) for c in cell.comms if c["msg_type"] == "comm_msg"]
    texts = [str(u["value"]).replace("\u2007", " ") for u in updates if isinstance(u.get("value"), str)]
    assert any(re.search(r"running probe@\w+ on Command \(\d+ s\)", t) for t in texts), texts
    assert updates[-1] == {"visibility": "hidden"}, updates


def test_output_lands_in_the_cell_that_ran_the_magic(kernel: Kernel) -> None:
    start = kernel.ok("%wasmind start wasmind.toml")
    spawn, status, graph = (
        kernel.submit("%wasmind spawn echo --name worker"),
        kernel.submit("%wasmind status"),
        kernel.submit("%wasmind graph"),
    )
    kernel.finish(graph)
    assert "Wasmind started: root scope 000000 (echo)" in start.stdout
    assert "Loading actors" in start.text  # the progress bar, shown in the start cell
    assert spawn.stdout.startswith("spawned 'worker' in scope ")
    assert spawn.stdout.count("\n") == 1
    (table,) = [o for o in status.outputs if o["msg_type"] == "display_data"]
    assert "worker" in table["data"]["text/plain"] and "<table" in table["data"]["text/html"]
    assert [o["msg_type"] for o in status.outputs] == ["display_data"]
    (view,) = graph.outputs
    assert "application/vnd.jupyter.widget-view+json" in view["data"]
    assert re.fullmatch(r"AgentView: 2 agents, \d+ messages", view["data"]["text/plain"])


def test_at_the_stop_every_widget_output_becomes_plain_output(kernel: Kernel) -> None:
    """What makes a saved notebook readable without its kernel (notebook/freezing.py)."""
    WIDGET = "application/vnd.jupyter.widget-view+json"
    start = kernel.ok("%wasmind start wasmind.toml")
    (bar,) = [
        o for o in start.outputs if o["msg_type"] == "display_data" and "Loading" in o["data"]["text/plain"]
    ]
    (bar_frozen,) = [
        o
        for o in start.outputs
        if o["msg_type"] == "update_display_data"
        and o["transient"]["display_id"] == bar["transient"]["display_id"]
    ]
    assert WIDGET in bar["data"] and WIDGET not in bar_frozen["data"]
    assert re.match(r"Loading actors: 100%\|.*\| 2/2 ", bar_frozen["data"]["text/plain"]), bar_frozen
    kernel.ok("await mind.broadcast('demo.Ping', {})\n%wasmind wait")
    graph = kernel.ok("%wasmind graph")
    (view,) = graph.outputs
    shown = view["data"]["text/plain"]
    kernel.ok("await mind.broadcast('demo.Ping', {})\n%wasmind wait")
    stop = kernel.ok("%wasmind stop")
    (frozen,) = [o for o in stop.outputs if o["msg_type"] == "update_display_data"]
    assert frozen["transient"]["display_id"] == view["transient"]["display_id"]
    assert WIDGET not in frozen["data"]
    assert frozen["data"]["text/plain"] == shown  # the text keeps what it said when shown
    assert 'class="wasmind-agent-view-snapshot"' in frozen["data"]["text/html"]
    total = int(kernel.ok("print(len(mind.messages))").stdout)
    assert f"AgentView: 1 agent, {total} messages" in frozen["data"]["text/html"]  # the final state
    assert total > int(re.search(r"(\d+) messages", shown).group(1))


def test_interrupt_cancels_a_wait_and_the_wasmind_stays_usable(kernel: Kernel) -> None:
    kernel.ok("%wasmind start wasmind.toml")
    kernel.ok("%wasmind spawn probe --name p")
    interrupted: list[bool] = []
    ended = threading.Event()

    def press_interrupt() -> None:
        # As a user would, press again if nothing happened: under heavy load one SIGINT in about 30 runs
        # never reached the cell (it ran to its end; likely a race in ipykernel's signal handling).
        for _ in range(5):
            kernel.manager.interrupt_kernel()
            interrupted.append(True)
            if ended.wait(2.0):
                return

    def interrupt_once_waiting(output: dict[str, Any]) -> None:
        if output.get("text", "").startswith("waiting") and not interrupted:
            threading.Thread(target=press_interrupt, daemon=True).start()
        if output["msg_type"] == "error":
            ended.set()

    # The command outlives any plausible interrupt delivery, so the wait can only end by the interrupt.
    cell = kernel.submit(
        f"{sleep_in_probe(8)}\nprint('waiting', flush=True)\n%wasmind wait\nprint('not here')"
    )
    kernel.finish(cell, on_output=interrupt_once_waiting)
    ended.set()
    assert interrupted and cell.status == "error"
    assert cell.error is not None and cell.error["ename"] == "Interrupted"
    assert cell.error["traceback"] == [
        "KeyboardInterrupt: %wasmind wait interrupted; the Wasmind keeps running (`%wasmind status` shows it)"
    ]
    assert "not here" not in cell.stdout
    # Still usable: the agents answer, new agents spawn, and the next wait sees the command finish.
    assert "p " in kernel.ok("%wasmind status").text
    assert kernel.ok("%wasmind spawn echo --name after").stdout.startswith("spawned 'after'")
    done = kernel.ok(
        "%wasmind wait\n"
        "print([m.json()['ok'] for m in mind.messages if m.message_type == 'probe.CommandResult'])"
    )
    assert done.stdout.endswith("[True]\n")


def test_rerunning_start_stops_the_previous_wasmind(kernel: Kernel) -> None:
    kernel.ok("%wasmind start wasmind.toml")
    kernel.ok("%wasmind spawn echo --name w\nfirst = mind")
    again = kernel.ok("%wasmind start wasmind.toml")
    assert again.stdout.splitlines()[0] == "stopped the previous Wasmind"
    facts = kernel.ok(
        """
        print(first.running, mind.running, mind is first)
        print(sorted(a.state for a in first.agents.values()))
        print(sum(m.message_type == 'demo.Bye' for m in first.messages))  # echo's destructor
        print(sorted(mind.agents))
        """
    )
    assert facts.stdout.splitlines() == ["False True False", "['exited', 'exited']", "2", "['000000']"]


def test_errors_are_short_and_name_what_is_wrong(kernel: Kernel) -> None:
    missing = kernel.run("%wasmind start missing.toml")
    assert missing.status == "error"
    assert missing.error is not None and missing.error["ename"] == "ConfigError"
    assert "missing.toml" in missing.error["evalue"] and len(missing.error["traceback"]) == 1
    unknown = kernel.run("%wasmind launch")
    assert unknown.status == "error" and "unknown subcommand 'launch'" in unknown.text
    nothing = kernel.run("%wasmind wait")
    assert nothing.status == "error" and "no Wasmind is running" in nothing.text


def test_a_text_ending_in_a_question_mark_is_sent_verbatim(kernel: Kernel) -> None:
    kernel.ok("%wasmind start wasmind.toml")
    kernel.ok("%wasmind spawn echo --name boom")
    sent = kernel.ok("%wasmind send boom What now?")  # IPython's own reading: help on `now`
    assert sent.stdout.startswith("sent to 'boom' (scope ") and "not found" not in sent.text
    check = kernel.ok(
        "print([m.json()['message']['content'] for m in mind.messages "
        "if m.message_type.endswith('AddMessage')])"
    )
    assert check.stdout == "['What now?']\n"
    assert kernel.ok("len?").status == "ok"  # help on other lines still works
