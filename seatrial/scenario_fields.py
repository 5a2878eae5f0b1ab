"""The building blocks of scenario models: the frozen base model, durations, probabilities,
systems and channels. Shared by `seatrial.scenario` and the fault kinds
(`seatrial.faults.kinds`), which the scenario's `faults` are made of.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from seatrial.durations import format_duration, parse_duration

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0
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
System = Literal["erp", "tms", "lastmile"]
WebhookChannel = Literal["erp.webhooks", "tms.webhooks", "lastmile.webhooks"]
Channel = Literal["erp.api", "tms.api", "lastmile.api",
                  "erp.webhooks", "tms.webhooks", "lastmile.webhooks"]


class ScenarioModel(BaseModel):
    # nan and inf are refused wherever a number goes ("must be a finite number"): nan passes
    # every range check unnoticed (each comparison with it is false)
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True,
                              allow_inf_nan=False)


def min_max(value: tuple[int, int]) -> tuple[int, int]:
    """A [min, max] pair's validator."""
    if value[0] > value[1]:
        raise ValueError(f"write [min, max] with min <= max, e.g. [{value[1]}, {value[0]}]")
    return value
