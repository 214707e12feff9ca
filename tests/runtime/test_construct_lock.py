"""Constructors run one at a time (``Lanes.constructing``), except while one waits on the host."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from wasmind_nb.runtime.lanes import Lanes


@pytest.fixture
def lanes() -> Lanes:
    return Lanes(
        SimpleNamespace(workers=2),
        lock=threading.RLock(),
        idle=None,  # not used by what is tested
        execute=lambda *args: None,
        engine=None,
        linker=None,
        working_dir=None,
        services=None,
        record_denial=lambda denial: "",
    )


def _try_constructing(lanes: Lanes) -> threading.Event:
    """Start a thread that enters ``constructing()``; the event is set once it got in."""
    entered = threading.Event()

    def run() -> None:
        with lanes.constructing():
            entered.set()

    threading.Thread(target=run, daemon=True).start()
    return entered


def test_a_second_constructor_waits_for_the_first(lanes: Lanes) -> None:
    with lanes.constructing():
        other = _try_constructing(lanes)
        assert not other.wait(0.2)
    assert other.wait(5)


def test_a_constructor_waiting_on_the_host_lets_the_next_one_run(lanes: Lanes) -> None:
    with lanes.constructing():
        with lanes.blocking():  # e.g. the constructor runs a command
            assert _try_constructing(lanes).wait(5)
        later = _try_constructing(lanes)
        assert not later.wait(0.2)  # back from the host: it holds the turn again
    assert later.wait(5)


def test_blocking_outside_a_constructor_takes_no_turn(lanes: Lanes) -> None:
    with lanes.blocking():
        assert _try_constructing(lanes).wait(5)
