"""Scenarios as plain data: workload, faults, expectations and seed, built in code or from YAML.

Models are frozen pydantic objects, so a scenario can be generated (by Hypothesis, later),
compared, and written back to YAML that loads to an equal object. Each fault kind's model lives
with the rest of its kind in `seatrial.faults.kinds`.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from seatrial.durations import format_duration, parse_duration
from seatrial.faults.kinds import AnyFault
from seatrial.model.envelope import SYSTEMS
from seatrial.scenario_fields import DAY, Duration, Probability, ScenarioModel, min_max
from seatrial.simulators.dialect import CANONICAL, dialect

LineCount = Annotated[int, Field(ge=1, le=200)]
ChangeCount = Annotated[int, Field(ge=1, le=10)]
FLOWS = ("order_to_shipment", "milestone_to_erp", "pod_to_invoice")
PERCENTILES = ("p50", "p90", "p95", "p99")
SLO_KEYS = tuple(f"{flow}_{p}" for flow in FLOWS for p in PERCENTILES)
#: The expectations a team holds every run to, whatever each scenario says (`thresholds` in
#: the project config, `seatrial run --threshold`): its own SLOs and convergence deadline.
THRESHOLD_KEYS = ("converge_within", *SLO_KEYS)

MAX_RUN = 30 * DAY  # a scenario's duration (its release wave) at most
#: After the release wave, a run goes on until nothing is left to happen, or this long at most
#: (seatrial.world runs to `duration + DRAIN`): the latest a fault can act.
DRAIN = 14 * DAY
#: Orders a run releases at most (orders_per_hour x duration). The largest scenario Seatrial
#: ships, peak-day, releases 6,912 (288 an hour for 24 h) and measured 519 MB and 11 s on one
#: core: about 70 KB and 1.6 ms per order. 50,000 admits a whole week at that peak rate (48,384)
#: and keeps a run near 3.5 GB; the 72 million orders of 100,000 an hour for 30 days would need
#: some 5 TB.
MAX_ORDERS = 50_000
MAX_FAULTS = 100  # the catalogue's most is 14 (peak-day), explore's 6
#: What carries the simulators' events to the SUT (`seatrial.world` opens each): webhooks, or
#: a message broker's queues (AMQP 0-9-1, modelled in virtual time: seatrial.world.amqp)
Channel = Literal["webhooks", "amqp"]


class Workload(ScenarioModel):
    orders_per_hour: float = Field(60.0, gt=0, le=100_000)
    lines_per_order: tuple[LineCount, LineCount] = (1, 5)
    cancel_rate: Probability = 0.0
    failed_attempt_rate: Probability = 0.03
    tender_decline_rate: Probability = 0.1
    customs_hold_rate: Probability = 0.0
    damage_rate: Probability = 0.0
    refusal_rate: Probability = 0.0
    address_change_rate: Probability = 0.0
    #: How many times an order that changes changes its address ([min, max], drawn uniformly).
    address_changes: tuple[ChangeCount, ChangeCount] = (1, 1)

    _ordered = field_validator("lines_per_order", "address_changes")(
        classmethod(lambda cls, v: min_max(v)))


class Expectations(ScenarioModel):
    invariants: Literal["all"] | tuple[str, ...] = "all"
    converge_within: Duration = 7200.0
    slo: dict[str, Duration] = Field(default_factory=dict)

    @field_validator("invariants")
    @classmethod
    def _known_invariants(cls, value: Any, info: ValidationInfo) -> Any:
        """Checked against the names in the validation context's `invariants` (the judge's,
        which seatrial.scenario_yaml passes): a scenario is data and knows no checks."""
        known = (info.context or {}).get("invariants")
        if value != "all" and known is not None:
            for name in value:
                if name not in known:
                    raise ValueError(f"unknown invariant {name!r}; known: {', '.join(known)}")
        return value

    @field_validator("slo")
    @classmethod
    def _known_slos(cls, value: dict[str, float]) -> dict[str, float]:
        for key in value:
            if key not in SLO_KEYS:
                raise ValueError(f"unknown SLO {key!r}; write <flow>_<percentile> with flow one "
                                 f"of {', '.join(FLOWS)} and percentile one of "
                                 f"{', '.join(PERCENTILES)}, e.g. order_to_shipment_p95")
        return value


class LiveSettings(ScenarioModel):
    """What only live mode uses: how long an OAuth2 access token lives (wall seconds), and the
    fastest pace this scenario runs at, the ceiling of `--time-scale auto` (a high-volume
    scenario asks for a slower one, so a SUT's round trips do not eat its simulated SLOs); an
    explicit --time-scale overrides it."""

    token_lifetime: Duration = Field(3600.0, ge=1)
    time_scale: float | None = Field(None, ge=1, le=1_000_000)


class Dialects(ScenarioModel):
    """The wire dialect each system speaks to the SUT: one of its modules in
    simulators/<system>/dialects/. The checks read canonical operations, so the verdict
    never depends on it."""

    erp: str = CANONICAL
    tms: str = CANONICAL
    lastmile: str = CANONICAL

    @field_validator("erp", "tms", "lastmile")
    @classmethod
    def _known(cls, name: str, info: ValidationInfo) -> str:
        dialect(info.field_name, name)  # ValueError naming the dialects there are
        return name

    def speak(self, needs: tuple[str, str] | None) -> bool:
        """Whether a fault that needs (system, dialect) (`Fault.needs`) can act here."""
        return needs is None or getattr(self, needs[0]) == needs[1]


class Scenario(ScenarioModel):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)
    description: str = ""
    seed: int = Field(1, ge=0, lt=2**63)
    duration: Duration = Field(8 * 3600.0, gt=0)
    gate: bool = False
    workload: Workload = Workload()
    faults: tuple[AnyFault, ...] = Field((), max_length=MAX_FAULTS)
    expect: Expectations = Expectations()
    live: LiveSettings = LiveSettings()
    dialects: Dialects = Dialects()
    channel: Channel = "webhooks"

    @field_validator("description")
    @classmethod
    def _tidy(cls, value: str) -> str:
        return value.strip()

    @field_validator("duration")
    @classmethod
    def _at_most_30_days(cls, value: float) -> float:
        if value > MAX_RUN:
            raise ValueError(f"{format_duration(value)} is longer than a run may release "
                             f"orders: at most {format_duration(MAX_RUN)}; split a longer "
                             "period into several scenarios")
        return value

    @model_validator(mode="after")
    def _within_limits(self) -> Scenario:
        """The run as a whole: orders it releases, and every fault inside the run. Each
        problem at its own field, so a file's error names the line."""
        problems = [*order_problems(self.workload.orders_per_hour, self.duration),
                    *fault_window_problems(self.faults, self.duration),
                    *dialect_problems(self.faults, self.dialects),
                    *channel_problems(self.channel, self.faults, self.dialects)]
        if problems:
            raise ValidationError.from_exception_data("Scenario", [
                InitErrorDetails(type=PydanticCustomError("scenario_limit", message),
                                 loc=loc, input=None) for loc, message in problems])
        return self

    @property
    def summary(self) -> str:
        """The description's first sentence, for listings."""
        text = " ".join(self.description.split())
        return text.split(". ")[0].rstrip(".") if text else ""

    def with_seed(self, seed: int) -> Scenario:
        return self.model_copy(update={"seed": seed})

    def with_thresholds(self, thresholds: dict[str, float]) -> Scenario:
        """Expectations held to `thresholds` (seconds by THRESHOLD_KEYS, from `threshold`):
        an SLO given is judged in place of the scenario's own (or beside them), a
        converge_within replaces the scenario's deadline."""
        expect = self.expect
        slo = {key: value for key, value in thresholds.items() if key in SLO_KEYS}
        return self.model_copy(update={"expect": expect.model_copy(update={
            "slo": {**expect.slo, **slo},
            "converge_within": thresholds.get("converge_within", expect.converge_within)})})


def threshold(key: str, value: object) -> float:
    """A threshold's seconds, from a duration ("45m") or a number of seconds; ValueError
    naming the key and what to write."""
    if key not in THRESHOLD_KEYS:
        raise ValueError(f"unknown threshold {key!r}; the thresholds are "
                         f"{', '.join(THRESHOLD_KEYS)}")
    try:
        seconds = parse_duration(value)
    except ValueError as error:
        raise ValueError(f"{key}: {error}") from None
    if seconds <= 0:
        raise ValueError(f"{key}: a threshold must be longer than 0; write e.g. 45m")
    return seconds


Problem = tuple[tuple[str | int, ...], str]  # (location, message)


def order_problems(orders_per_hour: float, duration: float) -> list[Problem]:
    """More orders than a run may release (MAX_ORDERS), with how to split the run."""
    total = orders_per_hour * duration / 3600
    if total <= MAX_ORDERS * (1 + 1e-9):  # exactly the limit, give or take a float's rounding
        return []
    longest = format_duration(max(1.0, math.floor(MAX_ORDERS / orders_per_hour * 60)) * 60)
    return [(("workload", "orders_per_hour"),
             f"{orders_per_hour:,g} orders an hour for {format_duration(duration)} is "
             f"{total:,.0f} orders; a run releases at most {MAX_ORDERS:,} (a whole week at "
             f"peak-day's 288 an hour is 48,384; each order holds about 70 KB of memory). Split "
             f"it into runs of at most {longest} each at this rate (one seed or scenario file "
             f"per part), or lower orders_per_hour to at most "
             f"{math.floor(MAX_ORDERS * 3600 / duration):,}")]


def fault_window_problems(faults: tuple[Any, ...], duration: float) -> list[Problem]:
    """Faults that start or end after the run: a run lasts until quiescence, or `duration` +
    DRAIN at the latest, and a fault after that never acts."""
    end = duration + DRAIN
    latest = (f"the run ends by {format_duration(end)} at the latest (duration "
              f"{format_duration(duration)} + {format_duration(DRAIN)}), usually days earlier, "
              "once nothing is left to happen")
    problems: list[Problem] = []
    for index, fault in enumerate(faults):
        if fault.at >= end:
            problems.append((("faults", index, "at"),
                             f"this {fault.kind} fault starts at {format_duration(fault.at)}, "
                             f"after the run: {latest}; start it earlier"))
        elif fault.for_ is not None and fault.at + fault.for_ > end:
            problems.append((("faults", index, "for"),
                             f"this {fault.kind} fault lasts until "
                             f"{format_duration(fault.at + fault.for_)}, after the run: {latest}; "
                             "end it by then, or leave `for` out to last until the run ends"))
    return problems


def dialect_problems(faults: tuple[Any, ...], dialects: Dialects) -> list[Problem]:
    """Faults of a kind only one vendor dialect has (its `needs`), in a scenario whose system
    does not speak it: nothing there could act as the fault says."""
    problems: list[Problem] = []
    for index, fault in enumerate(faults):
        if dialects.speak(fault.needs):
            continue
        system, name = fault.needs
        problems.append((("faults", index, "kind"),
                         f"a {fault.kind} fault acts on the {system} speaking {name}, and this "
                         f"scenario's {system} speaks {getattr(dialects, system)}; add "
                         f"`dialects: {{{system}: {name}}}` to the scenario, or remove the "
                         "fault"))
    return problems


def channel_problems(channel: str, faults: tuple[Any, ...], dialects: Dialects) -> list[Problem]:
    """What cannot travel on `channel`: a system whose dialect publishes no other way (a
    vendor's webhooks, an EDI mailbox; a broker carries Seatrial's canonical events only), and
    faults of a kind that does not exist there (`Fault.channels`: a broker's own on webhooks,
    a webhook provider's on a broker)."""
    problems: list[Problem] = [] if channel == "webhooks" else [
        (("channel",), f"the {system} speaks {getattr(dialects, system)}, whose events are not "
                       f"published to a broker; set `dialects: {{{system}: {CANONICAL}}}`, or "
                       f"`channel: webhooks`")
        for system in SYSTEMS if getattr(dialects, system) != CANONICAL]
    problems += [(("faults", index, "kind"),
                  f"a {fault.kind} fault acts on {' or '.join(sorted(fault.channels))} only, and "
                  f"this scenario's events travel on {channel}; remove the fault, or set "
                  f"`channel: {min(fault.channels)}`")
                 for index, fault in enumerate(faults) if channel not in fault.channels]
    return problems
