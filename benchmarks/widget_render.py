"""AgentView at scale: 10,000 agents and 100,000 messages, then a live stream of deltas.

Prints (never asserts):
- Python: how fast ``AgentView`` ingests runtime events and builds deltas;
- browser (headless Chromium): time to first full render, frames/s while deltas stream in at the
  widget's 30 flushes/s, frames/s while scrolling the timeline, and the graph's frame cost.

Run: ``python benchmarks/widget_render.py [--agents N] [--messages N] [--seconds S]``.
Needs Debian's chromium at /usr/bin/chromium and the ``playwright`` Python package (no browser download).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from wasmind_nb.notebook.widget import STATIC, AgentView
from wasmind_nb.runtime.events import AgentEvent, Envelope

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FILES = {
    "/": REPO / "js" / "test" / "harness.html",
    "/widget.js": STATIC / "widget.js",
    "/widget.css": STATIC / "widget.css",
    "/fake_model.mjs": REPO / "js" / "test" / "fake_model.mjs",
}
STATUSES = [
    {"Processing": {"request_id": "r"}},
    {"Wait": {"reason": "WaitingForTools"}},
    {"Wait": {"reason": "WaitingForUserInput"}},
    {"Done": {"result": {"Ok": {"summary": "ok", "success": True}}}},
]


class Handler(SimpleHTTPRequestHandler):
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


class Source:
    """A stand-in runtime: the widget only needs ``observe``, ``agents`` and ``messages``."""

    def __init__(self) -> None:
        self.agents: dict[str, Any] = {}
        self.messages: list[Envelope] = []
        self.callback: Any = None

    def observe(self, callback: Any) -> Any:
        self.callback = callback
        return lambda: None


class ManualLoop:
    """Flushes happen when the benchmark calls ``view.flush()``."""

    def time(self) -> float:
        return 0.0

    def call_later(self, delay: float, callback: Any) -> Any:
        return type("Handle", (), {"cancel": lambda self: None})()


def tree(agents: int) -> list[AgentEvent]:
    """Root -> 10 managers -> 100 sub-managers -> workers (a delegation network)."""
    events = [AgentEvent("spawned", "000000", "root", None, ("assistant",))]
    scopes = ["000000"]
    for i in range(1, agents):
        if i <= 10:
            parent, name = "000000", f"manager{i}"
        elif i <= 110:
            parent, name = scopes[1 + (i % 10)], f"sub{i}"
        else:
            parent, name = scopes[11 + (i % 100)], f"worker{i}"
        scope = f"{i:06x}"
        scopes.append(scope)
        events.append(AgentEvent("spawned", scope, name, parent, ("assistant", "execute_bash")))
    return events


def envelope(seq: int, scopes: list[str]) -> Envelope:
    scope = scopes[(seq * 7919) % len(scopes)]
    if seq % 4 == 0:
        payload = json.dumps({"status": STATUSES[seq % len(STATUSES)]}).encode()
        return Envelope(
            seq, f"root:{seq:06x}", "wasmind.common.assistant.StatusUpdate", "assistant", scope, payload
        )
    body = {
        "agent": scopes[(seq * 31) % len(scopes)],
        "message": {"role": "user", "content": f"step {seq} " * 8},
    }
    return Envelope(
        seq,
        f"root:{seq:06x}",
        "wasmind.common.assistant.AddMessage",
        "send_message",
        scope,
        json.dumps(body).encode(),
    )


def synced(view: AgentView) -> dict[str, Any]:
    keys = ("agents", "messages", "faults", "meta", "filter_scope", "filter_type", "filter_actor", "height")
    return copy.deepcopy({k: getattr(view, k) for k in keys})


def python_side(agents: int, messages: int, stream_s: float) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    source = Source()
    view = AgentView(source, loop=ManualLoop(), max_messages=None)
    sent: list[dict[str, Any]] = []
    view.send = lambda content, buffers=None: sent.append(content)  # type: ignore[method-assign]
    events = tree(agents)
    scopes = [e.scope for e in events]
    envelopes = [envelope(seq, scopes) for seq in range(messages)]
    t0 = time.perf_counter()
    source.callback(events)
    for seq, env in enumerate(envelopes):
        source.callback([env])
        if seq % 1000 == 999:
            view.flush()
    view.flush()
    ingest = time.perf_counter() - t0
    state = synced(view)
    size = len(json.dumps(state))
    rate = (agents + messages) / ingest
    print(
        f"python: ingest {agents:,} agents + {messages:,} messages in {ingest:.2f} s "
        f"({rate:,.0f} events/s, {len(sent)} deltas); full state {size / 1e6:.1f} MB JSON"
    )

    # The stream: 30 deltas per second, each with 100 messages (a quarter are status changes) and two
    # newly spawned agents (so the graph's layout changes with every delta).
    sent.clear()
    batches: list[list[Any]] = []
    for b in range(int(stream_s * 30)):
        spawns = [
            AgentEvent("spawned", f"n{b:04d}{k}", "late", scopes[11 + (b + k) % 100], ("x",))
            for k in range(2)
        ]
        batches.append(spawns + [envelope(messages + b * 100 + k, scopes) for k in range(100)])
    t0 = time.perf_counter()
    for batch in batches:
        source.callback(batch)
        view.flush()
    per = (time.perf_counter() - t0) / max(1, len(sent)) * 1000
    print(f"python: one delta (100 messages, 2 new agents) costs {per:.2f} ms to build (of a 33 ms budget)")
    return state, sent


PARSE_JS = """
text => {
  const t0 = performance.now();
  window.pending = JSON.parse(text);
  return performance.now() - t0;
}
"""

STREAM_JS = """
async ([deltas, seconds]) => {
  const frames = [];
  let running = true;
  const tick = (t) => { frames.push(t); if (running) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  const g0 = view.wasmind.graph.stats.frames;
  view.wasmind.graph.stats.maxMs = 0;
  const t0 = performance.now();
  let i = 0;
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      if (i < deltas.length) model.receive(deltas[i++]);
      if (performance.now() - t0 >= seconds * 1000) { clearInterval(timer); resolve(); }
    }, 1000 / 30);
  });
  running = false;
  const elapsed = performance.now() - t0;
  const gaps = frames.slice(1).map((t, k) => t - frames[k]);
  return {
    fps: (frames.length - 1) / (elapsed / 1000),
    worstGap: Math.max(...gaps),
    graphFrames: view.wasmind.graph.stats.frames - g0,
    graphMaxMs: view.wasmind.graph.stats.maxMs,
    graphLastMs: view.wasmind.graph.stats.lastMs,
    applied: i,
    messages: view.wasmind.stats().messages,
    agents: view.wasmind.stats().agents,
  };
}
"""

SCROLL_JS = """
async (seconds) => {
  const scroller = view.querySelector('.wm-tl-scroll');
  const frames = [];
  const t0 = performance.now();
  await new Promise((resolve) => {
    const step = (t) => {
      frames.push(t);
      scroller.scrollTop = (scroller.scrollTop + 2200) % (scroller.scrollHeight - scroller.clientHeight);
      if (t - t0 < seconds * 1000) requestAnimationFrame(step); else resolve();
    };
    requestAnimationFrame(step);
  });
  const elapsed = performance.now() - t0;
  return { fps: (frames.length - 1) / (elapsed / 1000), rows: view.wasmind.stats().rows };
}
"""


def browser_side(state: dict[str, Any], deltas: list[dict[str, Any]], seconds: float) -> None:
    from playwright.sync_api import sync_playwright

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 700})
            page.goto(url)
            page.wait_for_function("window.harnessReady === true")
            parse = page.evaluate(PARSE_JS, json.dumps(state))
            print(f"browser: JSON.parse of the full state (a front end does it on load): {parse:.0f} ms")
            first = page.evaluate("() => mount(window.pending)")
            s = page.evaluate("view.wasmind.stats()")
            print(
                f"browser: first full render of {s['agents']:,} agents + {s['messages']:,} messages: "
                f"{first:.0f} ms (graph frame {s['lastFrameMs']:.1f} ms, "
                f"{s['rows']} timeline rows in the DOM)"
            )
            r = page.evaluate(STREAM_JS, [deltas, seconds])
            print(
                f"browser: {r['fps']:.1f} frames/s while {r['applied']} deltas streamed in "
                f"over {seconds:.0f} s (worst frame gap {r['worstGap']:.0f} ms; "
                f"graph redrawn {r['graphFrames']} times, max {r['graphMaxMs']:.1f} ms per redraw; "
                f"{r['agents']:,} agents and {r['messages']:,} messages at the end)"
            )
            sc = page.evaluate(SCROLL_JS, 3)
            print(f"browser: {sc['fps']:.1f} frames/s scrolling the timeline ({sc['rows']} rows in the DOM)")
            browser.close()
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    state, deltas = python_side(args.agents, args.messages, args.seconds)
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is absent: install Debian's chromium to run the browser part")
    browser_side(state, deltas, args.seconds)


if __name__ == "__main__":
    main()
