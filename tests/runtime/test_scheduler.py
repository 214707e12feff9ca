"""The lane scheduler: every lane runs once, at most ``runners`` at a time, and a runner that waits in a
host call hands its slot to another thread."""

from __future__ import annotations

import threading

from wasmind_nb.runtime.scheduler import LaneScheduler

WAIT = 10.0  # seconds; only reached when the behaviour under test is broken


class Recorder:
    """A ``run`` function that records which lanes ran and how many ran at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ran: list[int] = []
        self.running = 0
        self.most = 0
        self.done = threading.Semaphore(0)

    def enter(self) -> None:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)

    def leave(self, lane: int) -> None:
        with self.lock:
            self.running -= 1
            self.ran.append(lane)
        self.done.release()

    def wait_for(self, count: int) -> None:
        for _ in range(count):
            assert self.done.acquire(timeout=WAIT), "a lane never ran"


def test_every_lane_runs_once_and_at_most_runners_at_a_time() -> None:
    rec = Recorder()
    both_in = threading.Barrier(2, timeout=WAIT)

    def run(lane: int) -> None:
        rec.enter()
        if lane < 2:
            both_in.wait()  # the first two lanes must be running at the same time
        else:
            threading.Event().wait(0.002)
        rec.leave(lane)

    scheduler = LaneScheduler(8, run, runners=2)
    for lane in range(40):
        scheduler.submit(lane)
    rec.wait_for(40)
    scheduler.shutdown()
    assert sorted(rec.ran) == list(range(40))
    assert rec.most == 2


def test_a_runner_waiting_in_a_host_call_lets_another_lane_run() -> None:
    rec = Recorder()
    answered = threading.Event()
    scheduler: LaneScheduler[str]

    def run(lane: str) -> None:
        rec.enter()
        if lane == "asks":
            with scheduler.blocking():  # like a command or an HTTP request waiting on the outside
                assert answered.wait(WAIT), "no other lane ran while this one waited"
        else:
            answered.set()
        rec.leave(0)

    scheduler = LaneScheduler(4, run, runners=1)
    scheduler.submit("asks")
    scheduler.submit("answers")
    rec.wait_for(2)
    scheduler.shutdown()
    assert answered.is_set()


def test_one_worker_runs_lanes_in_submission_order() -> None:
    rec = Recorder()

    def run(lane: int) -> None:
        rec.enter()
        rec.leave(lane)

    scheduler = LaneScheduler(1, run)
    for lane in range(20):
        scheduler.submit(lane)
    rec.wait_for(20)
    scheduler.shutdown()
    assert rec.ran == list(range(20)) and rec.most == 1
