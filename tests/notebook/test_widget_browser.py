"""AgentView's front end in headless Chromium, on a plain page with a fake anywidget model.

The state and deltas come from the real Python side (``AgentView`` fed by a fake source), so this also
checks that both halves speak the same row format. A screenshot goes to ``test-artifacts/``.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.notebook.chromium import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, REPO, require_chromium
from wasmind_nb.notebook.widget import STATIC, AgentView
from wasmind_nb.runtime.events import ActorFault, AgentEvent, Envelope

pytestmark = pytest.mark.browser

STATUS = "wasmind.common.assistant.StatusUpdate"
FILES = {
    "/": REPO / "js" / "test" / "harness.html",
    "/widget.js": STATIC / "widget.js",
    "/widget.css": STATIC / "widget.css",
    "/fake_model.mjs": REPO / "js" / "test" / "fake_model.mjs",
}


class _Handler(SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        path = FILES.get(self.path.split("?")[0])
        if path is None:
            self.send_error(404)
            return
        body = path.read_bytes()
        kind = {".html": "text/html", ".css": "text/css"}.get(path.suffix, "text/javascript")
        self.send_response(200)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def page_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, page_url: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 700})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(page_url)
    pg.wait_for_function("window.harnessReady === true")
    yield pg
    context.close()
    assert errors == [], errors


class Mind:
    def __init__(self) -> None:
        self.agents: dict[str, Any] = {}
        self.messages: list[Envelope] = []
        self.callback: Any = None

    def observe(self, callback: Any) -> Any:
        self.callback = callback
        return lambda: None

    def say(self, message_type: str, payload: object, scope: str, actor: str = "assistant") -> None:
        env = Envelope(
            len(self.messages),
            f"root:{len(self.messages)}",
            message_type,
            actor,
            scope,
            json.dumps(payload).encode(),
        )
        self.messages.append(env)
        self.callback([env])


class Loop:
    def time(self) -> float:
        return 0.0

    def call_later(self, delay: float, callback: Any) -> Any:
        return type("Handle", (), {"cancel": lambda self: None})()


def make_view(payload_preview: int = 2048) -> tuple[AgentView, Mind, list[dict[str, Any]]]:
    mind = Mind()
    view = AgentView(mind, loop=Loop(), payload_preview=payload_preview)
    sent: list[dict[str, Any]] = []
    view.send = lambda content, buffers=None: sent.append(copy.deepcopy(content))  # type: ignore[method-assign]
    return view, mind, sent


def synced(view: AgentView) -> dict[str, Any]:
    keys = ("agents", "messages", "faults", "meta", "filter_scope", "filter_type", "filter_actor", "height")
    return copy.deepcopy({k: getattr(view, k) for k in keys})


def stats(page: Any) -> dict[str, Any]:
    return page.evaluate("view.wasmind.stats()")


def grow(view: AgentView, mind: Mind, agents: int, messages: int) -> list[str]:
    """A manager with sub-managers and workers, chatting; returns the scopes in spawn order."""
    scopes = ["000000"]
    batch: list[Any] = [AgentEvent("spawned", "000000", "root", None, ("assistant",))]
    for i in range(1, agents):
        parent = scopes[0] if i <= 5 else scopes[1 + (i % 5)]
        scope = f"s{i:05d}"
        scopes.append(scope)
        batch.append(
            AgentEvent("spawned", scope, f"worker{i}" if i > 5 else f"manager{i}", parent, ("assistant",))
        )
    mind.callback(batch)
    for n in range(messages):
        scope = scopes[n % len(scopes)]
        if n % 3 == 0:
            mind.say(STATUS, {"status": {"Processing": {"request_id": str(n)}}}, scope)
        else:
            mind.say(
                "custom.Note", {"agent": scopes[(n * 7) % len(scopes)], "n": n}, scope, actor="note_taker"
            )
    view.flush()
    return scopes


def test_renders_state_applies_deltas_and_filters_by_click(page: Any) -> None:
    view, mind, sent = make_view()
    scopes = grow(view, mind, agents=200, messages=3000)
    elapsed = page.evaluate("state => mount(state)", synced(view))
    assert elapsed < 10_000
    s = stats(page)
    assert (s["agents"], s["messages"], s["shown"]) == (200, 3000, 3000)
    # Virtualised: only the rows in view are in the DOM.
    dom_rows = page.locator(".wm-tl-rows .wm-row:not([hidden])").count()
    assert 5 <= dom_rows == s["rows"] < 60

    # Live deltas (as the kernel sends them) extend the view.
    sent.clear()
    for n in range(500):
        mind.say(STATUS, {"status": {"Wait": {"reason": "WaitingForTools"}}}, scopes[7], actor="assistant")
        if n % 50 == 49:
            view.flush()
    mind.callback([AgentEvent("spawned", "znew00", "latecomer", scopes[7], ("assistant",))])
    view.flush()
    for delta in sent:
        page.evaluate("d => model.receive(d)", delta)
    page.wait_for_function("view.wasmind.stats().messages === 3500 && view.wasmind.stats().agents === 201")
    assert page.evaluate("model.get('meta').rev") == view.meta["rev"]
    assert page.evaluate("model.get('agents').length") == len(view.agents)

    # Clicking a node filters the timeline by its scope and shows the agent.
    target = scopes[7]
    page.locator("button", has_text="fit").click()
    page.wait_for_timeout(100)
    point = page.evaluate("s => view.wasmind.clientPoint(s)", target)
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function("s => view.wasmind.stats().selectedScope === s", arg=target)
    assert page.evaluate("model.get('filter_scope')") == target
    view.filter_scope = target
    expected = len(view.filtered_messages())
    s = stats(page)
    assert s["shown"] == expected
    assert s["detail"] == "agent"
    # The status line and its data attributes are redrawn on the next animation frame: wait for it.
    page.wait_for_function("s => document.querySelector('.wm-root').dataset.filterScope === s", arg=target)
    assert page.locator("input[data-filter=scope]").input_value() == target

    # Clicking a row shows its payload as JSON.
    page.locator(".wm-tl-rows .wm-row:not([hidden])").first.click()
    body = page.locator(".wm-detail-body").inner_text()
    assert json.loads(body)["status"]  # pretty-printed JSON of a StatusUpdate

    # Typing a type filter narrows the list; the kernel is told.
    page.locator("input[data-filter=type]").fill("note")
    page.wait_for_function("model.get('filter_type') === 'note'")
    view.filter_type = "note"
    page.wait_for_function("n => view.wasmind.stats().shown === n", arg=len(view.filtered_messages()))

    # Filters set in the kernel reach the view (the model's change event is what a kernel update fires).
    page.evaluate("model.set('filter_actor', 'nobody')")
    page.wait_for_function("view.wasmind.stats().shown === 0")
    assert page.locator("input[data-filter=actor]").input_value() == "nobody"
    page.evaluate("model.set('filter_actor', '')")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget_browser.png"), full_page=True)


def test_truncated_payload_is_fetched_from_the_kernel(page: Any) -> None:
    view, mind, _ = make_view(payload_preview=16)
    mind.callback([AgentEvent("spawned", "000000", "root", None, ("assistant",))])
    mind.say("custom.Big", {"text": "x" * 200}, "000000")
    view.flush()
    page.evaluate("state => mount(state)", synced(view))
    page.locator(".wm-tl-rows .wm-row:not([hidden])").first.click()
    page.wait_for_function("model.sent.some(m => m.kind === 'payload')")
    request = page.evaluate("model.sent.find(m => m.kind === 'payload')")
    assert request == {"kind": "payload", "seq": 0}
    assert "loading" in page.locator(".wm-detail-body").inner_text()
    reply = {"kind": "payload", "seq": 0, "text": view.payload_text(0)}
    page.evaluate("m => model.receive(m)", reply)
    assert json.loads(page.locator(".wm-detail-body").inner_text()) == {"text": "x" * 200}


def test_a_view_shown_later_starts_from_the_current_state(page: Any) -> None:
    view, mind, sent = make_view()
    grow(view, mind, agents=3, messages=0)
    start = synced(view)
    mind.say("custom.Note", {}, "000000")
    view.flush()
    page.evaluate("state => mount(state)", start)
    page.evaluate("d => model.receive(d)", sent[-1])
    page.wait_for_function("view.wasmind.stats().messages === 1")
    # A second view of the same model (e.g. the cell displayed twice) shows the same, with no re-apply.
    second = page.evaluate(
        """async () => {
            const { default: widget } = await import('./widget.js');
            const el = document.createElement('div');
            document.body.append(el);
            await widget.render({ model, el });
            await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
            return el.wasmind.stats();
        }"""
    )
    assert (second["agents"], second["messages"]) == (3, 1)
    assert page.evaluate("model.get('messages').length") == 1


def test_name_filter_search_and_no_match_text(page: Any) -> None:
    view, mind, _ = make_view()
    mind.callback(
        [
            AgentEvent("spawned", "000000", "root", None, ("assistant",)),
            AgentEvent("spawned", "aaaaaa", "coder", "000000", ("assistant",)),
            AgentEvent("spawned", "bbbbbb", "reviewer", "000000", ("assistant",)),
        ]
    )
    mind.say("custom.Note", {"text": "make it greet"}, "aaaaaa")
    mind.say("custom.Note", {"text": "looks fine"}, "bbbbbb")
    mind.say("custom.Task", {"agent": "aaaaaa", "text": "GREETINGS again"}, "000000")
    mind.say("custom.Note", {"text": "unrelated"}, "000000")
    view.flush()
    page.evaluate("state => mount(state)", synced(view))

    # An agent's name (any case) in the agent box: its messages, sent by it or addressed to it.
    page.locator("input[data-filter=scope]").fill("Coder")
    page.wait_for_function("model.get('filter_scope') === 'Coder' && view.wasmind.stats().shown === 2")
    page.wait_for_function("view.wasmind.stats().selectedScope === 'aaaaaa'")
    view.filter_scope = "Coder"
    assert [m.seq for m in view.filtered_messages()] == [0, 2]

    # Search over payloads, together with the agent filter.
    page.locator("input[data-filter=text]").fill("greetings")
    page.wait_for_function("model.get('filter_text') === 'greetings' && view.wasmind.stats().shown === 1")
    page.wait_for_function("view.wasmind.stats().status.includes('1 of 4 match')")

    # Nothing matches: the timeline says how many messages there are, not "no messages".
    page.locator("input[data-filter=text]").fill("no such words")
    page.wait_for_function("view.wasmind.stats().empty === '0 of 4 messages match the filters'")
    page.wait_for_function("view.wasmind.stats().status.includes('0 of 4 match')")
    page.locator("button", has_text="clear").click()
    page.wait_for_function("view.wasmind.stats().shown === 4 && view.wasmind.stats().empty === ''")
    page.wait_for_function("model.get('filter_scope') === '' && model.get('filter_text') === ''")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget_filters.png"), full_page=True)


def test_a_name_typed_before_its_agent_exists_picks_it_up(page: Any) -> None:
    view, mind, sent = make_view()
    mind.callback([AgentEvent("spawned", "000000", "root", None, ("assistant",))])
    mind.say("custom.Note", {}, "000000")
    view.flush()
    page.evaluate("state => mount(state)", synced(view))
    page.locator("input[data-filter=scope]").fill("late")
    page.wait_for_function("view.wasmind.stats().empty === '0 of 1 messages match the filters'")
    sent.clear()
    mind.callback([AgentEvent("spawned", "cccccc", "late", "000000", ("assistant",))])
    mind.say("custom.Note", {"n": 1}, "cccccc")
    view.flush()
    for delta in sent:
        page.evaluate("d => model.receive(d)", delta)
    page.wait_for_function(
        "view.wasmind.stats().shown === 1 && view.wasmind.stats().selectedScope === 'cccccc'"
    )


def test_a_view_made_after_a_crash_shows_the_fault_ring_and_record(page: Any) -> None:
    mind = Mind()
    mind.faults = [ActorFault("aaaaaa", "echo", "ValueError: trap requested")]  # type: ignore[attr-defined]
    mind.agents = {
        "000000": {"name": "root", "parent": None, "actors": ("echo",), "state": "running"},
        "aaaaaa": {"name": "boom", "parent": "000000", "actors": ("echo",), "state": "failed"},
    }
    view = AgentView(mind, loop=Loop())  # made after the crash: nothing arrives live
    page.evaluate("state => mount(state)", synced(view))
    page.wait_for_function("view.wasmind.stats().faultRings === 1")
    page.locator("button", has_text="fit").click()
    page.wait_for_function("view.wasmind.clientPoint('aaaaaa') !== null")
    point = page.evaluate("s => view.wasmind.clientPoint(s)", "aaaaaa")
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function("view.wasmind.stats().detail === 'agent'")
    record = page.locator(".wm-detail-body").inner_text()
    assert "fault:   echo: ValueError: trap requested" in record
    assert record.startswith("status:  failed")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget_fault_ring.png"), full_page=True)
