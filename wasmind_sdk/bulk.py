"""Large payloads between guest and host: in parts and through files, not as one engine value.

wasmtime bounds what one host call may copy out of a guest (about 3 MB of ``list<u8>``), and a
``list<u8>`` handed into a guest as an engine value costs about 80 bytes of host memory per byte. So on a
wasmind-nb host (one that preopens :data:`GUEST_DIR`) data over :data:`BULK_BYTES` crosses another way:

* **guest to host** (a broadcast payload, an HTTP request body): the SDK sends the data in
  :data:`PART_BYTES` parts, each as a broadcast of :data:`PART_TYPE` that the host keeps and never puts on
  the bus, then makes the real call with :data:`MARKER` in place of the data;
* **host to guest** (a message payload, an HTTP response body): the host writes the data to a file in the
  store's own read-only :data:`GUEST_DIR` and hands over ``MARKER + file name``; the SDK reads it. The host
  does this only where the guest said it reads such markers: envelopes after :data:`ACCEPT_TYPE`
  (sent by :class:`~wasmind_sdk.ActorBase`), an HTTP response when the request carried
  :data:`ACCEPT_HEADER` (which the host removes before sending).

On any other host :data:`GUEST_DIR` is absent and everything goes as plain values, as the WIT says.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

#: The largest payload moved between host and guest (a message, an HTTP body).
MAX_PAYLOAD_BYTES = 64 * 1024 * 1024
#: Data over this size crosses in parts or through a file.
BULK_BYTES = 64 * 1024
#: The size of one part of guest-to-host data.
PART_BYTES = 256 * 1024
#: Stands in for data sent in parts (guest to host) or put in a file (host to guest, then a file name).
MARKER = b"\x00wasmind-bulk\x00"
#: The message type of a part (taken by the host, never delivered).
PART_TYPE = "wasmind.bulk.Part"
#: The message type by which a guest says its envelopes may carry markers (taken by the host).
ACCEPT_TYPE = "wasmind.bulk.Accept"
#: The request header by which a guest says the response body may be a marker (removed by the host).
ACCEPT_HEADER = "x-wasmind-bulk"
#: Where the host preopens the store's files of host-to-guest data (read-only).
GUEST_DIR = "/.wasmind/bulk"

_RESOLVED = "_wasmind_bulk_resolved"
_FILE_NAME = re.compile(rb"[0-9]{1,20}")
_available: bool | None = None


class PayloadTooLarge(ValueError):
    """Data over :data:`MAX_PAYLOAD_BYTES`."""


def check_size(what: str, size: int, limit: int = MAX_PAYLOAD_BYTES) -> None:
    """Raise :class:`PayloadTooLarge` naming ``what`` and the limit if ``size`` is over it."""
    if size > limit:
        raise PayloadTooLarge(
            f"{what} is {size:,} bytes: over the {limit:,}-byte payload limit (MAX_PAYLOAD_BYTES)"
        )


def available() -> bool:
    """Whether this host takes bulk data (asked once per instance, never at build time)."""
    global _available
    if _available is None:
        _available = os.path.isdir(GUEST_DIR)
    return _available


def send(data: bytes, call: Callable[[bytes], None], part: Callable[[bytes], None]) -> None:
    """``call(data)``, or on a wasmind-nb host for large data: ``part(p)`` per part, then ``call(MARKER)``."""
    if len(data) <= BULK_BYTES or not available():
        call(data)
        return
    view = memoryview(data)
    for start in range(0, len(data), PART_BYTES):
        part(bytes(view[start : start + PART_BYTES]))
    call(MARKER)


def resolve_envelope(message: Any) -> None:
    """Put the data in place of a marker in ``message.payload``, once per envelope."""
    payload = message.payload
    if payload[: len(MARKER)] == MARKER and not getattr(message, _RESOLVED, False):
        message.payload = resolve(bytes(payload))
        setattr(message, _RESOLVED, True)


def resolve(data: bytes) -> bytes:
    """The data a marker from the host stands for; any other bytes as they are."""
    if not data.startswith(MARKER) or not available():
        return data
    name = data[len(MARKER) :]
    if not _FILE_NAME.fullmatch(name):
        return data
    try:
        with open(f"{GUEST_DIR}/{name.decode()}", "rb") as handle:
            return handle.read()
    except OSError:
        return data
