"""Small assertions helpers shared by the tests."""

from __future__ import annotations


def of_type(mind, message_type: str) -> list:
    """The envelopes of one type, in bus order."""
    return [m for m in mind.messages if m.message_type == message_type]


def payloads(mind, message_type: str) -> list:
    """The JSON payloads of one type, in bus order."""
    return [m.json() for m in of_type(mind, message_type)]
