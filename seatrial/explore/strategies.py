"""Hypothesis strategies over scenarios: the space `seatrial explore` searches.

Every value is drawn from the envelope the catalogue shows a correct implementation survives
(outages of hours, not days; rate limits a retrying client can live with), so a failure says
something about the implementation, not about an impossible world. Each choice shrinks toward
the simplest story: no faults, fewer orders, a shorter day, the first (mildest) option.
"""

from __future__ import annotations

from hypothesis import strategies as st

from seatrial.scenario import (
    ClockSkew,
    Crash,
    Duplicate,
    Expectations,
    Forged,
    Latency,
    LostResponse,
    Outage,
    Poison,
    RateLimit,
    Reorder,
    Replay,
    Retraction,
    Scenario,
    SchemaDrift,
    Workload,
)

MINUTE, HOUR = 60.0, 3600.0
MAX_FAULTS = 6
DURATIONS = (HOUR, 2 * HOUR)
SYSTEMS = ("tms", "erp", "lastmile")
WEBHOOKS = ("tms.webhooks", "lastmile.webhooks", "erp.webhooks")
APIS = ("tms.api", "erp.api", "lastmile.api")
SOME = (0.05, 0.01, 0.1, 0.3)  # a fault's probability: the catalogue's range, mildest first
RARE = (0.0, 0.01, 0.05, 0.1)  # a business exception's rate: none first
CONVERGE_WITHIN = 12 * HOUR  # after the last fault: room for the slowest redelivery schedule


def _window(duration: float) -> st.SearchStrategy[float]:
    """When in the day a fault starts: whole quarter hours, earliest first."""
    return st.integers(0, int(duration // (15 * MINUTE)) - 1).map(lambda q: q * 15 * MINUTE)


def faults(duration: float) -> st.SearchStrategy:
    """One fault of any kind the catalogue uses, within the day."""
    at = _window(duration)
    lasting = st.sampled_from((15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR))
    webhooks, systems, some = (st.sampled_from(WEBHOOKS), st.sampled_from(SYSTEMS),
                               st.sampled_from(SOME))
    return st.one_of(
        st.builds(Duplicate, channel=webhooks, probability=some),
        st.builds(Outage, system=systems, at=at, for_=lasting,
                  mode=st.sampled_from(("http_503", "refused", "hang"))),
        st.builds(LostResponse, system=systems, probability=some),
        st.builds(Reorder, channel=webhooks, probability=st.sampled_from((0.1, 0.3, 0.5)),
                  window=st.sampled_from((HOUR, 2 * HOUR, 4 * HOUR))),
        st.builds(Latency, channel=st.sampled_from(APIS), dist=st.just("lognormal"),
                  median=st.sampled_from((0.3, 2.0, 8.0)), sigma=st.just(1.2),
                  cap=st.just(90.0)),
        st.builds(RateLimit, system=systems, rate=st.sampled_from((0.5, 0.2)),
                  burst=st.sampled_from((10, 2))),
        st.builds(Replay, channel=webhooks, at=at, window=st.sampled_from((HOUR, 2 * HOUR))),
        st.builds(Poison, channel=webhooks, probability=st.sampled_from((0.01, 0.001))),
        st.builds(SchemaDrift, channel=webhooks, at=at,
                  mode=st.sampled_from(("unknown_code", "v2")), probability=some),
        st.builds(Retraction, channel=st.sampled_from(("tms.webhooks", "lastmile.webhooks")),
                  probability=some),
        st.builds(ClockSkew, channel=webhooks, mode=st.sampled_from(("local_time", "skew")),
                  probability=st.sampled_from((1.0, 0.2)), skew=st.just(10 * MINUTE)),
        st.builds(Forged, channel=webhooks, probability=st.sampled_from((0.03, 0.001)),
                  mode=st.sampled_from(("bad_signature", "missing_signature",
                                        "stale_timestamp"))),
        st.builds(Crash, at=at, restart_after=st.sampled_from((MINUTE, 2 * MINUTE,
                                                                10 * MINUTE))),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """A small day of orders under a handful of faults."""
    duration = draw(st.sampled_from(DURATIONS))
    # the faults first: Hypothesis's shrink passes go left to right, so the costly runs of a
    # shrink go to removing faults before trimming the workload
    faulted = tuple(draw(st.lists(faults(duration), max_size=MAX_FAULTS)))
    workload = Workload(
        orders_per_hour=draw(st.integers(1, 60)),
        lines_per_order=(1, draw(st.integers(1, 5))),
        cancel_rate=draw(st.sampled_from(RARE)),
        failed_attempt_rate=draw(st.sampled_from(RARE)),
        tender_decline_rate=draw(st.sampled_from(RARE)),
        customs_hold_rate=draw(st.sampled_from(RARE)),
        damage_rate=draw(st.sampled_from(RARE)),
        refusal_rate=draw(st.sampled_from(RARE)),
        address_change_rate=draw(st.sampled_from(RARE)),
    )
    return Scenario(
        name="explored", seed=draw(st.integers(0, 2**16)), duration=duration,
        description="Found by seatrial explore.", workload=workload,
        faults=faulted,
        expect=Expectations(converge_within=CONVERGE_WITHIN))
