"""The host's side of bulk data (see :mod:`wasmind_sdk.bulk` for the protocol): one channel per store.

Guest to host, the parts a guest sends (broadcasts of ``PART_TYPE``) are kept here and stand in for the
next ``MARKER`` the guest passes as a payload or a request body. Host to guest, data is written to a file
in the store's own directory, which the guest sees read-only at ``GUEST_DIR``. Both live for one guest
call: :meth:`BulkChannel.end_call` deletes the files and drops parts nobody claimed, so a guest can hold
at most one payload limit of host memory and leaves nothing on disk.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import shutil
import tempfile
import weakref

from wasmind_nb.host import bytelists
from wasmind_sdk.bulk import ACCEPT_HEADER, ACCEPT_TYPE, BULK_BYTES, GUEST_DIR, MARKER, PART_TYPE

__all__ = ["ACCEPT_HEADER", "ACCEPT_TYPE", "GUEST_DIR", "PART_TYPE", "BulkChannel"]
log = logging.getLogger("wasmind_nb.host")


class BulkChannel:
    """Bulk data of one store: the parts received in the current call and the files staged for it."""

    def __init__(self, parent: str) -> None:
        self.directory = tempfile.mkdtemp(prefix="bulk-", dir=parent)
        #: Whether the guest reads markers in the envelopes it is handed (it sent ``ACCEPT_TYPE``).
        self.accepts_envelopes = False
        self._parts = bytearray()
        self._staged: list[str] = []
        self._names = itertools.count()
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.directory, True)

    def add_part(self, data: bytes) -> None:
        """Keep one part; raises :class:`~wasmind_sdk.bulk.PayloadTooLarge` past the payload limit."""
        bytelists.check_size("data sent in parts", len(self._parts) + len(data))
        self._parts += data

    def claim(self, value: bytes) -> bytes:
        """The parts received, if ``value`` is the marker that stands for them; else ``value``."""
        if value != MARKER or not self._parts:
            return value
        data, self._parts = bytes(self._parts), bytearray()
        return data

    @staticmethod
    def wants_file(data: bytes) -> bool:
        """Whether ``data`` goes to a reading guest as a file: large, or itself starting like a marker."""
        return len(data) > BULK_BYTES or data.startswith(MARKER)

    def stage(self, data: bytes) -> bytes:
        """Write ``data`` to a file for the guest; returns the marker naming it."""
        name = str(next(self._names))
        path = os.path.join(self.directory, name)
        with open(path, "wb") as handle:
            handle.write(data)
        self._staged.append(path)
        return MARKER + name.encode()

    def end_call(self) -> None:
        """Delete this call's files and drop unclaimed parts."""
        for path in self._staged:
            with contextlib.suppress(OSError):
                os.unlink(path)
        self._staged.clear()
        if self._parts:
            log.warning("a guest sent %d bytes in parts and never used them", len(self._parts))
            self._parts = bytearray()

    def close(self) -> None:
        self._cleanup()
