"""A load profile: what a peak-season rehearsal sends, how hard, and what it must meet.

Pure data and arithmetic, shared by the Locust side (arrivals, shape, gate) and the simulator
service (the scenario its world runs), which must not share a process (gevent vs asyncio).

Arrivals follow the business rate in real time (a baseline of 400 orders an hour is 0.11 orders
a wall second), because that is what a sync implementation must keep up with. The simulators'
lifecycles run compressed (`time_scale`), so each order's days of tenders, milestones and
deliveries arrive within seconds: the SUT sees the event mix of a steady peak day (events per
second = orders per second x events per order) without waiting days for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from seatrial.faults.kinds.duplicate import Duplicate
from seatrial.faults.kinds.outage import Outage
from seatrial.model.envelope import SYSTEMS
from seatrial.scenario import Expectations, LiveSettings, Scenario, Workload

HOUR = 3600.0
# A day's volume as a multiple of a normal day (EU parcel data; docs/load-profiles.md, "The
# calendar multipliers").
CALENDAR = {"normal-day": 1.0, "black-week": 1.9, "black-friday": 2.4, "cyber-monday": 3.5}
HEADROOM = 1.5  # large retailers rehearse at 150 % of last year's peak
DEFAULT_BASELINE = 400.0  # orders an hour on a normal day


@dataclass(frozen=True)
class Stage:
    """Until `until` (a fraction of the load's duration), arrivals run at `rate` times the
    profile's rate (baseline x calendar x multiplier)."""

    until: float
    rate: float


@dataclass(frozen=True)
class OutageUnderLoad:
    """A system down (503s) from `at` for `lasting`, both fractions of the load's duration."""

    system: Literal["erp", "tms", "lastmile"]
    at: float
    lasting: float


@dataclass(frozen=True)
class Thresholds:
    """What the gate holds the run to. `p95_ms` keys are "TYPE name" as Locust's stats show
    them; the name may be a glob (`WEBHOOK *`). Every key must match a row with samples."""

    p95_ms: dict[str, float] = field(default_factory=lambda: {
        "POST release order": 500.0,
        "WEBHOOK *": 1000.0,
        "FLOW order -> shipment": 2000.0,
        "FLOW milestone -> ERP": 2000.0,
        "FLOW POD -> invoice": 2000.0,
        "BACKLOG *": 30_000.0,
    })
    failure_ratio: float = 0.01  # of the release requests
    dropped_ratio: float = 0.001  # of the arrivals: a generator that falls behind proves nothing


@dataclass(frozen=True)
class LoadProfile:
    name: str
    calendar: float = 1.0  # this day's volume as a multiple of a normal day
    multiplier: float = 1.0  # headroom over the calendar day (HEADROOM to rehearse a peak)
    stages: tuple[Stage, ...] = (Stage(1.0, 1.0),)
    outage: OutageUnderLoad | None = None
    duration: float = 120.0  # wall seconds of load
    drain: float = 180.0  # wall seconds the backlog may take to drain once the load stops
    time_scale: float = 3600.0  # simulated seconds per wall second for the lifecycles
    drivers: int = 8  # open-model arrival drivers (Locust users); keep >= worker processes
    in_flight: int = 64  # open model: arrivals in flight at once, across drivers
    cancel_rate: float = 0.02
    address_change_rate: float = 0.01
    # webhooks are at-least-once: a sender whose delivery timed out under load sends it again
    duplicate_rate: float = 0.01
    thresholds: Thresholds = field(default_factory=Thresholds)

    def validate(self) -> None:
        """A profile that cannot run; the message names the field."""
        problems = []
        if not self.stages or abs(self.stages[-1].until - 1.0) > 1e-9:
            problems.append("stages: the last stage must end at until=1.0")
        if any(b.until <= a.until for a, b in zip(self.stages, self.stages[1:], strict=False)):
            problems.append("stages: `until` must increase from stage to stage")
        if any(stage.rate < 0 for stage in self.stages):
            problems.append("stages: a rate must be >= 0")
        if self.drivers < 1 or self.in_flight < self.drivers:
            problems.append("drivers/in_flight: at least one driver, and in_flight >= drivers")
        if self.outage is not None and not 0 <= self.outage.at < self.outage.at + \
                self.outage.lasting <= 1:
            problems.append("outage: at and lasting are fractions with 0 <= at < at+lasting <= 1")
        if problems:
            raise ValueError(f"profile {self.name!r}: " + "; ".join(problems))


@dataclass(frozen=True)
class LoadRun:
    """A profile with a team's numbers: what one run sends."""

    profile: LoadProfile
    baseline: float = DEFAULT_BASELINE  # orders an hour on a normal day
    multiplier: float | None = None  # None: the profile's
    duration: float | None = None  # wall seconds; None: the profile's
    seed: int = 1
    time_scale: float | None = None  # None: the profile's

    @property
    def seconds(self) -> float:
        return self.duration if self.duration is not None else self.profile.duration

    @property
    def scale(self) -> float:
        return self.time_scale if self.time_scale is not None else self.profile.time_scale

    @property
    def peak_per_second(self) -> float:
        """Orders a wall second at rate 1.0: baseline x calendar x multiplier."""
        multiplier = self.profile.multiplier if self.multiplier is None else self.multiplier
        return self.baseline / HOUR * self.profile.calendar * multiplier

    def rate_at(self, elapsed: float) -> float:
        """Orders a wall second, `elapsed` wall seconds into the load (0 once it is over)."""
        if elapsed < 0 or elapsed >= self.seconds:
            return 0.0
        fraction = elapsed / self.seconds
        stage = next(s for s in self.profile.stages if fraction < s.until)
        return self.peak_per_second * stage.rate

    @property
    def peak_rate(self) -> float:
        """The highest rate_at over the run (for thinning)."""
        return max(stage.rate for stage in self.profile.stages) * self.peak_per_second

    def expected_orders(self) -> float:
        """Mean arrivals over the run (the integral of rate_at)."""
        total, start = 0.0, 0.0
        for stage in self.profile.stages:
            total += (stage.until - start) * self.seconds * stage.rate * self.peak_per_second
            start = stage.until
        return total

    def scenario(self) -> Scenario:
        """The world the simulator service runs: no release wave of its own (orders come from
        the arrivals), the profile's business exceptions and duplicate deliveries, its outage
        on the compressed clock, every invariant judged. Latency is judged in wall time by the
        thresholds instead of simulated SLOs."""
        scale, faults = self.scale, []
        if self.profile.duplicate_rate:
            faults += [Duplicate(channel=f"{system}.webhooks",
                                 probability=self.profile.duplicate_rate, copies=(2, 2))
                       for system in SYSTEMS]
        if (outage := self.profile.outage) is not None:
            faults.append(Outage(system=outage.system, at=outage.at * self.seconds * scale,
                                 for_=outage.lasting * self.seconds * scale, mode="http_503"))
        return Scenario(
            name=f"load-{self.profile.name}", seed=self.seed,
            description=f"Load profile {self.profile.name}: orders arrive from Locust.",
            duration=(self.seconds + 1) * scale,
            workload=Workload(cancel_rate=self.profile.cancel_rate,  # no release wave: no rate
                              address_change_rate=self.profile.address_change_rate),
            faults=tuple(faults),
            expect=Expectations(invariants="all",
                                converge_within=(self.profile.drain + 60) * scale),
            live=LiveSettings(time_scale=scale))


def outage_under_load(system: Literal["erp", "tms", "lastmile"]) -> LoadProfile:
    """Black Friday volume with `system` down (503s, no webhooks) for a tenth of the run from
    30 % in. Orders released meanwhile wait for it, so each flow may take a minute; the
    backlog must be back to its pre-outage level within 30 s of the system's return."""
    return LoadProfile(
        name=f"{system}-outage-under-load",
        calendar=CALENDAR["black-friday"],
        multiplier=HEADROOM,
        outage=OutageUnderLoad(system, at=0.3, lasting=0.1),
        thresholds=Thresholds(p95_ms={
            "POST release order": 500.0,
            "WEBHOOK *": 1000.0,
            "FLOW *": 60_000.0,
            "BACKLOG *": 30_000.0,
        }))
