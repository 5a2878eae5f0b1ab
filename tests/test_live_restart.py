"""A crash fault live: the SUT Seatrial started is killed and started again, and simulated time
stands still while it boots (seatrial.live.clock.hold), so its start-up is charged at its real
length, not times the pace; a SUT that does not come back stops the run (exit 2), never a green."""

from __future__ import annotations

import asyncio
import time

import pytest
import simpy
from suts import SEATRIAL

from seatrial.catalogue import catalogue
from seatrial.faults.kinds.crash import Crash
from seatrial.ledger import Ledger
from seatrial.live.clock import LiveClock
from seatrial.live.http_client import BoundedClient
from seatrial.live.process import SutProcess
from seatrial.live.remote import RemoteSut
from seatrial.live.runner import LiveOptions, LiveTarget, LiveTargetError, play_live
from seatrial.run import judge

CRASH_AT, DOWN = 3600.0, 120.0
PACE = 14_400.0  # four simulated hours a wall second: the scenario's days in seconds
BOOT = 3.0  # wall seconds the SUT below sleeps before it starts: twelve simulated hours at PACE
SCENARIO = catalogue()["happy-path"].model_copy(update={
    "name": "slow-boot-crash", "duration": 2 * 3600.0,
    "faults": (Crash(at=CRASH_AT, restart_after=DOWN),),
    "workload": catalogue()["happy-path"].workload.model_copy(
        update={"orders_per_hour": 30.0, "cancel_rate": 0.0})})


def test_a_held_clock_stands_still_and_moves_on_by_what_release_says():
    async def held() -> tuple[float, float, float]:
        clock = LiveClock(simpy.Environment(), scale=3600.0)
        clock.start()
        clock.hold()
        stopped = clock.sim_now()
        await asyncio.sleep(0.05)  # 180 simulated seconds, were the clock running
        during = clock.sim_now()
        clock.release(2.0)
        return stopped, during, clock.sim_now()

    stopped, during, after = asyncio.run(held())
    assert during == stopped
    assert stopped + 2.0 <= after < stopped + 170.0


@pytest.mark.wall_clock
def test_a_slow_boot_after_a_crash_is_not_charged_times_the_pace(tmp_path):
    script = tmp_path / "slow-sut.sh"
    script.write_text(f"sleep {BOOT:g}\nexec {SEATRIAL} sut reference\n")
    world, end, _pace = play_live(SCENARIO, LiveTarget(command=f"sh {script}"),
                                  LiveOptions(scale=PACE))
    first_back = min(entry.time for entry in world.ledger.entries
                     if entry.kind == "ack" and entry.time >= CRASH_AT + DOWN)
    # charged at the pace, the boot alone would put the first answer twelve hours later
    assert first_back < CRASH_AT + DOWN + 3600
    result = judge(world, end, "slow boot", time.monotonic())
    assert not [v for v in result.violations if v.get("timed") is False], result.violations


@pytest.mark.wall_clock
def test_a_sut_that_does_not_come_back_after_a_crash_stops_the_run(tmp_path):
    script = tmp_path / "once.sh"
    script.write_text('if [ -e "$SEATRIAL_STATE_DIR/booted" ]; then echo "no second boot"; '
                      'exit 3; fi\ntouch "$SEATRIAL_STATE_DIR/booted"\n'
                      f"exec {SEATRIAL} sut reference\n")
    with pytest.raises(LiveTargetError, match=r"(?s)restarting after a crash fault.*exited with "
                                              r"code 3.*no second boot"):
        play_live(SCENARIO, LiveTarget(command=f"sh {script}"), LiveOptions(scale=PACE))


def test_a_restart_due_while_the_run_ends_starts_no_sut(tmp_path):
    """The run's teardown closes the remote SUT before it stops the process: a crash fault's
    restart falling due in between (a delivery's answer kicks the clock) must not start a SUT
    that nothing would stop any more (seen after a SIGTERM to `seatrial run --jobs 2`)."""
    async def ending() -> SutProcess:
        clock = LiveClock(simpy.Environment(), scale=3600.0)
        process = SutProcess("sleep 60", tmp_path / "sut.log")
        remote = RemoteSut("http://127.0.0.1:9", clock, BoundedClient(timeout=1.0), process,
                           Ledger())
        clock.start()
        remote.crash(restart_after=1.0)  # due a wall millisecond from now
        await remote.close()
        await asyncio.sleep(0.05)
        clock.kick()  # what an answer arriving during the teardown does
        await asyncio.sleep(0.05)
        return process

    process = asyncio.run(ending())
    started = process.proc
    process.stop()
    assert started is None
