"""Test actor: answers demo.Ping from its own scope with demo.Pong, and does what demo.* messages ask."""

import json

from wasmind_sdk import ActorBase, broadcast, info, on, spawn_agent


class Actor(ActorBase):
    def setup(self) -> None:
        self.count = 0
        info(f"echo up in {self.scope}")
        if self.config.get("announce"):
            broadcast("demo.Announce", {"scope": self.scope, "config": self.config})

    @on("demo.Ping", own_scope=True)
    def ping(self, payload, envelope) -> None:
        self.count += 1
        broadcast("demo.Pong", {"n": self.count, "echo": payload})

    @on("demo.Spawn", own_scope=True)
    def spawn(self, payload, envelope) -> None:
        try:
            scope = spawn_agent(payload["actors"], payload.get("name", "child"))
            broadcast("demo.Spawned", {"scope": scope})
        except Exception as err:  # the host's refusal is part of what tests check
            broadcast("demo.SpawnFailed", {"error": str(err)})

    @on("demo.Trap", own_scope=True)
    def trap(self, payload, envelope) -> None:
        raise ValueError("trap requested")

    @on("demo.Spin", own_scope=True)
    def spin(self, payload, envelope) -> None:
        while True:
            pass

    @on("demo.Echo")
    def echo(self, payload, envelope) -> None:
        broadcast("demo.Echoed", json.dumps(payload))
