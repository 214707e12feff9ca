"""A guest waiting on a wasi:io timer hands its worker's turn to others (``host/wasi/io.py``)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import pytest
import wasmtime

from wasmind_nb.config.specs import Capabilities
from wasmind_nb.host import context
from wasmind_nb.host.wasi import io


class _Services:
    """Records each sleep and whether it ran inside ``blocking()``."""

    def __init__(self) -> None:
        self.inside = False
        self.sleeps: list[tuple[bool, float]] = []

    @contextlib.contextmanager
    def blocking(self) -> Iterator[None]:
        self.inside = True
        try:
            yield
        finally:
            self.inside = False


@pytest.fixture
def services(monkeypatch: pytest.MonkeyPatch) -> _Services:
    recorder = _Services()
    monkeypatch.setattr(io.time, "sleep", lambda s: recorder.sleeps.append((recorder.inside, s)))
    return recorder


def _call(services: object, budget_ticks: int) -> context.CallContext:
    return context.CallContext(
        services=services,
        actor_name="js",
        scope="abc123",
        capabilities=Capabilities(),
        store=wasmtime.Store(wasmtime.Engine()),
        deadline_ticks=budget_ticks,
    )


def test_a_timer_sleeps_inside_the_runtimes_blocking_section(services: _Services) -> None:
    with context.entered(_call(services, budget_ticks=100_000)):  # 1,000 s
        assert io._sleep_until(time.monotonic_ns() + 5 * 10**9)
    [(inside, seconds)] = services.sleeps
    assert inside and 0 < seconds <= 5  # other lanes and constructors may run meanwhile


def test_a_timer_past_the_budget_sleeps_out_the_budget_and_ends_it(services: _Services) -> None:
    with context.entered(_call(services, budget_ticks=100)):  # 1 s
        assert not io._sleep_until(time.monotonic_ns() + 600 * 10**9)
    [(inside, seconds)] = services.sleeps
    assert inside and seconds <= 1


def test_services_without_blocking_sleep_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr(io.time, "sleep", sleeps.append)
    with context.entered(_call(object(), budget_ticks=100_000)):
        assert io._sleep_until(time.monotonic_ns() + 10**9)
    assert len(sleeps) == 1
