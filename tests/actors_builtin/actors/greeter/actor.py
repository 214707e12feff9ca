"""Test actor: sends its config's ``system`` and ``user`` texts to its agent from the constructor.

Constructor broadcasts reach the assistant before the scope's ``AllActorsReady``, so tests can check what
the assistant does with input that arrives while it is still starting.
"""

from wasmind_sdk import ActorBase, broadcast
from wasmind_sdk.messages import AddMessage, SystemMessage, UserMessage


class Actor(ActorBase):
    def setup(self) -> None:
        for text in self.config.get("system", []):
            broadcast(AddMessage(self.scope, SystemMessage(text)))
        for text in self.config.get("user", []):
            broadcast(AddMessage(self.scope, UserMessage(text)))
