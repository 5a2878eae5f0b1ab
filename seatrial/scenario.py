"""Scenarios as plain data: workload, faults, expectations and seed, built in code or from YAML.

Models are frozen pydantic objects, so a scenario can be generated (by Hypothesis, later),
compared, and written back to YAML that loads to an equal object.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from seatrial.durations import format_duration, parse_duration

DAY = 86400.0
#: Any duration in a scenario at most: everything happens within a run, at most 30 days of
#: release wave plus 14 of drain. Longer ones are typos, and some overflow later (a year of
#: clock skew added to an event time is fine; 1e300 seconds is not).
MAX_DURATION = 365 * DAY


def _within_a_year(seconds: float) -> float:
    if seconds > MAX_DURATION:
        raise ValueError(f"{format_duration(seconds)[:30]} is longer than any run: a duration in "
                         f"a scenario is at most {format_duration(MAX_DURATION)} (a run lasts at "
                         "most 30d + 14d)")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration), AfterValidator(_within_a_year),
                     PlainSerializer(format_duration)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
LineCount = Annotated[int, Field(ge=1, le=200)]
System = Literal["erp", "tms", "lastmile"]
WebhookChannel = Literal["erp.webhooks", "tms.webhooks", "lastmile.webhooks"]
Channel = Literal["erp.api", "tms.api", "lastmile.api",
                  "erp.webhooks", "tms.webhooks", "lastmile.webhooks"]
FLOWS = ("order_to_shipment", "milestone_to_erp", "pod_to_invoice")
PERCENTILES = ("p50", "p90", "p95", "p99")
SLO_KEYS = tuple(f"{flow}_{p}" for flow in FLOWS for p in PERCENTILES)

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
MAX_REDELIVERIES = 50  # a redelivery schedule's attempts; real providers make 5 to 20


class _Model(BaseModel):
    # nan and inf are refused wherever a number goes ("must be a finite number"): nan passes
    # every range check unnoticed (each comparison with it is false)
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True,
                              allow_inf_nan=False)


def _min_max(value: tuple[int, int]) -> tuple[int, int]:
    if value[0] > value[1]:
        raise ValueError(f"write [min, max] with min <= max, e.g. [{value[1]}, {value[0]}]")
    return value


class Workload(_Model):
    orders_per_hour: float = Field(60.0, gt=0, le=100_000)
    lines_per_order: tuple[LineCount, LineCount] = (1, 5)
    cancel_rate: Probability = 0.0
    failed_attempt_rate: Probability = 0.03
    tender_decline_rate: Probability = 0.1
    customs_hold_rate: Probability = 0.0
    damage_rate: Probability = 0.0
    refusal_rate: Probability = 0.0
    address_change_rate: Probability = 0.0

    _ordered = field_validator("lines_per_order")(classmethod(lambda cls, v: _min_max(v)))


class _Fault(_Model):
    at: Duration = 0.0
    for_: Duration | None = Field(None, alias="for")

    def span(self, horizon: float) -> tuple[float, float]:
        return self.at, horizon if self.for_ is None else self.at + self.for_


class Latency(_Fault):
    """Extra delay on a channel: fixed `value`, uniform `low`..`high`, or lognormal
    `median`/`sigma` capped at `cap`."""

    kind: Literal["latency"] = "latency"
    channel: Channel
    dist: Literal["fixed", "uniform", "lognormal"] = "fixed"
    value: Duration | None = None
    low: Duration | None = None
    high: Duration | None = None
    median: Duration | None = None
    sigma: float = Field(1.0, gt=0, le=5)
    cap: Duration | None = None

    @model_validator(mode="after")
    def _parameters(self) -> Latency:
        needed = {"fixed": ("value",), "uniform": ("low", "high"), "lognormal": ("median",)}
        for name in needed[self.dist]:
            if getattr(self, name) is None:
                raise ValueError(f"dist {self.dist} needs {name!r}, e.g. {name}: 2s")
        if self.dist == "uniform" and self.low > self.high:
            raise ValueError("low must be <= high")
        return self


class Outage(_Fault):
    """The system is down: 503s, refused connections, or requests that hang until timeout."""

    kind: Literal["outage"] = "outage"
    system: System
    for_: Duration = Field(alias="for")
    mode: Literal["http_503", "hang", "refused"] = "http_503"


class LostResponse(_Fault):
    """The write commits, the response never arrives: the client sees a timeout."""

    kind: Literal["lost_response"] = "lost_response"
    system: System
    probability: Probability


class RateLimit(_Fault):
    """Org-wide token bucket: `rate` requests per second, `burst` deep; 429 + Retry-After."""

    kind: Literal["rate_limit"] = "rate_limit"
    system: System
    rate: float = Field(gt=0, le=100_000)
    burst: int = Field(10, ge=1, le=1_000_000)


class Duplicate(_Fault):
    """At-least-once delivery: the same event `copies` times within `within`."""

    kind: Literal["duplicate"] = "duplicate"
    channel: WebhookChannel
    probability: Probability
    copies: tuple[Annotated[int, Field(ge=2, le=10)], Annotated[int, Field(ge=2, le=10)]] = (2, 3)
    within: Duration = 10.0

    _ordered = field_validator("copies")(classmethod(lambda cls, v: _min_max(v)))


class Reorder(_Fault):
    """An event is held back up to `window`, so later events overtake it."""

    kind: Literal["reorder"] = "reorder"
    channel: WebhookChannel
    probability: Probability
    window: Duration = 3600.0


class Redelivery(_Fault):
    """The source's retry schedule for failed deliveries, and when it gives up on the SUT:
    after `disable_after` consecutive failures the subscription is disabled (nothing more is
    sent on the channel)."""

    kind: Literal["redelivery"] = "redelivery"
    channel: WebhookChannel
    schedule: tuple[Duration, ...] = Field((300.0, 1800.0, 7200.0, 86400.0),
                                           max_length=MAX_REDELIVERIES)
    disable_after: int | None = Field(None, ge=1, le=100_000)


class Replay(_Fault):
    """At `at` the source re-sends everything it published in the `window` before (a backlog
    replayed after an incident): the same event ids again, in a burst."""

    kind: Literal["replay"] = "replay"
    channel: WebhookChannel
    window: Duration = 3600.0


class Poison(_Fault):
    """A malformed message for a real order: fields missing or of the wrong type."""

    kind: Literal["poison"] = "poison"
    channel: WebhookChannel
    probability: Probability


class SchemaDrift(_Fault):
    """`v2`: the source switches to its next payload schema (schema_version 2.0, reshaped
    payload) for every event in the window. `unknown_code`: extra events carry a status code
    or trigger no vocabulary lists."""

    kind: Literal["schema_drift"] = "schema_drift"
    channel: WebhookChannel
    mode: Literal["v2", "unknown_code"] = "v2"
    probability: Probability = 1.0


class Retraction(_Fault):
    """The source retracts an actual milestone it sent ("entered in error", DCSA
    retractedEventID) and re-issues it corrected a few minutes later."""

    kind: Literal["retraction"] = "retraction"
    channel: Literal["tms.webhooks", "lastmile.webhooks"]
    probability: Probability


class ClockSkew(_Fault):
    """`local_time`: event_time in the source's local time without an offset (X12 without
    AT7-07). `skew`: the source's clock is off by up to `skew` either way."""

    kind: Literal["clock_skew"] = "clock_skew"
    channel: WebhookChannel
    mode: Literal["local_time", "skew"] = "local_time"
    probability: Probability = 1.0
    skew: Duration = 300.0


class Forged(_Fault):
    """Someone else posts webhooks to the SUT: a bad or missing signature, or a replayed
    (stale) timestamp, carrying a harmful payload for a real order."""

    kind: Literal["forged"] = "forged"
    channel: WebhookChannel
    probability: Probability
    mode: Literal["bad_signature", "missing_signature", "stale_timestamp"] = "bad_signature"


class Crash(_Fault):
    """The sync implementation crashes at `at` and restarts `restart_after` later over the
    same durable store; deliveries meanwhile fail."""

    kind: Literal["crash"] = "crash"
    restart_after: Duration = 30.0


Fault = Annotated[Latency | Outage | LostResponse | RateLimit | Duplicate | Reorder | Redelivery
                  | Replay | Poison | SchemaDrift | Retraction | ClockSkew | Forged | Crash,
                  Field(discriminator="kind")]
FAULT_KINDS = ("latency", "outage", "lost_response", "rate_limit", "duplicate", "reorder",
               "redelivery", "replay", "poison", "schema_drift", "retraction", "clock_skew",
               "forged", "crash")


class Expectations(_Model):
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


class LiveSettings(_Model):
    """What only live mode uses: how long an OAuth2 access token lives (wall seconds), and the
    pace this scenario runs at unless --time-scale says otherwise (a high-volume scenario asks
    for a slower one, so a SUT's round trips do not eat its simulated SLOs)."""

    token_lifetime: Duration = Field(3600.0, ge=1)
    time_scale: float | None = Field(None, ge=1, le=1_000_000)


class Scenario(_Model):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)
    description: str = ""
    seed: int = Field(1, ge=0, lt=2**63)
    duration: Duration = Field(8 * 3600.0, gt=0)
    gate: bool = False
    workload: Workload = Workload()
    faults: tuple[Fault, ...] = Field((), max_length=MAX_FAULTS)
    expect: Expectations = Expectations()
    live: LiveSettings = LiveSettings()

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
                    *fault_window_problems(self.faults, self.duration)]
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
