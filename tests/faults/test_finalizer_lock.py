"""``HandleMessageCall`` finalizers never take the envelopes' lock, so a collection inside it is safe."""

from __future__ import annotations

import gc
import threading

from wasmind_nb.host.lowering import HandleMessageCall, LoweredEnvelopes

KEY = ("id-1", "demo.Ping", "echo", "000000", b"x" * 64)


def _orphaned_call(envelopes: LoweredEnvelopes) -> None:
    """A call holding a lowered envelope, left in a reference cycle so only the collector frees it."""
    call = object.__new__(HandleMessageCall)
    call._envelopes = envelopes
    call._lowered = envelopes.acquire(KEY)
    call.cycle = call  # type: ignore[attr-defined]


def test_a_collection_inside_the_locked_region_does_not_deadlock() -> None:
    envelopes = LoweredEnvelopes()
    gc.disable()
    try:
        _orphaned_call(envelopes)
        collected = threading.Event()

        def collect_while_locked() -> None:
            with envelopes._lock:  # what acquire/release hold when an allocation triggers the collector
                gc.collect()
                collected.set()

        worker = threading.Thread(target=collect_while_locked, daemon=True)
        worker.start()
        worker.join(timeout=60)  # a guard against hanging the suite, not a measurement
        assert collected.is_set(), "the finalizer blocked on the lock its own thread holds"
    finally:
        gc.enable()
    # the release was queued, not lost: the next use of the envelopes frees it
    assert len(envelopes) == 0


def test_a_release_queued_by_a_finalizer_is_done_by_the_next_acquire() -> None:
    envelopes = LoweredEnvelopes()
    first = envelopes.acquire(KEY)
    envelopes.release_later(first)
    second = envelopes.acquire(KEY)
    assert second is not first  # the queued release freed the first before the lookup
    envelopes.release(second)
    assert len(envelopes) == 0
