"""A SUT kept off the cores by other processes (issue 18): its wait for a core is the
machine's, read from Linux's scheduler statistics (seatrial.live.cores), so it slows the pace a
warm-up picks and makes a timed violation in that stretch inconclusive, never the SUT's."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest
from suts import SEATRIAL

from seatrial.catalogue import catalogue
from seatrial.judge.inconclusive import lag_sentence
from seatrial.lag import CORES
from seatrial.live import cores
from seatrial.live.clock import LiveClock
from seatrial.live.cores import CoreWatch, Reading, read
from seatrial.live.runner import LiveOptions, LiveTarget, play_live, quiescent
from seatrial.run import judge

SCHEDSTAT = Path("/proc/self/schedstat").exists()
pinning = pytest.mark.skipif(
    not (SCHEDSTAT and shutil.which("taskset") and (os.cpu_count() or 1) >= 2),
    reason="needs Linux's scheduler statistics, taskset and two cores")
BUSY = "while True: pass"
#: the core the tests pin their SUT to: the last, so the harness (the test process) mostly has
#: another one
CORE = max(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0


def test_a_wait_counts_only_as_far_as_others_ran():
    before = Reading(cpu=1.0, waited=1.0, machine=10.0)
    # the SUT ran 0.5 s and waited 0.8 s while the machine was busy 0.8 s: others ran 0.3 s
    assert Reading(1.5, 1.8, 10.8).waited_for_others(before) == pytest.approx(0.3)
    # others ran 2 s: the whole 0.8 s wait was theirs
    assert Reading(1.5, 1.8, 12.5).waited_for_others(before) == pytest.approx(0.8)
    # a kernel without the statistics says nothing
    assert Reading(1.5, None, None).waited_for_others(before) == 0.0


def test_a_core_watch_tells_how_long_the_sut_waited_since_a_moment(monkeypatch):
    # two readings of no wait, then one in which it waited 30 ms while others ran
    readings = iter([Reading(0.0, 0.0, 0.0), Reading(0.01, 0.0, 0.05),
                     Reading(0.02, 0.03, 0.15)])
    last = [Reading(0.0, 0.0, 0.0)]

    def read_next(_main):
        last[0] = next(readings, last[0])
        return last[0]

    monkeypatch.setattr(cores, "sut_processes", lambda _process: SimpleNamespace(pid=7))
    monkeypatch.setattr(cores, "read", read_next)
    clock = SimpleNamespace(scale=1.0, sim_now=lambda: 0.0,
                            lag=SimpleNamespace(note=lambda *_args: None))
    watch = CoreWatch(clock, None, 1.0)

    async def watched(seconds: float) -> tuple[float, float]:
        began = asyncio.get_running_loop().time()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(watch.watch(), seconds)
        return began, asyncio.get_running_loop().time()

    assert watch.waited_since(0.0) == 0.0
    began, ended = asyncio.run(watched(0.4))
    assert watch.waited_since(began) == pytest.approx(0.03)
    assert watch.waited_since(ended) == 0.0  # nothing since the last reading


def test_a_quiet_stretch_counts_only_the_time_the_sut_was_not_kept_off_the_cores():
    now = time.monotonic()
    session = SimpleNamespace(
        world=SimpleNamespace(env=SimpleNamespace(peek=lambda: 10.0), horizon=5.0),
        remote=SimpleNamespace(inflight=0, last=now - 3.0),
        stack=SimpleNamespace(activity=SimpleNamespace(open=0, last=now - 3.0)), broker=None)
    assert quiescent(session, 2.0)  # no traffic for 3 s: settled
    # ...unless the SUT waited for a core for 1.5 of them: it may have work it took and could
    # not do yet (the x12 reference's last 210, not looked at when such a run ended)
    assert not quiescent(session, 2.0, lambda since: 1.5 if since <= now - 3.0 else 0.0)
    assert quiescent(session, 2.0, lambda _since: 0.5)  # 2.5 s of its own: settled


@contextlib.contextmanager
def hogs(count: int) -> Iterator[list[subprocess.Popen]]:
    """`count` busy processes pinned to CORE."""
    procs = [subprocess.Popen(["taskset", "-c", str(CORE), sys.executable, "-c", BUSY])
             for _ in range(count)]
    try:
        yield procs
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def waited_over(main: psutil.Process, seconds: float) -> float:
    before = read(main)
    time.sleep(seconds)
    return read(main).waited_for_others(before)


@pytest.mark.wall_clock
@pinning
def test_a_sut_sharing_its_core_with_others_waits_and_one_waiting_on_itself_does_not():
    # a "SUT" of three busy processes on one core: each waits two thirds of the time, on its
    # own siblings, which is the SUT's own doing
    sut = subprocess.Popen(["taskset", "-c", str(CORE), sys.executable, "-c",
                            "import subprocess, sys\n"
                            f"kids = [subprocess.Popen([sys.executable, '-c', {BUSY!r}]) "
                            "for _ in range(2)]\n" + BUSY])
    try:
        time.sleep(0.5)
        main = psutil.Process(sut.pid)
        assert len(main.children()) == 2
        alone = waited_over(main, 1.0)
        with hogs(3):
            time.sleep(0.2)
            shared = waited_over(main, 1.0)
    finally:
        for child in psutil.Process(sut.pid).children():
            child.kill()
        sut.kill()
        sut.wait()
    assert alone < 0.3, alone  # measured 2 s of waiting, nearly all on its own siblings
    # the three busy processes ran half the second beside it: that much of its wait counts
    assert shared > 0.3, shared


@pytest.mark.wall_clock
@pinning
def test_a_starved_sut_makes_the_slo_inconclusive_not_a_violation(monkeypatch):
    """The reference, pinned to one core at the lowest priority, shares it with two busy
    processes for three wall seconds from the clock's start: a 20-minute release wave at 600x
    that it cannot keep up with, for the machine's reasons. (At the same priority the kernel
    favours a process that sleeps as much as a SUT does, and a SUT in a session of its own is
    a scheduling group of its own: busy neighbours barely delay it. So its group is niced.)
    The harness runs on the other core, on time (the busy processes are started stopped,
    beforehand, and only woken then: starting them would stall the harness's own loop)."""
    start = LiveClock.start
    wave = catalogue()["happy-path"]
    wave = wave.model_copy(update={"duration": 1200.0, "workload": wave.workload.model_copy(
        update={"cancel_rate": 0.0})})

    with hogs(2) as busy:
        for proc in busy:
            proc.send_signal(signal.SIGSTOP)

        def signal_all(sig: signal.Signals) -> None:
            for proc in busy:
                proc.send_signal(sig)

        def start_starved(clock: LiveClock) -> None:
            start(clock)
            signal_all(signal.SIGCONT)
            asyncio.get_running_loop().call_later(3.0, signal_all, signal.SIGSTOP)

        monkeypatch.setattr(LiveClock, "start", start_starved)
        began = time.perf_counter()
        world, end, _pace = play_live(
            wave, LiveTarget(command=f"echo 19 > /proc/$$/autogroup; exec taskset -c {CORE} "
                                     f"{SEATRIAL} sut reference"),
            LiveOptions(scale=600.0, drain=3.0))
    result = judge(world, end, "reference", began)
    assert result.violations == [], [v["message"] for v in result.violations]
    slo = [v for v in result.inconclusive if v["invariant"] == "latency-slo"]
    assert slo, "the starved reference kept its SLO: the test starved it too little"
    assert slo[0]["harness_lag"]["cause"] == CORES
    assert "waited" in lag_sentence(slo[0]["harness_lag"])
    assert result.live["lag"]["stretches_over_bound_by_cause"][CORES] > 0
