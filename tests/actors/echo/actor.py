"""Test actor: records what it receives, answers demo.* requests from its own scope.

Config: ``announce`` (broadcast demo.Announce from the constructor), ``trap_in_constructor``.
"""

import json

from wasmind_sdk import ActorBase, broadcast, info, on, parent_scope, spawn_agent


class Actor(ActorBase):
    def setup(self) -> None:
        self.count = 0
        self.received: list[list[str]] = []
        if self.config.get("trap_in_constructor"):
            raise RuntimeError("constructor trap requested")
        info(f"echo up in {self.scope}")
        if self.config.get("announce"):
            broadcast("demo.Announce", {"scope": self.scope, "config": self.config})

    def handle_message(self, message) -> None:
        self.received.append([message.id, message.message_type, message.from_scope])
        super().handle_message(message)

    @on("demo.Ping", own_scope=True)
    def ping(self, payload, envelope) -> None:
        self.count += 1
        broadcast("demo.Pong", {"n": self.count, "echo": payload})

    @on("demo.Dump", own_scope=True)
    def dump(self, payload, envelope) -> None:
        broadcast("demo.Dumped", {"name": (payload or {}).get("name"), "received": self.received})

    @on("demo.Spawn", own_scope=True)
    def spawn(self, payload, envelope) -> None:
        try:
            scope = spawn_agent(payload["actors"], payload.get("name", "child"))
            broadcast("demo.Spawned", {"scope": scope})
        except Exception as err:  # the host's refusal is what tests check
            broadcast("demo.SpawnFailed", {"error": str(err)})

    @on("demo.Parent", own_scope=True)
    def parent(self, payload, envelope) -> None:
        broadcast("demo.ParentIs", {"parent": parent_scope()})

    @on("demo.Trap", own_scope=True)
    def trap(self, payload, envelope) -> None:
        raise ValueError("trap requested")

    @on("demo.Spin", own_scope=True)
    def spin(self, payload, envelope) -> None:
        while True:
            pass

    @on("demo.HostSpin", own_scope=True)
    def host_spin(self, payload, envelope) -> None:
        while True:  # only cheap host calls: they must not reset the deadline
            parent_scope()

    @on("demo.Flood", own_scope=True)
    def flood(self, payload, envelope) -> None:
        for n in range(payload["count"]):
            broadcast("demo.Drop", {"n": n})

    @on("demo.Drop", own_scope=True)
    def amplify(self, payload, envelope) -> None:
        if self.config.get("amplify"):  # each message answered with two: an endless chain reaction
            broadcast("demo.Drop", {"n": payload["n"] + 1})
            broadcast("demo.Drop", {"n": payload["n"] + 1})

    @on("demo.Echo")
    def echo(self, payload, envelope) -> None:
        broadcast("demo.Echoed", json.dumps(payload))

    def on_message(self, envelope) -> None:
        if envelope.message_type == "demo.RawEcho":  # the bytes back as they came
            broadcast("demo.RawEchoed", bytes(envelope.payload))

    def teardown(self) -> None:
        broadcast("demo.Bye", {"scope": self.scope, "count": self.count})
