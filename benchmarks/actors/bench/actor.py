"""Benchmark actor: counts bench.Fanout messages, answers bench.Ping from its own scope."""

from wasmind_sdk import ActorBase, broadcast, on


class Actor(ActorBase):
    def setup(self) -> None:
        self.seen = 0

    @on("bench.Fanout")
    def fanout(self, payload, envelope) -> None:
        self.seen += 1

    @on("bench.Ping", own_scope=True)
    def ping(self, payload, envelope) -> None:
        broadcast("bench.Pong", {"seen": self.seen})

    def on_message(self, envelope) -> None:
        if envelope.message_type == "bench.Echo":  # raw bytes back, no JSON: measures the transport
            broadcast("bench.Echoed", bytes(envelope.payload))
