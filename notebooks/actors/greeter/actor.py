"""Demo actor of the quickstart: answers a user message sent to its agent with a greeting.

Config: ``greeting`` (default "Hello"). Sends ``demo.Greeting {"text": ...}`` from its own scope.
"""

from wasmind_sdk import ActorBase, broadcast, on

ADD_MESSAGE = "wasmind.common.assistant.AddMessage"


class Actor(ActorBase):
    def setup(self) -> None:
        self.greeting = self.config.get("greeting", "Hello")

    @on(ADD_MESSAGE)
    def greet(self, payload, envelope) -> None:
        if payload["agent"] == self.scope:  # AddMessage reaches every actor; this one is for us
            name = payload["message"]["content"]
            broadcast("demo.Greeting", {"text": f"{self.greeting}, {name}!"})
