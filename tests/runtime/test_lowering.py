"""The fast handle-message lowering delivers exactly what wasmtime-py's generic call would."""

from __future__ import annotations

import gc
import json

import pytest

from tests.helpers import payloads
from wasmind_nb import ActorSpec, Wasmind
from wasmind_nb.build.loader import wasm_for
from wasmind_nb.config import Capabilities
from wasmind_nb.host import context
from wasmind_nb.host.engine import shared_engine
from wasmind_nb.host.instance import ComponentInstance, envelope_record
from wasmind_nb.host.linker import HostLinker
from wasmind_nb.paths import cache_dir
from wasmind_nb.runtime.events import Envelope

pytestmark = pytest.mark.anyio

CONFIG = 'starting_actors = ["echo"]\n[actors.echo]\nsource = { path = "echo" }\n'
VALUES = [
    None,
    {"text": "plain"},
    {"text": "non-ASCII: déjà vu, 日本語, emoji 🎉, NUL \u0000 inside"},
    {"big": "x" * 300_000, "list": list(range(2000))},
]


@pytest.mark.parametrize("instances", ["isolated", "pooled"])
@pytest.mark.parametrize("value", VALUES, ids=["null", "plain", "unicode", "large"])
async def test_payloads_arrive_intact(make_config, value, instances) -> None:
    config = make_config(CONFIG + f'[runtime]\ninstances = "{instances}"\n')
    async with Wasmind(config, progress=False) as mind:
        for name in ("second", "third"):  # pooled: one lowered envelope serves three actors in a row
            await mind.spawn_agent(["echo"], name=name)
        for _ in range(2):
            await mind.broadcast("demo.Echo", value)
        await mind.broadcast("demo.Echo", {"after": True})
        await mind.wait_idle()
        # echo sends json.dumps(payload) as raw text: it parses back to the value
        echoed = sorted(json.dumps(p) for p in payloads(mind, "demo.Echoed"))  # actors run in parallel
        assert echoed == sorted([json.dumps(value)] * 6 + [json.dumps({"after": True})] * 3)
    gc.collect()  # the stopped system's instances are gone: so are the envelopes lowered for them
    assert len(mind.runtime.linker.envelopes) == 0


class RecordingHost:
    """Just enough of the runtime's HostServices for one actor on one thread."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    def broadcast_from(self, caller, message_type: str, payload: bytes) -> None:
        self.sent.append((message_type, payload))

    def log_from(self, caller, level: str, message: str) -> None:
        pass


def test_fast_and_generic_calls_deliver_the_same_envelope(actors_dir, tmp_path) -> None:
    engine = shared_engine()
    spec = ActorSpec(name="echo", source_path=actors_dir / "echo", kind="python")
    component = engine.load_component(wasm_for(spec, cache_dir()), cache_dir())
    instance = ComponentInstance(HostLinker(engine.engine), engine.engine, component, label="echo")
    host = RecordingHost()
    ctx = context.CallContext(host, "echo", "000000", Capabilities(), instance.store, 10_000)  # type: ignore[arg-type]
    fields = ("root:abc123", "demo.Dump", "sender-é", "000000")
    with context.entered(ctx):  # one thread, one store: the runtime's own rule
        actor = instance.construct("000000", "")
        instance.handle(actor, Envelope(0, *fields, b""))
        instance._call(instance._handle, "handle-message", actor, envelope_record(*fields, b""))
        instance.destroy(actor)
    dumps = [json.loads(p) for t, p in host.sent if t == "demo.Dumped"]
    seen = ["root:abc123", "demo.Dump", "000000"]  # what the actor recorded of each envelope
    assert [d["received"] for d in dumps] == [[seen], [seen, seen]]
