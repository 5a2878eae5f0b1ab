"""`--time-scale auto`: the fastest pace at which the SUT's own wall time cannot eat the
scenario's time limits.

A live verdict judges in simulated time, so every wall second the SUT spends costs `scale`
simulated seconds: at 3600x a 5-minute SLO leaves it 83 wall milliseconds end to end. A
warm-up (seatrial.live.warmup) measures how long the SUT takes, in wall seconds, to answer a
delivery and to turn an order into a shipment, and how loaded it was. That load grows with
the pace, and with it the queue: at 3600x happy-path's release wave brings 220 orders in two
wall seconds, and the SUT's queue, not its speed on one order, is what missed the SLO. So the
SUT is modelled as one queue (M/M/1): at pace P its load is rho = rho0 x surge x P / warm-up
pace, its p99 grows to p99 / (1 - rho), and the pace is the fastest at which that, in
simulated time, is at most `SHARE` of the tightest limit the scenario judges:

    P = SHARE x limit / (p99 + SHARE x limit x rho0 x surge / warm-up pace)

(rho stays below 1 at any limit), and at most the pace that brings the SUT to a load of
`MAX_LOAD`: where the limit is long (a converge deadline of hours), the first rule alone lets
rho reach 0.95, where a queue's wait is twenty times a lone request's and a small error in the
estimates below (a warm-up of seconds, a surge read off another implementation, a harness that
shares the cores) tips it over. The rest of the limit is headroom for a busier machine.

- rho0, the load at the warm-up's pace: when Seatrial started the SUT (--target-cmd), the CPU
  time its processes used per wall second, plus the time they waited for a core while other
  processes ran (runs side by side, a noisy neighbour: `seatrial.live.cores`), since a SUT
  that gets half a core is twice as loaded; else, from the work in flight (Little's law:
  the round trips' or the waiting orders' wall seconds, whichever is more, per wall second),
  L = rho / (1 - rho), so rho0 = L / (1 + L). Work in flight overstates a SUT that waits
  (a sleep, a timer, the harness's answer) as much as one that works: it errs slow.
- surge: how much busier than the warm-up the scenario gets. The warm-up sees its first
  simulated half hour or so, but a lifecycle takes days, and deliveries pile up as orders
  overlap: long-day brings ten times the warm-up's deliveries per hour at its busiest (six
  times its deliveries and the calls they cause), and
  the reference, timed by a warm-up that saw none of that, was given 3100x and fell hours
  behind (seed 2: 2,923 converge and stages-converge violations, the harness never more than
  78 ms late). The busiest stretch, as long as the tightest limit, is read from the same
  scenario played in virtual time by the reference implementation (`surge`).

Pure: a function of the measurements and the scenario, so it is tested without servers.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import Any

from seatrial.judge.flows import percentile
from seatrial.judge.verdict import selected_invariants
from seatrial.scenario import Scenario

#: The SUT's p99, grown by its queue, in simulated time, may take at most this share of the
#: tightest limit. Measured on happy-path (5-minute SLO) seeds 1-3, where the reference had
#: missed it at 3600x on seed 3 (p95 56 simulated minutes, issue 18): the reference was given
#: 1100x-1400x and held with p95 29-74 s, the Node example 1700x-2100x and held with 19-56 s.
SHARE = 0.25
#: The SUT's load at the chosen pace is at most this (rho = rho0 x surge x P / warm-up pace).
#: Measured on the x12 gate live (tms: x12, 2 cores): alone, the model's load is where the
#: reference saturates (out-of-order-milestones held at 1800x, load 0.96, and at 2100x, 0.95
#: by another warm-up, its mailbox collector, one SFTP round trip at a time, fell 7.5
#: simulated hours behind). With --jobs 2 it failed at 0.62 to 0.84 (long-day,
#: lastmile-payload-v2, carrier-api-slowdown), two of which held alone (lastmile-payload-v2 at
#: 0.93, long-day at 420x): a warm-up beside another run may see it before its busiest
#: stretch. Half leaves room for a neighbour as busy as the run itself.
MAX_LOAD = 0.5
#: Never slower than this: below it a gate scenario's days of lifecycle take most of an hour
#: (happy-path's 56 simulated hours are 56 wall minutes at 60x); a SUT that needs a slower pace
#: misses its limits here, and the warm-up's figures in the report say why.
FLOOR = 60.0
#: The warm-up's own pace, unless the ceiling is slower: slow enough that a SUT keeping up with
#: a gate scenario's release wave is not queueing yet, so the p99 is its own work.
WARMUP_SCALE = 600.0

SLO_CHECK = "latency-slo"
CONVERGE_CHECKS = ("converge", "stages-converge")


@dataclass(frozen=True)
class Warmup:
    """What a warm-up saw, in wall seconds."""

    scale: float  # the pace it played at
    wall: float  # how long it ran
    round_trips: tuple[float, ...]  # each delivery the SUT answered, post to answer
    #: each order released, release to its first shipment; an order still without one counts
    #: until the warm-up's end (a SUT that answers nothing must not look fast)
    flows: tuple[float, ...]
    calls: int  # API calls the SUT made
    #: CPU seconds the SUT's processes used during the warm-up; None if they are not ours
    cpu: float | None = None
    #: seconds they waited for a core while other processes ran (0 where Linux does not say)
    waited: float = 0.0
    #: the scenario's busiest stretch over the warm-up's, in work per second (`surge`)
    surge: float = 1.0

    @property
    def busy(self) -> float:
        """Work in progress on average: round trips or waiting orders per wall second."""
        return max(sum(self.round_trips), sum(self.flows)) / self.wall if self.wall else 0.0

    @property
    def load(self) -> float:
        """The SUT's load at the warm-up's pace: its CPU time and its wait for a core per wall
        second if known, else from the work in flight, one queue's: rho = L / (1 + L)."""
        if self.cpu is not None:
            return (self.cpu + self.waited) / self.wall if self.wall else 0.0
        return self.busy / (1 + self.busy)

    @property
    def p99(self) -> float | None:
        """The slower p99 of round trips and order-to-shipment flows; None if neither ran."""
        figures = [p for p in (percentile(list(self.round_trips), 99),
                               percentile(list(self.flows), 99)) if p is not None]
        return max(figures) if figures else None

    def figures(self) -> dict[str, Any]:
        """For the report: counts, and p50/p99 in wall milliseconds."""
        def ms(values: tuple[float, ...], p: float) -> float | None:
            value = percentile(list(values), p)
            return None if value is None else round(value * 1000, 1)

        return {"scale": self.scale, "wall_seconds": round(self.wall, 2),
                "deliveries": len(self.round_trips), "api_calls": self.calls,
                "busy": round(self.busy, 3),
                "cpu": None if self.cpu is None else round(self.cpu / self.wall, 3),
                "waited_for_cores": round(self.waited / self.wall, 3) if self.wall else 0.0,
                "load": round(self.load, 3), "surge": round(self.surge, 2),
                "delivery_ms": {"p50": ms(self.round_trips, 50), "p99": ms(self.round_trips, 99)},
                "order_to_shipment_ms": {"p50": ms(self.flows, 50), "p99": ms(self.flows, 99)}}


@dataclass(frozen=True)
class Pace:
    scale: float
    chosen: str  # "auto" (by a warm-up), "explicit" (--time-scale X) or "rerun" (half a pace)
    warmup: dict[str, Any] | None = None  # the warm-up's figures and the rule's terms

    def to_json(self) -> dict[str, Any]:
        return {"scale": self.scale, "chosen": self.chosen,
                **({} if self.warmup is None else {"warmup": self.warmup})}

    def describe(self) -> str:
        """One progress line."""
        if self.warmup is None:
            return f"pace {self.scale:g}x ({self.chosen})"
        w = self.warmup
        limit = (f"{w['limit']} {w['limit_seconds']:g}s" if w["limit"] else "no time limit")
        if w.get("bound") == "load":
            limit = f"a load of at most {w['max_load']:g} with {limit}"
        return (f"pace {self.scale:g}x (auto: warm-up {w['wall_seconds']:g}s at {w['scale']:g}x, "
                f"{w['deliveries']} deliveries p99 {w['delivery_ms']['p99']} ms, order to "
                f"shipment p99 {w['order_to_shipment_ms']['p99']} ms, load {w['load']:g} "
                f"({_load_source(w)}), surge {w['surge']:g}; "
                f"{limit} allows {_text(w['fastest'])}; bounds {w['floor']:g}x to "
                f"{w['ceiling']:g}x)")


def _load_source(warmup: dict[str, Any]) -> str:
    if warmup["cpu"] is None:
        return "in flight"
    waited = warmup.get("waited_for_cores") or 0.0
    return f"CPU {warmup['cpu']:g} + waited for a core {waited:g}" if waited else "CPU"


def _text(pace: float | None) -> str:
    return "any pace" if pace is None else f"{pace:g}x"


def tightest_limit(scenario: Scenario) -> tuple[str, float] | None:
    """The shortest simulated time limit a check the scenario runs holds the SUT to: an SLO
    (latency-slo) or the converge deadline (converge, stages-converge); None when no such
    check is run."""
    judged = selected_invariants(scenario)
    limits = []
    if SLO_CHECK in judged:
        limits += [(f"expect.slo.{key}", value) for key, value in scenario.expect.slo.items()]
    if any(name in judged for name in CONVERGE_CHECKS):
        limits.append(("expect.converge_within", scenario.expect.converge_within))
    return min(limits, key=lambda item: item[1]) if limits else None


def surge(work: list[float], warmed: float, window: float) -> float:
    """How much busier than its warm-up a scenario gets: the most work in any `window`
    simulated seconds, per second, over the warm-up's own (in its first `warmed` simulated
    seconds, per second); at least 1, since the warm-up's stretch is part of the run. `work`
    is when the SUT had some (a delivery to answer, a call it made) in the scenario played in
    virtual time, sorted; `window` is at least the warm-up's stretch (a shorter one would read
    chance clusters as load). Nothing to compare: 1."""
    window = max(window, warmed)
    first = bisect.bisect_right(work, warmed)
    if not first or window <= 0:
        return 1.0
    busiest = max(bisect.bisect_right(work, start + window, lo=index) - index
                  for index, start in enumerate(work))
    return max(1.0, (busiest / window) / (first / warmed))


def warmup_scale(ceiling: float) -> float:
    return min(WARMUP_SCALE, ceiling)


def choose(warmup: Warmup, scenario: Scenario, ceiling: float) -> Pace:
    """The fastest pace the rule above allows, at most `ceiling` (the scenario's
    live.time_scale, else the default) and at least FLOOR (unless the ceiling is lower); two
    significant digits, rounded down, so the header reads plainly. Nothing measured, or no
    time limit judged: the ceiling, as before auto (no verdict the pace can change)."""
    limit = tightest_limit(scenario)
    p99, pressure = warmup.p99, warmup.load * warmup.surge / warmup.scale  # rho per 1x
    if limit is None or not p99:
        fastest, bound = math.inf, None
    else:
        budget = SHARE * limit[1]
        by_limit = budget / (p99 + budget * pressure)
        by_load = MAX_LOAD / pressure if pressure else math.inf
        fastest, bound = _round_down(min(by_limit, by_load)), \
            "load" if by_load < by_limit else "limit"
    scale = float(min(ceiling, max(FLOOR, fastest)))
    return Pace(scale, "auto", {
        **warmup.figures(), "limit": limit[0] if limit else None,
        "limit_seconds": limit[1] if limit else None, "share": SHARE, "max_load": MAX_LOAD,
        "fastest": _rounded(fastest),
        "bound": bound,
        "floor": FLOOR, "ceiling": ceiling})


def _rounded(pace: float) -> float | None:
    return None if pace == math.inf else round(pace)


def _round_down(value: float) -> float:
    digits = 10 ** (math.floor(math.log10(value)) - 1)
    return math.floor(value / digits + 1e-9) * digits  # 1499.9999 from float noise is 1500
