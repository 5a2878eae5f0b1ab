"""The fault layer (token bucket, latency, per-call and per-delivery plans) and the in-process
transport that applies it to calls against the real simulator routers, in virtual time."""

from __future__ import annotations

import math
import random
import statistics
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Any

import pytest
import simpy
from pydantic import ValidationError

from seatrial.faults import BASELINE_API_LATENCY, BASELINE_WEBHOOK_LATENCY, FaultLayer
from seatrial.faults.kinds.latency import Latency, sampler
from seatrial.faults.kinds.rate_limit import TokenBucket
from seatrial.ledger import Ledger
from seatrial.model.envelope import Event, to_datetime
from seatrial.scenario import Scenario
from seatrial.sdk import (
    Call,
    ConnectError,
    RequestTimeout,
    Response,
    SyncImplementation,
)
from seatrial.sdk.messages import DEFAULT_TIMEOUT
from seatrial.simulators.dialect import dialect
from seatrial.simulators.erp.core import ErpCore
from seatrial.simulators.events import EventSource
from seatrial.simulators.lastmile.core import LastMileCore
from seatrial.simulators.tms.core import TmsCore
from seatrial.transport.inprocess import REFUSED_AFTER, InProcessTransport
from seatrial.world import World

HOUR = 3600.0
HORIZON = 48 * HOUR
SHIPMENT = {"order_id": "SO-1", "ship_to": {"city": "Bristol", "country": "GB"}, "lines": []}


def scenario(*faults: dict[str, Any], seed: int = 1) -> Scenario:
    return Scenario(name="t", seed=seed, faults=list(faults))


def layer(*faults: dict[str, Any], seed: int = 1) -> FaultLayer:
    return FaultLayer(scenario(*faults, seed=seed), HORIZON,
                      lambda name: random.Random(f"{seed}:{name}"))


# --- token bucket -------------------------------------------------------------------------------


def test_token_bucket_lets_the_burst_through_then_answers_retry_after():
    bucket = TokenBucket(rate=2.0, burst=3)
    assert [bucket.take(10.0) for _ in range(3)] == [None, None, None]
    assert bucket.take(10.0) == 1.0


@pytest.mark.parametrize("rate, retry_after", [(0.5, 2.0), (0.3, 4.0), (0.1, 10.0), (50.0, 1.0)])
def test_token_bucket_retry_after_is_whole_seconds_and_long_enough(rate, retry_after):
    bucket = TokenBucket(rate=rate, burst=1)
    assert bucket.take(0.0) is None
    wait = bucket.take(0.0)
    assert wait == retry_after and wait == int(wait)
    assert bucket.take(wait) is None  # honouring Retry-After is enough to get through


def test_token_bucket_refills_at_rate_up_to_burst():
    bucket = TokenBucket(rate=0.5, burst=4)
    for _ in range(4):
        assert bucket.take(0.0) is None
    assert bucket.take(1.0) is not None  # half a token is not a token
    assert bucket.take(2.0) is None  # 1 s more: one whole token
    assert bucket.take(2.0) is not None
    passed = sum(bucket.take(1000.0) is None for _ in range(10))
    assert passed == 4  # a long idle refills to the burst, no further


# --- latency samplers ---------------------------------------------------------------------------


def test_fixed_latency_is_the_value():
    draw = sampler(Latency(channel="tms.api", dist="fixed", value="2500ms"), random.Random(1))
    assert {draw() for _ in range(20)} == {2.5}


def test_uniform_latency_stays_within_bounds_and_spreads():
    draw = sampler(Latency(channel="tms.api", dist="uniform", low="1s", high="3s"),
                   random.Random(1))
    values = [draw() for _ in range(2000)]
    assert all(1.0 <= v <= 3.0 for v in values)
    assert min(values) < 1.1 and max(values) > 2.9


def test_lognormal_latency_never_exceeds_its_cap():
    fault = Latency(channel="tms.webhooks", dist="lognormal", median="10s", sigma=2.0, cap="30s")
    draw = sampler(fault, random.Random(7))
    values = [draw() for _ in range(5000)]
    assert max(values) == 30.0  # the cap binds (about a third of draws exceed it uncapped)
    assert all(0.0 < v <= 30.0 for v in values)
    assert 8.0 < statistics.median(values) < 12.5


# --- plan_call / plan_delivery ------------------------------------------------------------------


def plan(faults, source: str, now: float) -> tuple[list[float], list[dict]]:
    """Delays of the deliveries a plain event from `source` turns into, and the fault notes."""
    event = Event(f"evt_{source}_1", "shipment.status", source, 1, to_datetime(now),
                  to_datetime(now), "ACT", "corr-SO-1", "SO-1", "SH-1", None, "1.0",
                  {"status_code": "X6", "reason_code": "NS"})
    deliveries, notes = faults.plan_delivery(event, now)
    return [d.delay for d in deliveries], [note for _, note in notes]


@pytest.mark.parametrize("mode", ["http_503", "hang", "refused"])
def test_outage_applies_only_inside_its_window_and_only_to_its_system(mode):
    faults = layer({"kind": "outage", "system": "tms", "at": "1h", "for": "30m", "mode": mode})
    assert faults.plan_call("tms", HOUR - 1).outage is None
    assert faults.plan_call("tms", HOUR).outage == mode
    assert faults.plan_call("tms", 1.5 * HOUR - 1).outage == mode
    assert faults.plan_call("tms", 1.5 * HOUR).outage is None
    assert faults.plan_call("erp", 1.2 * HOUR).outage is None
    assert faults.outage_end("tms", 1.2 * HOUR) == 1.5 * HOUR


def test_a_healthy_call_pays_only_the_baseline_latency():
    faults = layer()
    plans = [faults.plan_call("erp", t) for t in range(200)]
    low, high = BASELINE_API_LATENCY
    assert all(low <= p.latency <= high for p in plans)
    assert not any(p.outage or p.lost or p.retry_after or p.notes for p in plans)


def test_duplicate_delivers_two_or_three_copies_within_the_window():
    faults = layer({"kind": "duplicate", "channel": "lastmile.webhooks", "probability": 1.0,
                    "copies": [2, 3], "within": "10s"})
    counts = set()
    for t in range(300):
        delays, notes = plan(faults, "lastmile", float(t))
        counts.add(len(delays))
        assert notes == [{"fault": "duplicate", "copies": len(delays)}]
        first = delays[0]
        assert all(first <= d <= first + 10.0 for d in delays[1:])
    assert counts == {2, 3}
    assert len(plan(faults, "tms", 5.0)[0]) == 1  # other channels untouched


def test_duplicate_probability_is_honoured():
    faults = layer({"kind": "duplicate", "channel": "tms.webhooks", "probability": 0.1})
    duplicated = sum(len(plan(faults, "tms", float(t))[0]) > 1 for t in range(4000))
    assert 300 < duplicated < 500


def test_reorder_holds_a_delivery_back_by_up_to_the_window():
    fault = {"kind": "reorder", "channel": "tms.webhooks", "probability": 1.0, "window": "1h"}
    held, plain = layer(fault), layer()  # baseline draws come from their own stream
    extras = []
    for t in range(500):
        (delay,), notes = plan(held, "tms", float(t))
        (base,), _ = plan(plain, "tms", float(t))
        extra = delay - base
        assert 0.0 <= extra <= HOUR
        assert notes == [{"fault": "reorder", "held": round(extra, 3)}]
        extras.append(extra)
    assert max(extras) > 0.9 * HOUR and min(extras) < 0.1 * HOUR


@pytest.mark.parametrize("blocker", [
    {"kind": "outage", "system": "tms", "at": "1h", "for": "30m", "mode": "http_503"},
    {"kind": "outage", "system": "tms", "at": "1h", "for": "30m", "mode": "hang"},
    {"kind": "rate_limit", "system": "tms", "rate": 0.001, "burst": 1, "at": "1h", "for": "30m"},
])
def test_lost_response_is_never_planned_when_nothing_was_committed(blocker):
    faults = layer(blocker, {"kind": "lost_response", "system": "tms", "probability": 1.0})
    assert faults.plan_call("tms", 0.5 * HOUR).lost
    faults.plan_call("tms", HOUR)  # the rate limit's one token
    for t in range(10):
        plan = faults.plan_call("tms", 1.1 * HOUR + t)
        assert plan.outage or plan.retry_after
        assert not plan.lost
    assert faults.plan_call("tms", 2 * HOUR).lost


def test_lost_response_probability_is_honoured():
    faults = layer({"kind": "lost_response", "system": "erp", "probability": 0.25})
    lost = sum(faults.plan_call("erp", float(t)).lost for t in range(4000))
    assert 850 < lost < 1150


def test_webhooks_of_a_system_in_outage_are_held_until_it_comes_back():
    faults = layer({"kind": "outage", "system": "tms", "at": "1h", "for": "30m"})
    low, high = BASELINE_WEBHOOK_LATENCY
    now = 1.2 * HOUR
    (delay,), notes = plan(faults, "tms", now)
    assert 1.5 * HOUR + low <= now + delay <= 1.5 * HOUR + high
    assert notes == [{"fault": "outage", "held_until": 1.5 * HOUR}]
    (delay,), notes = plan(faults, "lastmile", now)
    assert low <= delay <= high and notes == []
    (delay,), _ = plan(faults, "tms", 1.5 * HOUR)
    assert delay <= high


def test_rate_limit_plans_429_with_retry_after_once_the_burst_is_spent():
    faults = layer({"kind": "rate_limit", "system": "erp", "rate": 0.5, "burst": 2})
    plans = [faults.plan_call("erp", 100.0) for _ in range(3)]
    assert [p.retry_after for p in plans] == [None, None, 2.0]
    assert plans[2].notes == [{"fault": "rate_limit", "retry_after": 2.0}]
    assert faults.plan_call("tms", 100.0).retry_after is None
    assert faults.plan_call("erp", 102.0).retry_after is None


def test_calls_during_an_outage_do_not_spend_rate_limit_tokens_whatever_the_order():
    faults = layer({"kind": "rate_limit", "system": "tms", "rate": 0.0001, "burst": 1},
                   {"kind": "outage", "system": "tms", "at": "1h", "for": "30m"})
    for t in range(5):
        assert faults.plan_call("tms", HOUR + t).outage == "http_503"
    assert faults.plan_call("tms", 2 * HOUR).retry_after is None


def test_api_latency_fault_adds_its_value_to_the_baseline():
    slow, plain = layer({"kind": "latency", "channel": "erp.api", "value": "5s"}), layer()
    for t in range(20):
        assert slow.plan_call("erp", t).latency == pytest.approx(plain.plan_call("erp", t).latency
                                                                 + 5.0)


# --- determinism --------------------------------------------------------------------------------

MIXED = (
    {"kind": "latency", "channel": "tms.webhooks", "dist": "lognormal", "median": "3s",
     "cap": "1m"},
    {"kind": "lost_response", "system": "tms", "probability": 0.3},
    {"kind": "duplicate", "channel": "tms.webhooks", "probability": 0.3},
    {"kind": "reorder", "channel": "tms.webhooks", "probability": 0.3, "window": "10m"},
    {"kind": "rate_limit", "system": "tms", "rate": 1, "burst": 3},
)


def _draws(faults: FaultLayer) -> list[Any]:
    out: list[Any] = []
    for t in range(200):
        call = faults.plan_call("tms", t * 0.7)
        out.append((call.latency, call.lost, call.retry_after, call.notes))
        out.append(plan(faults, "tms", t * 0.7))
    return out


def test_same_scenario_and_seed_give_identical_plans():
    assert _draws(layer(*MIXED, seed=42)) == _draws(layer(*MIXED, seed=42))
    assert _draws(layer(*MIXED, seed=42)) != _draws(layer(*MIXED, seed=43))


def test_appending_a_fault_does_not_reshuffle_the_others():
    before = layer(*MIXED[:2], seed=5)
    after = layer(*MIXED[:2], {"kind": "outage", "system": "erp", "at": "10h", "for": "1h"},
                  seed=5)
    calls = [(p.latency, p.lost) for p in (before.plan_call("tms", t) for t in range(100))]
    again = [(p.latency, p.lost) for p in (after.plan_call("tms", t) for t in range(100))]
    assert calls == again


# --- the in-process transport, end to end -------------------------------------------------------


@dataclass
class Outcome:
    call: Call
    sent: float
    time: float
    response: Response | None
    error: Exception | None


class Wire:
    """Real routers and cores behind the real fault layer and in-process transport."""

    def __init__(self, *faults: dict[str, Any], seed: int = 1) -> None:
        self.env = env = simpy.Environment()

        def clock() -> float:
            return env.now

        self.events: list[Any] = []
        self.erp = ErpCore(clock, EventSource("erp", clock, self.events.append))
        self.tms = TmsCore(clock, EventSource("tms", clock, self.events.append))
        self.lastmile = LastMileCore(clock, EventSource("lastmile", clock, self.events.append))
        routers = {s: dialect(s).router(getattr(self, s)) for s in ("erp", "tms", "lastmile")}
        self.ledger = Ledger()
        self.transport = InProcessTransport(env, routers, layer(*faults, seed=seed), self.ledger)
        self.outcomes: list[Outcome] = []

    def send_at(self, when: float, call: Call) -> None:
        def send(_event: Any) -> None:
            sent = self.env.now
            self.transport.send(call, lambda response, error: self.outcomes.append(
                Outcome(call, sent, self.env.now, response, error)))

        self.env.timeout(when - self.env.now).callbacks.append(send)

    def run(self) -> list[Outcome]:
        self.env.run()
        return self.outcomes


def create_shipment(key: str | None = "ship-SO-1", timeout: float = DEFAULT_TIMEOUT) -> Call:
    return Call("tms", "POST", "/shipments", SHIPMENT, None, key, "corr-SO-1", timeout)


def test_a_healthy_call_commits_and_answers_after_the_baseline_latency():
    wire = Wire()
    wire.send_at(10.0, create_shipment())
    (outcome,) = wire.run()
    assert outcome.error is None and outcome.response.status_code == 201
    assert outcome.response.json()["id"] in wire.tms.shipments
    low, high = BASELINE_API_LATENCY
    assert 10.0 + low <= outcome.time <= 10.0 + high
    assert [e.kind for e in wire.ledger.entries] == ["request", "response"]


def test_outage_http_503_answers_problem_json_and_commits_nothing():
    wire = Wire({"kind": "outage", "system": "tms", "at": "1h", "for": "30m", "mode": "http_503"})
    wire.send_at(HOUR + 60, create_shipment())
    wire.send_at(1.5 * HOUR + 1, create_shipment())
    down, back = wire.run()
    assert down.response.status_code == 503
    assert down.response.headers["content-type"] == "application/problem+json"
    assert down.response.json()["status"] == 503
    assert back.response.status_code == 201
    assert len(wire.tms.shipments) == 1
    assert wire.ledger.entries[0].data["faults"] == [{"fault": "outage", "mode": "http_503"}]


def test_outage_hang_times_out_after_the_call_timeout_and_commits_nothing():
    wire = Wire({"kind": "outage", "system": "tms", "at": "0s", "for": "1h", "mode": "hang"})
    wire.send_at(100.0, create_shipment(timeout=12.0))
    (outcome,) = wire.run()
    assert isinstance(outcome.error, RequestTimeout) and outcome.response is None
    assert outcome.time == pytest.approx(112.0)
    assert wire.tms.shipments == {}
    assert [e.kind for e in wire.ledger.entries] == ["request", "error"]


def test_outage_refused_fails_fast_with_connect_error():
    wire = Wire({"kind": "outage", "system": "tms", "at": "0s", "for": "1h", "mode": "refused"})
    wire.send_at(100.0, create_shipment())
    (outcome,) = wire.run()
    assert isinstance(outcome.error, ConnectError)
    assert outcome.time == pytest.approx(100.0 + REFUSED_AFTER)
    assert wire.tms.shipments == {}


def test_a_response_slower_than_the_timeout_still_commits_unseen():
    wire = Wire({"kind": "latency", "channel": "tms.api", "value": "40s"})
    wire.send_at(0.0, create_shipment(timeout=30.0))
    (outcome,) = wire.run()
    assert isinstance(outcome.error, RequestTimeout) and outcome.time == pytest.approx(30.0)
    assert len(wire.tms.shipments) == 1
    assert wire.ledger.entries[-1].data["delivered"] is False


def test_lost_response_commits_and_a_same_key_retry_gets_the_replayed_answer():
    wire = Wire({"kind": "lost_response", "system": "tms", "probability": 1.0, "for": "1m"})
    wire.send_at(0.0, create_shipment())
    wire.send_at(120.0, create_shipment())  # the retry, after the window, same key
    lost, retry = wire.run()
    assert isinstance(lost.error, RequestTimeout) and lost.time == pytest.approx(DEFAULT_TIMEOUT)
    assert retry.response.status_code == 201
    assert retry.response.headers.get("idempotent-replayed") == "true"
    assert len(wire.tms.shipments) == 1
    assert retry.response.json()["id"] == next(iter(wire.tms.shipments))
    unseen = [e for e in wire.ledger.entries if e.kind == "response" and e.ref == "c1"]
    assert [e.data["delivered"] for e in unseen] == [False]
    assert unseen[0].data["status"] == 201


def test_lost_response_retry_with_a_new_key_makes_a_duplicate_shipment():
    wire = Wire({"kind": "lost_response", "system": "tms", "probability": 1.0, "for": "1m"})
    wire.send_at(0.0, create_shipment(key="first"))
    wire.send_at(120.0, create_shipment(key="second"))
    wire.run()
    assert len(wire.tms.by_order["SO-1"]) == 2


def test_rate_limit_answers_429_with_retry_after_and_commits_nothing():
    wire = Wire({"kind": "rate_limit", "system": "tms", "rate": 0.5, "burst": 2})
    for n in range(3):
        wire.send_at(5.0, create_shipment(key=f"ship-{n}"))
    wire.send_at(7.0, create_shipment(key="ship-after-wait"))
    statuses = {o.call.idempotency_key: o.response.status_code for o in wire.run()}
    assert sorted(statuses.values()) == [201, 201, 201, 429]
    assert statuses["ship-after-wait"] == 201  # 2 s later the bucket holds a token again
    (limited,) = [o.response for o in wire.outcomes if o.response.status_code == 429]
    assert limited.headers["retry-after"] == "2" and limited.retry_after == 2.0
    assert limited.headers["content-type"] == "application/problem+json"
    assert len(wire.tms.shipments) == 3


def test_rate_limit_in_http_date_form_says_the_simulated_moment_rounded_up():
    wire = Wire({"kind": "rate_limit", "system": "tms", "rate": 0.5, "burst": 1,
                 "retry_after": "http_date"})
    wire.send_at(5.0, create_shipment(key="first"))
    wire.send_at(5.0, create_shipment(key="throttled"))
    (limited,) = [o for o in wire.run() if o.response.status_code == 429]
    headers = limited.response.headers
    ends = math.ceil(limited.time + 2.0)  # a 2 s wait from the answer, up to the second
    assert headers["retry-after"] == format_datetime(to_datetime(ends), usegmt=True)
    assert headers["date"] == format_datetime(to_datetime(math.floor(limited.time)),
                                              usegmt=True)
    # the SDK counts from Date: never less than the wait, at most a second more
    assert 2.0 <= limited.response.retry_after <= 3.0
    assert limited.response.retry_after >= ends - limited.time
    # the ledger has the moment the header allows (what rate-limit-respected judges by)
    answer = next(e for e in wire.ledger.entries if e.data.get("status") == 429)
    assert answer.time + answer.data["retry_after"] == pytest.approx(ends)
    request = next(e for e in wire.ledger.entries
                   if e.kind == "request" and e.ref == answer.ref)
    assert request.data["faults"] == [{"fault": "rate_limit", "retry_after": 2.0,
                                       "form": "http_date"}]


@pytest.mark.parametrize("form", ["seconds", "http_date"])
def test_an_outage_503_says_when_it_is_back_when_asked(form):
    wire = Wire({"kind": "outage", "system": "tms", "at": "1h", "for": "30m",
                 "retry_after": form})
    wire.send_at(HOUR + 60.5, create_shipment())
    (down,) = wire.run()
    assert down.response.status_code == 503
    back = 1.5 * HOUR
    assert back - down.time <= down.response.retry_after <= back - down.time + 2.0
    if form == "seconds":
        assert down.response.headers["retry-after"] == str(math.ceil(back - down.time))
    else:
        assert down.response.headers["retry-after"] == format_datetime(to_datetime(back),
                                                                       usegmt=True)
    assert "retry_after" not in wire.ledger.entries[-1].data  # advice, not a pause judged


def test_retry_after_form_is_checked_where_the_scenario_says_it():
    with pytest.raises(ValidationError, match="retry_after"):
        layer({"kind": "rate_limit", "system": "tms", "rate": 1, "retry_after": "date"})
    with pytest.raises(ValidationError, match="only an http_503 outage answers"):
        layer({"kind": "outage", "system": "tms", "for": "1h", "mode": "hang",
               "retry_after": "seconds"})


def test_transport_is_deterministic_for_a_seed():
    def ledger(seed: int) -> str:
        wire = Wire({"kind": "lost_response", "system": "tms", "probability": 0.5},
                    {"kind": "latency", "channel": "tms.api", "dist": "uniform",
                     "low": "0s", "high": "40s"}, seed=seed)
        for n in range(30):
            wire.send_at(n * 100.0, create_shipment(key=f"ship-{n}"))
        wire.run()
        return wire.ledger.digest()

    assert ledger(3) == ledger(3)
    assert ledger(3) != ledger(4)


# --- through the SDK, as a sync implementation sees it ----------------------------------------


class RetryingCreate(SyncImplementation):
    """Boots, creates one shipment, and retries a lost answer with the same Idempotency-Key."""

    name = "retrying-create"

    def __init__(self) -> None:
        self.seen: list[tuple[float, Any]] = []

    def start(self, io):
        return self.boot(io)

    def boot(self, io):
        call = io.tms.post("/shipments", json=SHIPMENT, idempotency_key="ship-SO-1")
        while True:
            try:
                response = yield call
            except RequestTimeout as error:
                self.seen.append((io.now, error))
                yield io.sleep(60)
                continue
            self.seen.append((io.now, response))
            return

    def on_event(self, event, io):
        return None


def test_sdk_handler_sees_timeout_for_a_lost_response_and_the_retry_is_replayed():
    sut = RetryingCreate()
    quiet = Scenario(name="lost-then-replayed", duration="1m",
                     workload={"orders_per_hour": 0.001},
                     faults=[{"kind": "lost_response", "system": "tms", "probability": 1.0,
                              "for": "1m"}])
    world = World(quiet, lambda: sut)
    world.run()
    assert world.erp.orders == {}  # nothing but the SUT's own calls
    (lost_at, lost), (retried_at, retried) = sut.seen
    assert isinstance(lost, RequestTimeout) and isinstance(retried, Response)
    assert (retried_at - lost_at).total_seconds() >= 60
    assert retried.status_code == 201 and retried.headers.get("idempotent-replayed") == "true"
    assert list(world.tms.by_order) == ["SO-1"] and len(world.tms.by_order["SO-1"]) == 1
