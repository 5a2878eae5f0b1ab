"""Hypothesis strategies over scenarios: the space `seatrial explore` searches.

Every value is drawn from the envelope the catalogue shows a correct implementation survives
(outages of hours, not days; rate limits a retrying client can live with), so a failure says
something about the implementation, not about an impossible world. Each choice shrinks toward
the simplest story: no faults, fewer orders, a shorter day, the first (mildest) option.

A fault kind only one vendor dialect has (`Fault.needs`: CSRF expiry in SAP's Gateway) is drawn
only for scenarios whose system speaks that dialect (`scenarios(dialects)`): elsewhere it
could not act, and the scenario would be refused. So is a kind that acts on one channel only
(`Fault.channels`: a broker's connection closed), for scenarios on that channel
(`scenarios(dialects, channel)`).
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from seatrial.faults.base import Fault
from seatrial.faults.kinds import KINDS
from seatrial.scenario import Channel, Dialects, Expectations, Scenario, Workload
from seatrial.scenario_fields import HOUR, MINUTE

MAX_FAULTS = 6
DURATIONS = (HOUR, 2 * HOUR)
SYSTEMS = ("tms", "erp", "lastmile")
WEBHOOKS = ("tms.webhooks", "lastmile.webhooks", "erp.webhooks")
SOME = (0.05, 0.01, 0.1, 0.3)  # a fault's probability: the catalogue's range, mildest first
RARE = (0.0, 0.01, 0.05, 0.1)  # a business exception's rate: none first
#: An address change is a customer's whim, not an exception: up to half the orders, several
#: times each, so an old change has the chance to arrive after a newer one.
CHANGES = (0.0, 0.1, 0.3, 0.5)
#: The converge deadline when a drawn fault can delay facts without a small bound (its `lag`
#: is None): room for the slowest redelivery schedule.
CONVERGE_WITHIN = 12 * HOUR
#: Otherwise: an hour, plus the holds the faults can put on an event (summed: two reorders on
#: one channel hold an event twice).
PROMPT = HOUR
#: Every system in Seatrial's own dialect: where explore searches unless told otherwise.
CANONICAL = Dialects()
#: The kinds explore draws, in their `explored` order (each kind's `explore`,
#: seatrial/faults/kinds/).
EXPLORED = tuple(sorted((kind for kind in KINDS.values() if kind.explore is not None),
                        key=lambda kind: kind.explored))


@dataclass(frozen=True)
class Space:
    """What the fault kinds' strategies share, for a day of `duration`."""

    at: st.SearchStrategy[float]  # when in the day a fault starts
    lasting: st.SearchStrategy[float]  # how long it lasts
    webhooks: st.SearchStrategy[str]  # a webhook channel
    systems: st.SearchStrategy[str]
    some: st.SearchStrategy[float]  # a probability

    @classmethod
    def of(cls, duration: float) -> Space:
        return cls(at=_window(duration),
                   lasting=st.sampled_from((15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR)),
                   webhooks=st.sampled_from(WEBHOOKS), systems=st.sampled_from(SYSTEMS),
                   some=st.sampled_from(SOME))


def _window(duration: float) -> st.SearchStrategy[float]:
    """When in the day a fault starts: whole quarter hours, earliest first."""
    return st.integers(0, int(duration // (15 * MINUTE)) - 1).map(lambda q: q * 15 * MINUTE)


def faults(duration: float, dialects: Dialects = CANONICAL,
           channel: Channel = "webhooks") -> st.SearchStrategy:
    """One fault of any kind that can act in `dialects` on `channel`, drawn by its kind's
    strategy, within the day."""
    space = Space.of(duration)
    return st.one_of(*(kind.explore(space) for kind in EXPLORED
                       if dialects.speak(kind.model.needs) and channel in kind.model.channels))


@st.composite
def scenarios(draw: st.DrawFn, dialects: Dialects = CANONICAL,
              channel: Channel = "webhooks") -> Scenario:
    """A small day of orders under a handful of faults, its systems speaking `dialects`, its
    events travelling on `channel`."""
    duration = draw(st.sampled_from(DURATIONS))
    # the faults first: Hypothesis's shrink passes go left to right, so the costly runs of a
    # shrink go to removing faults before trimming the workload
    faulted = tuple(draw(st.lists(faults(duration, dialects, channel), max_size=MAX_FAULTS)))
    workload = Workload(
        orders_per_hour=draw(st.integers(1, 60)),
        lines_per_order=(1, draw(st.integers(1, 5))),
        cancel_rate=draw(st.sampled_from(RARE)),
        failed_attempt_rate=draw(st.sampled_from(RARE)),
        tender_decline_rate=draw(st.sampled_from(RARE)),
        customs_hold_rate=draw(st.sampled_from(RARE)),
        damage_rate=draw(st.sampled_from(RARE)),
        refusal_rate=draw(st.sampled_from(RARE)),
        address_change_rate=draw(st.sampled_from(CHANGES)),
        address_changes=(1, draw(st.integers(1, 3))),
    )
    return Scenario(
        name="explored", seed=draw(st.integers(0, 2**16)), duration=duration,
        description="Found by seatrial explore.", workload=workload,
        faults=faulted, dialects=dialects, channel=channel,
        expect=Expectations(converge_within=converge_within(faulted)))


def converge_within(faults: tuple[Fault, ...]) -> float:
    """As tight a deadline as the faults let a correct implementation meet."""
    lags = [fault.lag() for fault in faults]
    if None in lags:
        return CONVERGE_WITHIN
    return PROMPT + sum(lags)
