"""The committed front-end bundle: up to date with js/, self-contained, and in step with the Python side.

The bundle (``wasmind_nb/notebook/static/widget.{js,css}``) is committed so that installing the package
needs no Node. Each file starts with a hash of its sources; this test recomputes it without Node.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from wasmind_nb.notebook.widget import STATIC, AgentView
from wasmind_nb.runtime.events import ActorFault, AgentEvent, Envelope

REPO = Path(__file__).parents[2]
JS = REPO / "js"
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")


def source_hash() -> str:
    """The hash js/build.mjs stamps into the bundle (same inputs, same encoding)."""
    files = ["package.json", "package-lock.json"]
    files += [p.relative_to(JS).as_posix() for p in (JS / "src").rglob("*") if p.is_file()]
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + (JS / name).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@pytest.mark.parametrize("name", ["widget.js", "widget.css"])
def test_bundle_is_built_from_the_current_sources(name: str) -> None:
    first_line = (STATIC / name).read_text().split("\n", 1)[0]
    stamp = re.search(r"source hash ([0-9a-f]{16})", first_line)
    assert stamp, f"{name} has no source stamp"
    assert stamp.group(1) == source_hash(), f"{name} is out of date: run `npm ci && npm run build` in js/"


def test_bundle_is_self_contained() -> None:
    code = (STATIC / "widget.js").read_text()
    assert not re.search(r"""(import|from)\s*\(?\s*["'](https?:)?//""", code), "no imports from the network"
    assert "export default" in code or re.search(r"export\s*\{[^}]*as default", code)
    assert str(AgentView._esm) == code  # the widget ships exactly this file


@needs_node
@pytest.mark.skipif(not (JS / "node_modules" / "esbuild").is_dir(), reason="js/node_modules absent: npm ci")
def test_a_fresh_build_matches_the_committed_bundle() -> None:
    result = subprocess.run(
        [NODE, "build.mjs", "--check"], cwd=JS, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


@needs_node
@pytest.mark.skipif(not (JS / "node_modules" / "prettier").is_dir(), reason="js/node_modules absent: npm ci")
def test_js_sources_are_formatted() -> None:
    result = subprocess.run(
        [NODE, "node_modules/prettier/bin/prettier.cjs", "--check", "src", "test", "build.mjs"],
        cwd=JS,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@needs_node
def test_js_unit_tests_pass() -> None:
    tests = sorted(str(p.relative_to(JS)) for p in (JS / "test").glob("*.test.mjs"))
    result = subprocess.run([NODE, "--test", *tests], cwd=JS, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


class _Mind:
    def __init__(self) -> None:
        self.agents: dict[str, Any] = {}
        self.messages: list[Envelope] = []
        self.callback: Any = None

    def observe(self, callback: Any) -> Any:
        self.callback = callback
        return lambda: None


@needs_node
def test_the_front_end_store_rebuilds_the_python_state_from_deltas(tmp_path: Path) -> None:
    """Python produces state + deltas; js/src/store.js applies them; both must end identical."""

    class Loop:  # flush on demand only
        def time(self) -> float:
            return 0.0

        def call_later(self, delay: float, callback: Any) -> Any:
            return type("H", (), {"cancel": lambda self: None})()

    rng = random.Random(3)
    mind = _Mind()
    view = AgentView(mind, loop=Loop(), max_messages=300, payload_preview=32)
    sent: list[dict[str, Any]] = []
    view.send = lambda content, buffers=None: sent.append(copy.deepcopy(content))  # type: ignore[method-assign]
    start = {"agents": [], "messages": [], "faults": [], "meta": dict(view.meta)}
    scopes = ["000000"]
    seq = 0
    for step in range(60):
        batch: list[Any] = []
        for _ in range(rng.randint(1, 30)):
            roll = rng.random()
            if roll < 0.1:
                scopes.append(f"s{len(scopes):05d}")
                batch.append(
                    AgentEvent("spawned", scopes[-1], f"a{len(scopes)}", rng.choice(scopes[:-1]), ("x",))
                )
            elif roll < 0.12:
                batch.append(ActorFault(rng.choice(scopes), "x", "trap"))
            else:
                body = json.dumps({"agent": rng.choice(scopes), "text": "é" * rng.randint(0, 40)}).encode()
                batch.append(
                    Envelope(seq, f"root:{seq}", "t.T", "x", rng.choice(scopes), body, step % 7 == 0)
                )
                seq += 1
        mind.callback(batch)
        view.flush()
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps({"state": start, "deltas": sent}))
    result = subprocess.run(
        [NODE, str(JS / "test" / "replay_deltas.mjs"), str(scenario)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    front = json.loads(result.stdout)
    assert front["sent"] == []  # no gaps, no resync
    assert front["meta"] == view.meta
    assert front["agents"] == view.agents
    assert front["messages"] == view.messages
    assert front["faults"] == json.loads(json.dumps(view.faults))
