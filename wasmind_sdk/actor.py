"""The base class that makes a Wasmind actor a small Python class.

An actor component exports the ``actor`` resource; componentize-py looks for it as class ``Actor`` in a
module named ``actor``. Subclass :class:`ActorBase`, name the class ``Actor`` in your ``actor.py``, and
register handlers with :func:`on`::

    from wasmind_sdk import ActorBase, on, broadcast

    class Actor(ActorBase):
        @on("demo.Ping")
        def ping(self, envelope):
            broadcast("demo.Pong", envelope.payload)
"""

from __future__ import annotations

import array
import functools
import itertools
import json
import re
import tomllib
from collections.abc import Callable
from typing import Any, Protocol

from wasmind_sdk import bulk
from wasmind_sdk.host import accept_bulk_envelopes, warn


class EnvelopeLike(Protocol):
    """The fields of ``wasmind:actor/actor.message-envelope`` as componentize-py exposes them."""

    id: str
    message_type: str
    from_actor_id: str
    from_scope: str
    payload: bytes


Handler = Callable[[Any, Any, EnvelopeLike], None]
_HANDLER_ATTR = "__wasmind_handler__"


def on(
    message: str | type, *, own_scope: bool = False
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register the decorated method for one message type.

    ``message`` is a type string or a message class from ``wasmind_sdk.messages`` (then the handler gets
    the decoded message as its first argument, else the parsed JSON payload). ``own_scope=True`` ignores
    messages sent from other scopes. The handler is called as ``handler(self, message, envelope)``.
    """
    message_type = message if isinstance(message, str) else message.MESSAGE_TYPE
    decoder = None if isinstance(message, str) else message

    def register(func: Callable[..., None]) -> Callable[..., None]:
        setattr(func, _HANDLER_ATTR, (message_type, decoder, own_scope))
        return func

    return register


class MalformedPayload(ValueError):
    """A payload that is not UTF-8 JSON of the shape its handler expects."""


#: Deeper JSON is refused: the guest's C parser recurses, and ~1,500 levels exhaust the wasm stack (a
#: trap no ``except`` can catch).
MAX_NESTING = 500
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_DELTA = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


def _nesting(data: bytes) -> int:
    """How deeply the arrays and objects of JSON text ``data`` nest (brackets in strings do not count)."""
    brackets = _JSON_STRING.sub(b"", data).translate(_DELTA, delete=_NOT_BRACKETS)
    return max(itertools.accumulate(array.array("b", brackets)), default=0)


def parse_payload(payload: bytes | bytearray | memoryview) -> Any:
    """A payload's JSON value (``None`` for an empty payload), read strictly as UTF-8.

    ``json.loads`` of bytes guesses UTF-16/32 from the first bytes (``b"\\x00\\x01"`` asks for a codec
    the guest may not have); this never guesses. Every failure is a :class:`MalformedPayload`.
    """
    if not payload:
        return None
    data = bytes(payload)
    if data.count(b"[") + data.count(b"{") > MAX_NESTING and _nesting(data) > MAX_NESTING:
        raise MalformedPayload(f"JSON nested deeper than {MAX_NESTING} levels")
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as err:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise MalformedPayload(f"not UTF-8 JSON: {type(err).__name__}: {err}") from None


def _decode(decoder: Any, payload: bytes) -> Any:
    value = parse_payload(payload)
    if decoder is None:
        return value
    try:
        return decoder.from_json(value)
    except Exception as err:  # a payload of the wrong shape, whatever the message class raises for it
        raise MalformedPayload(f"{type(err).__name__}: {err}") from None


def _resolving_bulk(handle_message: Callable[[Any, EnvelopeLike], None]) -> Callable[..., None]:
    @functools.wraps(handle_message)
    def resolving(self: Any, message: EnvelopeLike) -> None:
        bulk.resolve_envelope(message)
        handle_message(self, message)

    return resolving


class ActorBase:
    """Implements the ``actor`` resource: constructor, handle-message dispatch, destructor.

    Attributes: ``scope`` (this agent's scope), ``config`` (the actor's config table as a dict).
    Override :meth:`setup` for start-up work, :meth:`on_message` for messages no handler takes, and
    :meth:`teardown` for clean-up.
    """

    _handlers: dict[str, list[tuple[str, Any, bool]]]
    _catch_all: bool | None = None

    def __init_subclass__(cls, *, catch_all: bool | None = None, **kwargs: Any) -> None:
        """``class Actor(ActorBase, catch_all=False)``: this class's ``handle_message`` or ``on_message``
        override needs no message its ``@on`` handlers do not take, so the host may call it for those only
        (by default an override means it wants every message). Subclasses inherit the choice."""
        super().__init_subclass__(**kwargs)
        if catch_all is not None:
            cls._catch_all = catch_all
        handlers: dict[str, list[tuple[str, Any, bool]]] = {}
        for klass in reversed(cls.__mro__):
            for name, attr in vars(klass).items():
                spec = getattr(attr, _HANDLER_ATTR, None)
                if spec is not None:
                    message_type, decoder, own_scope = spec
                    entries = [e for e in handlers.get(message_type, []) if e[0] != name]
                    handlers[message_type] = [*entries, (name, decoder, own_scope)]
        cls._handlers = handlers
        own = cls.__dict__.get("handle_message")
        if own is not None:  # an override sees the real payload too, whether or not it calls super()
            cls.handle_message = _resolving_bulk(own)  # type: ignore[method-assign]

    def __init__(self, scope: str, config: str) -> None:
        self.scope = scope
        self.config: dict[str, Any] = tomllib.loads(config) if config else {}
        accept_bulk_envelopes()  # large payloads then come as files, read before any handler runs
        self.setup()

    def setup(self) -> None:
        """Called once at the end of the constructor."""

    def handle_message(self, message: EnvelopeLike) -> None:
        bulk.resolve_envelope(message)
        entries = self._handlers.get(message.message_type)
        if not entries:
            self.on_message(message)
            return
        for name, decoder, own_scope in entries:
            if own_scope and message.from_scope != self.scope:
                continue
            try:
                value = _decode(decoder, message.payload)
            except MalformedPayload as err:
                self.on_decode_error(message, err)
                continue
            getattr(self, name)(value, message)

    def on_decode_error(self, envelope: EnvelopeLike, error: MalformedPayload) -> None:
        """A payload did not decode for its ``@on`` handler: log it and skip the message (a malformed
        message from another actor is no reason to stop). Override to react differently."""
        warn(f"{type(self).__name__} in {self.scope}: skipped a malformed {envelope.message_type}: {error}")

    def on_message(self, envelope: EnvelopeLike) -> None:
        """Called for messages that no ``@on`` handler takes. Does nothing by default."""

    def destructor(self) -> None:
        self.teardown()

    def teardown(self) -> None:
        """Called once when the agent exits or the system shuts down."""
