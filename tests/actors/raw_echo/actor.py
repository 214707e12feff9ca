"""A raw componentize-py actor: generated bindings only, no wasmind_sdk."""

from wit_world import exports
from wit_world.exports import actor as actor_types
from wit_world.imports import logger, messaging


class Actor(exports.actor.Actor):
    def __init__(self, scope: str, config: str) -> None:
        self.scope = scope
        logger.log(logger.LogLevel.INFO, f"raw echo up in {scope} with config {config!r}")

    def handle_message(self, message: actor_types.MessageEnvelope) -> None:
        if message.message_type == "raw.Ping" and message.from_scope == self.scope:
            messaging.broadcast("raw.Pong", bytes(message.payload))

    def destructor(self) -> None:
        pass
