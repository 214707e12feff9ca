"""End to end in JupyterLab: a real server and kernel, the notebook run from the page, the widget checked.

The test writes a small notebook (two agents on the built-in assistant, answered by the embedded scripted
model, then ``%wasmind graph``) into a temporary root folder, starts JupyterLab on loopback with token
auth, opens the notebook in headless Chromium (Debian's package, through Playwright), runs all cells from
the Run menu and checks what the page shows: the cells' outputs, and the ``AgentView`` widget's graph
(one node per agent, a click on a node selects it) and timeline (the agents' messages). A screenshot goes
to ``test-artifacts/jupyterlab_e2e.png``. The server and the browser are stopped in any case.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from tests.notebook.chromium import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, require_chromium
from wasmind_nb.paths import cache_dir

pytestmark = pytest.mark.browser

KERNEL = "wasmind-e2e"
NOTEBOOK = "e2e.ipynb"
SERVER_START_S = 90.0
RUN_ALL_S = 300.0  # a cold component cache builds the assistant first
UI_S = 60.0

CONFIG = """%%wasmind config
starting_actors = []

[llm]
script = "replies.toml"

[actors.assistant]
source = { builtin = "assistant" }
config = { model_name = "wasmind-offline" }"""

REPLIES = """models = ["wasmind-offline"]
replies = ["Hello from the scripted model.", "Hello from the scripted model."]
"""

AGENTS = ("alpha", "beta")


def make_notebook(folder: Path) -> Path:
    """The notebook under test (and the model's script next to it): two agents answer one message each."""
    (folder / "replies.toml").write_text(REPLIES)
    cells = [
        "%load_ext wasmind_nb",
        CONFIG,
        "%wasmind spawn assistant --name alpha\n%wasmind spawn assistant --name beta --parent alpha",
        "%wasmind send alpha Hello\n%wasmind send beta Hello\n%wasmind wait --timeout 120",
        "%wasmind graph",
    ]
    nb = new_notebook(cells=[new_code_cell(source) for source in cells])
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "wasmind e2e", "language": "python"}
    path = folder / NOTEBOOK
    nbformat.write(nb, path)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_kernelspec(data_dir: Path) -> None:
    """A kernel on this interpreter, with the shared component cache in its environment."""
    spec = data_dir / "kernels" / KERNEL
    spec.mkdir(parents=True)
    kernel = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "wasmind e2e",
        "language": "python",
        "env": {"WASMIND_NB_CACHE": str(cache_dir())},
    }
    (spec / "kernel.json").write_text(json.dumps(kernel))


class Lab:
    """A JupyterLab server in its own process group, on loopback, with token auth."""

    def __init__(self, root: Path, home: Path) -> None:
        self.root = root
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = home / "jupyterlab.log"
        data = home / "data"
        write_kernelspec(data)
        # No "notified about Jupyter news?" pop-up over the page.
        notification = (
            home / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        )
        notification.parent.mkdir(parents=True)
        notification.write_text(json.dumps({"fetchNews": "false"}))
        env = {
            **os.environ,
            "WASMIND_NB_CACHE": str(cache_dir()),
            "JUPYTER_CONFIG_DIR": str(home / "config"),
            "JUPYTER_DATA_DIR": str(data),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "JUPYTER_PLATFORM_DIRS": "1",
            "IPYTHONDIR": str(home / "ipython"),
        }
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}",
            f"--LabApp.user_settings_dir={home / 'settings'}",
            f"--LabApp.workspaces_dir={home / 'workspaces'}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.news_url=", "--LabApp.extension_manager=readonly",  # nothing from the network
        ]  # fmt: skip
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI often run as root
            command.append("--allow-root")
        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            command, cwd=root, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def api(self, path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"JupyterLab exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                self.api("/api/status")
                return
            except (OSError, urllib.error.URLError):
                time.sleep(0.25)
        raise AssertionError(f"JupyterLab did not answer within {timeout:.0f} s:\n{self.tail()}")

    def tail(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        """Ask the server to shut down (its kernels with it); kill the process group if it lingers."""
        if self.proc.poll() is None:
            try:
                self.api("/api/shutdown", method="POST")
                self.proc.wait(timeout=20)
            except (OSError, urllib.error.URLError, subprocess.TimeoutExpired):
                pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)  # kernels started by the server are in this group too
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                continue
        self.log.close()


def labextension_installed(name: str) -> bool:
    """Whether a prebuilt JupyterLab extension ships in this environment (pip installs it there)."""
    return (Path(sys.prefix) / "share" / "jupyter" / "labextensions" / name / "package.json").is_file()


def playwright_api() -> Any:
    """Playwright's sync API; skips the test without Debian's Chromium (or Playwright)."""
    require_chromium()
    return pytest.importorskip("playwright.sync_api")


@contextmanager
def serve_lab(tmp_path: Path, write: Callable[[Path], None]) -> Iterator[Lab]:
    """JupyterLab serving a folder that ``write`` fills; skips the test without Chromium (or Playwright)."""
    playwright_api()  # no server to start for a test that would be skipped
    root = tmp_path / "root"
    root.mkdir()
    write(root)
    server = Lab(root, tmp_path)
    try:
        server.wait_ready(SERVER_START_S)
        yield server
    finally:
        server.stop()


def open_notebook(page: Any, lab: Lab, notebook: str, kernel: str | None = "wasmind e2e") -> None:
    """Open ``notebook`` and wait until its kernel is up: the server has it idle and the page names it
    (``kernel``; ``None``: any) and shows it idle (before it connects the page says "No Kernel", idle)."""
    page.goto(f"{lab.url}/lab/tree/{notebook}?reset&token={lab.token}")
    page.locator(".jp-NotebookPanel .jp-Notebook").first.wait_for()
    wait_until(lambda: kernel_idle(lab), UI_S, "the kernel did not start")
    if kernel is None:
        return
    page.wait_for_function(
        """name => {
            const panel = document.querySelector('.jp-NotebookPanel');
            const kernel = panel && panel.querySelector('[data-jp-item-name=kernelName]');
            const indicator = panel && panel.querySelector('.jp-Notebook-ExecutionIndicator');
            return kernel !== null && kernel.textContent.trim() === name
                && indicator !== null && indicator.getAttribute('data-status') === 'idle';
        }""",
        arg=kernel,
    )


def run_all_cells(page: Any) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with serve_lab(tmp_path, make_notebook) as server:
        yield server


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Any]:
    """A fresh headless Chromium context (its own profile folder)."""
    sync_api = playwright_api()
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1400, "height": 1100},
        )
        try:
            yield context
        finally:
            context.close()


def kernel_idle(lab: Lab) -> bool:
    """Whether the notebook's kernel runs, idle, with the page connected to it."""
    sessions = lab.api("/api/sessions")
    return any(s["kernel"]["execution_state"] == "idle" and s["kernel"]["connections"] > 0 for s in sessions)


def wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout:.0f} s")
        time.sleep(0.25)


def click_agent(page: Any, scope: str) -> None:
    """Click the agent's node once it is inside the canvas and at the same point in two animation frames
    in a row (a layout or a fit still to come would move it away from where the click lands)."""
    point = page.wait_for_function(
        """s => {
            const w = document.querySelector('.wasmind-agent-view').wasmind;
            const p = w.clientPoint(s);
            const r = w.graph.canvas.getBoundingClientRect();
            const inside = p !== null && p.x > r.left && p.x < r.right && p.y > r.top && p.y < r.bottom;
            const seen = (window.wmLastPoints ??= {});
            const last = seen[s];
            seen[s] = p;
            return inside && last != null && last.x === p.x && last.y === p.y && p;
        }""",
        arg=scope,
        polling="raf",
    ).json_value()
    page.mouse.click(point["x"], point["y"])


def outputs_text(page: Any) -> str:
    return "\n".join(page.locator(".jp-OutputArea-output").all_inner_texts())


@pytest.mark.timeout(600)
def test_notebook_runs_in_jupyterlab_and_the_widget_shows_the_agents(lab: Lab, chromium: Any) -> None:
    assert labextension_installed("anywidget"), (
        "anywidget's JupyterLab extension is missing (pip install anywidget)"
    )
    sync_api = playwright_api()
    page = chromium.pages[0] if chromium.pages else chromium.new_page()
    page.set_default_timeout(UI_S * 1000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        open_notebook(page, lab, NOTEBOOK)
        run_all_cells(page)

        # Done when every code cell has an execution count and the kernel is idle again.
        page.wait_for_function(
            """n => {
                const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
                const indicator = document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator');
                return prompts.length === n
                    && prompts.every(p => /^\\[\\d+\\]:$/.test(p.textContent.trim()))
                    && indicator !== null && indicator.getAttribute('data-status') === 'idle';
            }""",
            arg=5,
            timeout=RUN_ALL_S * 1000,
        )
        # An execute reply (the prompt's count) can reach the page before that cell's last outputs (they
        # come on another channel): wait for the last text cell's line, or for an error to report.
        page.wait_for_function(
            """() => {
                const text = [...document.querySelectorAll('.jp-OutputArea-output')]
                    .map(o => o.innerText).join('\\n');
                return /idle: 3 live agents/.test(text) || /Traceback|Error/.test(text);
            }"""
        )
        text = outputs_text(page)
        assert "Traceback" not in text and "Error" not in text, text
        assert "Wasmind started: root scope 000000 (no actors); LLM embedded" in text, text
        scopes = dict(re.findall(r"spawned '(\w+)' in scope (\w{6}) \(assistant\)", text))
        assert sorted(scopes) == sorted(AGENTS), text
        idle = re.search(r"idle: 3 live agents, (\d+) messages", text)
        assert idle, text
        messages = int(idle.group(1))

        # The widget rendered through anywidget's front end, with the kernel's whole state.
        view = page.locator(".wasmind-agent-view .wm-root").first
        view.scroll_into_view_if_needed()
        view.wait_for()
        page.wait_for_function(
            "n => { const r = document.querySelector('.wasmind-agent-view .wm-root');"
            " return r && r.dataset.agents === '3' && r.dataset.messages === String(n); }",
            arg=messages,
        )
        hook = "document.querySelector('.wasmind-agent-view').wasmind"
        # The status line and the graph's canvas are updated in separate animation frames: wait for both.
        page.wait_for_function(
            f"n => {{ const s = {hook}.stats();"
            " return s.agents === 3 && s.live === 3 && s.messages === n && s.frames > 0; }",
            arg=messages,
        )
        stats = page.evaluate(f"{hook}.stats()")
        assert (stats["agents"], stats["live"], stats["messages"]) == (3, 3, messages), stats
        assert stats["frames"] > 0, stats  # the graph canvas has been drawn

        # The graph has a node for every spawned agent, inside its canvas; clicking one selects it.
        for name, scope in scopes.items():
            click_agent(page, scope)
            page.wait_for_function(
                "s => document.querySelector('.wasmind-agent-view').wasmind.stats().selectedScope === s",
                arg=scope,
            )
            # The status attributes are written in the next animation frame, not by the click itself.
            sync_api.expect(view).to_have_attribute("data-filter-scope", scope, timeout=UI_S * 1000)
            # The timeline now lists this agent's messages: its rows name it, among them its answer. Rows are
            # re-filled in an animation frame, so wait until every row shown is one the filter passes.
            page.wait_for_function(
                """name => {
                    const w = document.querySelector('.wasmind-agent-view').wasmind;
                    const passing = new Set(w.timeline.shown.map(String));
                    const selector = '.wasmind-agent-view .wm-tl-rows .wm-row:not([hidden])';
                    const rows = [...document.querySelectorAll(selector)];
                    return rows.length > 0 && rows.every(r => passing.has(r.dataset.pos))
                        && rows.some(r => r.children[1].textContent === name
                            && r.children[3].textContent.endsWith('assistant.Response'));
                }""",
                arg=name,
            )
            shown = page.evaluate(f"{hook}.stats().shown")
            assert 0 < shown < messages

        page.locator(".wasmind-agent-view button", has_text="clear").click()
        page.wait_for_function(f"{hook}.stats().shown === {messages}")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "jupyterlab_e2e.png"), full_page=True)
    except BaseException:  # pytest-timeout's failure too
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "jupyterlab_e2e_failure.png"), full_page=True)
        print(lab.tail())
        raise
    assert errors == [], errors
