"""How long a SUT Seatrial started waited for a core while others ran: the machine's share of
its slowness, which a live verdict must not charge to it.

Linux counts, for every thread, the time it ran and the time it was ready to run but no core
was free (`/proc/<pid>/task/<tid>/schedstat`, the scheduler's statistics; the kernel keeps them
whenever it is built with them, as Debian's is). On a 2-core machine with runs side by side or a
noisy neighbour, a SUT that would answer in 10 ms can wait 50 ms for a core first; at 2400x that
is two simulated minutes of a five-minute SLO, and none of it is the SUT's doing. A SUT whose own
threads outnumber the cores waits on itself too, so a wait counts only as far as other processes
ran in the same stretch on the cores the SUT may use (their busy time in `/proc/stat`, less the
SUT's own).

Two readers: the warm-up (`seatrial.live.warmup`), whose load counts the waits as the SUT's busy
time (a SUT with half a core is twice as loaded), and the run (`CoreWatch`), which notes the waits
beside the harness's own lag (`seatrial.lag`), so a timed violation in a stretch where the SUT
was kept off the cores is inconclusive, as one where the harness was late.
"""

from __future__ import annotations

import asyncio
import bisect
import collections
import os
from dataclasses import dataclass
from pathlib import Path

import psutil

from seatrial.lag import CORES
from seatrial.live.clock import LiveClock
from seatrial.live.process import SutProcess

#: wall seconds between two readings of the SUT's counters during a run
EVERY = 0.05
#: readings kept for `CoreWatch.waited_since`: five minutes' worth
KEPT = int(300 / EVERY)
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_BUSY_FIELDS = (0, 1, 2, 5, 6, 7)  # user nice system irq softirq steal (not idle, not iowait)


@dataclass(frozen=True)
class Reading:
    """The SUT's counters at one moment, in seconds since each thread started."""

    cpu: float  # its processes' user and system time
    waited: float | None  # its threads' time waiting for a core; None where Linux does not say
    #: the busy time of the cores the SUT may run on, the SUT's included; None likewise
    machine: float | None

    def waited_for_others(self, since: Reading) -> float:
        """Seconds the SUT waited for a core between `since` and now while other processes
        ran; 0 where the counters are not kept."""
        if None in (self.waited, since.waited, self.machine, since.machine):
            return 0.0
        waited = max(0.0, self.waited - since.waited)
        others = max(0.0, (self.machine - since.machine) - (self.cpu - since.cpu))
        return min(waited, others)


def sut_processes(process: SutProcess | None) -> psutil.Process | None:
    """The SUT's main process, if Seatrial started it (--target-cmd) and it runs."""
    if process is None or process.proc is None:
        return None
    try:
        return psutil.Process(process.proc.pid)
    except psutil.Error:
        return None


def read(main: psutil.Process) -> Reading:
    """The counters of `main` and its children now. A process that has ended counts 0 from
    then on: it is the SUT's to answer for, not the machine's."""
    cpu, waited = 0.0, 0.0
    try:
        family = [main, *main.children(recursive=True)]
    except psutil.Error:
        family = []
    for member in family:
        try:
            times = member.cpu_times()
        except psutil.Error:
            continue
        cpu += times.user + times.system
        waited = _add(waited, _waited(member.pid))
    return Reading(cpu, waited, None if waited is None else _busy(_cores(main)))


def _add(total: float | None, more: float | None) -> float | None:
    return None if total is None or more is None else total + more


def _waited(pid: int) -> float | None:
    """Seconds the threads of `pid` have waited for a core (schedstat's second field, in ns)."""
    total = 0
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return None
    for task in tasks:
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except FileNotFoundError:
            continue  # the thread ended since the listing
        except (OSError, IndexError, ValueError):
            return None
    return total / 1e9


def _cores(main: psutil.Process) -> set[int] | None:
    """The cores the SUT may run on (its main process's affinity); None: all of them."""
    try:
        return set(main.cpu_affinity())
    except (psutil.Error, AttributeError):
        return None


def _busy(cores: set[int] | None) -> float | None:
    """Seconds the `cores` together have been busy since boot (/proc/stat's `cpuN` lines)."""
    total = 0
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            name, *fields = line.split()
            if not name.startswith("cpu") or name == "cpu":
                continue
            if cores is None or int(name[3:]) in cores:
                total += sum(int(fields[index]) for index in _BUSY_FIELDS)
    except (OSError, IndexError, ValueError):
        return None
    return total / _TICK


class CoreWatch:
    """Notes, while a run plays, how long the SUT waited for a core while others ran over the
    last `window` wall seconds (the tightest time limit judged, in wall seconds): a flow at the
    edge of that limit spans no more, so that is at most how late the machine made it."""

    def __init__(self, clock: LiveClock, process: SutProcess, window: float) -> None:
        self.clock, self.process = clock, process
        self.window = max(window, EVERY)
        self._recent: collections.deque[tuple[float, float]] = collections.deque()
        #: (the loop's clock, `time.monotonic`; the SUT's waits so far) at each reading, for
        #: `waited_since`: the last `KEPT` of them
        self._waits: collections.deque[tuple[float, float]] = collections.deque(maxlen=KEPT)

    def waited_since(self, since: float) -> float:
        """Wall seconds the SUT waited for a core while others ran since `since` (the loop's
        clock), as far as the readings kept reach back: the part of a quiet stretch in which
        it could not have been working (seatrial.live.runner.quiescent)."""
        if not self._waits:
            return 0.0
        before = bisect.bisect_right(self._waits, since, key=lambda wait: wait[0]) - 1
        return self._waits[-1][1] - self._waits[max(before, 0)][1]

    async def watch(self) -> None:
        """Until cancelled. A restarted SUT (a crash fault) is a new process: read afresh."""
        loop = asyncio.get_running_loop()
        pid, last, total = None, None, 0.0
        while True:
            await asyncio.sleep(EVERY)
            main = sut_processes(self.process)
            if main is None:
                pid, last = None, None
                continue
            now = read(main)
            if main.pid == pid and last is not None:
                waited = now.waited_for_others(last)
                at = loop.time()
                self._waits.append((at, (self._waits[-1][1] if self._waits else 0.0) + waited))
                self._recent.append((at, waited))
                total += waited
                while self._recent and self._recent[0][0] < at - self.window:
                    total -= self._recent.popleft()[1]
                if total > 0:
                    scale = self.clock.scale
                    self.clock.lag.note(self.clock.sim_now(), total * scale, CORES)
            pid, last = main.pid, now
