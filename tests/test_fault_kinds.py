"""The webhook fault kinds and the SUT crash: each fires when and where it should, stays quiet
outside its window, and does in a small world what the docs say (docs/scenarios.md).

Shapes are checked through `FaultLayer.plan_delivery`; behaviour through small `World` runs with
tiny sync implementations built from the SDK here, or the shipped reference.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pydantic
import pytest

from seatrial.faults import FaultLayer
from seatrial.judge.invariants import MODULES, signed_only
from seatrial.judge.observation import Observation, Violation
from seatrial.ledger import Entry
from seatrial.model.envelope import EPOCH, Event, rfc3339, to_datetime
from seatrial.model.vocabulary import (
    LASTMILE_TRIGGERS,
    SOURCE_LOCAL_TIME,
    TMS_STATUS_CODES,
    V2_FIELDS,
)
from seatrial.scenario import Scenario
from seatrial.sdk import IO, SyncImplementation, Webhook, verify
from seatrial.sdk.webhooks import TOLERANCE, sign
from seatrial.simulators.canonical import STALE_BY
from seatrial.targets import resolve
from seatrial.world import World

HOUR = 3600.0
HORIZON = 48 * HOUR
MODES = ("bad_signature", "missing_signature", "stale_timestamp")
Reference = resolve("reference").factory


def layer(*faults: dict[str, Any], seed: int = 1) -> FaultLayer:
    return FaultLayer(Scenario(name="t", seed=seed, faults=list(faults)), HORIZON,
                      lambda name: random.Random(f"{seed}:{name}"))


def event(source: str, now: float = 0.0, *, classifier: str = "ACT", seq: int = 1,
          **payload: Any) -> Event:
    """A plain event as the source would publish it (at `now`, for order SO-1)."""
    if source == "tms":
        kind = "shipment.status"
        payload = {"status_code": "X6", "reason_code": "NS", "carrier": "Carrier-A", **payload}
    elif source == "lastmile":
        kind = "task.updated"
        payload = {"trigger": "taskCompleted", "state": 3, "worker": "driver-01",
                   "completion_details": {"success": True, "attempt": 1,
                                          "pod": {"signed_by": "r", "photo": "pod/T.jpg"}},
                   **payload}
    else:
        kind = "order.released"
        payload = {"customer_id": "C-1", "value": 100.0, "currency": "GBP", "line_count": 1,
                   **payload}
    when = to_datetime(now)
    return Event(f"evt_{source}_{seq:07d}", kind, source, seq, when, when, classifier,
                 "corr-SO-1", "SO-1", "SH-1" if source != "erp" else None,
                 "T-1" if source == "lastmile" else None, "1.0", payload)


def at_path(payload: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        payload = payload[part]
    return payload


# --- not active outside the window --------------------------------------------------------------

WEBHOOK_FAULTS = {
    "schema_drift-v2": {"kind": "schema_drift", "mode": "v2"},
    "schema_drift-unknown_code": {"kind": "schema_drift", "mode": "unknown_code"},
    "poison": {"kind": "poison", "probability": 1.0},
    "retraction": {"kind": "retraction", "probability": 1.0},
    "clock_skew-local_time": {"kind": "clock_skew", "mode": "local_time"},
    "clock_skew-skew": {"kind": "clock_skew", "mode": "skew"},
    **{f"forged-{mode}": {"kind": "forged", "probability": 1.0, "mode": mode} for mode in MODES},
}


@pytest.mark.parametrize("fault", WEBHOOK_FAULTS.values(), ids=WEBHOOK_FAULTS.keys())
def test_webhook_faults_act_only_inside_their_window_and_on_their_channel(fault):
    faults = layer({**fault, "channel": "tms.webhooks", "at": "1h", "for": "30m"})
    for now in (0.5 * HOUR, 1.5 * HOUR, 1.2 * HOUR):
        original = event("tms", now)
        deliveries, notes = faults.plan_delivery(original, now)
        untouched = (len(deliveries) == 1 and deliveries[0].event is original and notes == []
                     and deliveries[0].forgery is None)
        assert untouched == (now != 1.2 * HOUR), now
    other = event("lastmile", 1.2 * HOUR)
    (delivery,), notes = faults.plan_delivery(other, 1.2 * HOUR)
    assert delivery.event is other and notes == []


# --- schema_drift -------------------------------------------------------------------------------


def test_schema_drift_v2_reshapes_tms_milestones_and_keeps_every_fact():
    faults = layer({"kind": "schema_drift", "channel": "tms.webhooks"})
    original = event("tms", 60.0, classifier="EST", status_code="X4",
                     eta="2026-01-05T12:00:00+00:00")
    (delivery,), notes = faults.plan_delivery(original, 60.0)
    sent = delivery.event
    assert sent.schema_version == "2.0" and sent.event_id == original.event_id
    assert sent.payload == {"status": {"code": "X4", "reason": "NS"},
                            "carrier": {"name": "Carrier-A"},
                            "estimatedArrival": "2026-01-05T12:00:00+00:00"}
    for v1, v2 in V2_FIELDS["tms"].items():  # the documented mapping finds every v1 fact
        assert at_path(sent.payload, v2) == original.payload[v1]
    assert notes == [(original.event_id, {"fault": "schema_drift", "mode": "v2"})]
    assert sent._replace(schema_version="1.0", payload=original.payload) == original


@pytest.mark.parametrize("success", [True, False])
def test_schema_drift_v2_reshapes_lastmile_task_updates(success):
    faults = layer({"kind": "schema_drift", "channel": "lastmile.webhooks"})
    details = ({"success": True, "attempt": 1, "pod": {"signed_by": "r", "photo": "p.jpg"}}
               if success else {"success": False, "attempt": 2,
                                "failure_reason": "RECIPIENT_NOT_HOME"})
    original = event("lastmile", completion_details=details)
    (delivery,), _ = faults.plan_delivery(original, 0.0)
    shaped = delivery.event.payload
    assert delivery.event.schema_version == "2.0"
    assert shaped["triggerName"] == "taskCompleted" and shaped["taskState"] == 3
    assert shaped["workerName"] == "driver-01" and "etaTime" not in shaped
    for v1, v2 in V2_FIELDS["lastmile"].items():  # leaves only: the container is renamed
        if v1 not in ("eta", "completion_details") and (
                "." not in v1 or v1.split(".")[1] in details):
            assert at_path(shaped, v2) == at_path(original.payload, v1), v1
    moved = shaped["completionDetails"]
    assert (moved["success"], moved["attempt"]) == (details["success"], details["attempt"])
    assert moved["proofOfDelivery"] == details.get("pod")
    assert moved["failureReason"] == details.get("failure_reason")


def test_schema_drift_v2_wraps_other_payloads_and_reshapes_duplicates_too():
    faults = layer({"kind": "duplicate", "channel": "erp.webhooks", "probability": 1.0},
                   {"kind": "schema_drift", "channel": "erp.webhooks"})
    original = event("erp")
    deliveries, _ = faults.plan_delivery(original, 0.0)
    assert len(deliveries) >= 2
    for delivery in deliveries:
        assert delivery.event.event_id == original.event_id
        assert delivery.event.schema_version == "2.0"
        assert delivery.event.payload == {"data": original.payload}


@pytest.mark.parametrize("source, field, code", [
    ("tms", "status_code", "ZZ"),
    ("lastmile", "trigger", "taskTeleported"),
    ("erp", "reason", "unknown_reason_code"),
])
def test_schema_drift_unknown_code_injects_a_message_with_a_code_no_vocabulary_lists(
        source, field, code):
    faults = layer({"kind": "schema_drift", "channel": f"{source}.webhooks",
                    "mode": "unknown_code"})
    original = event(source)
    (real, drift), notes = faults.plan_delivery(original, 0.0)
    assert real.event is original  # the real one goes through unchanged
    made = drift.event
    assert made.event_id == f"{original.event_id}-drift"
    assert made.payload == {**original.payload, field: code}
    assert (made.type, made.order_id, made.schema_version) == (original.type, "SO-1", "1.0")
    assert code not in TMS_STATUS_CODES and code not in LASTMILE_TRIGGERS
    assert real.delay <= drift.delay <= real.delay + 30.0
    assert notes == [(made.event_id, {"fault": "schema_drift", "of": original.event_id,
                                      "type": original.type,
                                      "code": code if source != "erp" else None})]


# --- poison -------------------------------------------------------------------------------------


@pytest.mark.parametrize("source, field", [("tms", "status_code"), ("lastmile", "trigger")])
def test_poison_injects_malformed_messages_for_a_real_order_at_its_probability(source, field):
    faults = layer({"kind": "poison", "channel": f"{source}.webhooks", "probability": 0.2})
    shapes, hits = set(), 0
    for t in range(2000):
        original = event(source, float(t), seq=t + 1)
        deliveries, notes = faults.plan_delivery(original, float(t))
        assert deliveries[0].event is original
        if len(deliveries) == 1:
            assert notes == []
            continue
        hits += 1
        (_, poison), ((ref, note),) = deliveries, notes
        bad = poison.event
        assert bad.event_id == ref == f"{original.event_id}-poison"
        assert (bad.type, bad.order_id, bad.shipment_id) == (original.type, "SO-1", "SH-1")
        assert not isinstance(bad.payload.get(field), str)  # the field a mapper needs
        assert note["fault"] == "poison" and note["of"] == original.event_id
        shapes.add(tuple(sorted(bad.payload)))
    assert 300 < hits < 500
    assert len(shapes) == 3


# --- retraction ---------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["tms", "lastmile"])
def test_retraction_retracts_an_actual_milestone_then_reissues_it_corrected(source):
    faults = layer({"kind": "retraction", "channel": f"{source}.webhooks", "probability": 1.0})
    gaps = []
    for t in range(50):
        original = event(source, 1000.0 + t)
        (real, retract, reissue), notes = faults.plan_delivery(original, 1000.0 + t)
        assert real.event is original
        r, again = retract.event, reissue.event
        assert r.event_id == f"{original.event_id}-retract"
        assert r.payload == {**original.payload, "retracted_event_id": original.event_id,
                             "retraction_reason": "entered in error"}
        assert (r.type, r.event_time, r.classifier) == (original.type, original.event_time,
                                                        "ACT")
        assert again.event_id == f"{original.event_id}-reissue"
        assert again.payload == original.payload
        assert again.event_time == original.event_time - timedelta(minutes=3)
        assert 120.0 <= retract.delay - real.delay <= 630.0
        assert 30.0 <= reissue.delay - retract.delay <= 90.0
        assert [(ref, n["fault"], n["of"]) for ref, n in notes] == [
            (r.event_id, "retraction", original.event_id),
            (again.event_id, "reissue", original.event_id)]
        gaps.append(retract.delay - real.delay)
    assert max(gaps) - min(gaps) > 200  # 2-10 min, spread


def test_retraction_never_touches_estimates_or_other_event_types():
    faults = layer({"kind": "retraction", "channel": "tms.webhooks", "probability": 1.0})
    estimate = event("tms", classifier="EST", status_code="X4")
    charges = event("tms")._replace(type="shipment.charges_finalized",
                                    payload={"statement_id": "ST-1", "lines": [], "total": 0})
    for original in (estimate, charges):
        (delivery,), notes = faults.plan_delivery(original, 0.0)
        assert delivery.event is original and notes == []


def test_retraction_is_not_a_fault_the_erp_channel_takes():
    with pytest.raises(pydantic.ValidationError):
        layer({"kind": "retraction", "channel": "erp.webhooks", "probability": 0.1})


# --- clock_skew ---------------------------------------------------------------------------------


@pytest.mark.parametrize("source, offset", [("tms", 1), ("lastmile", 0), ("erp", 0)])
def test_clock_skew_local_time_sends_a_naive_time_in_the_sources_zone(source, offset):
    faults = layer({"kind": "clock_skew", "channel": f"{source}.webhooks"})
    original = event(source, 5000.0)
    (delivery,), ((ref, note),) = faults.plan_delivery(original, 5000.0)
    sent = delivery.event.event_time
    assert sent.tzinfo is None
    assert sent == (original.event_time + timedelta(hours=offset)).replace(tzinfo=None)
    assert sent.replace(tzinfo=SOURCE_LOCAL_TIME[source]) == original.event_time
    assert delivery.event.recorded_time == original.recorded_time  # stays aware UTC
    assert delivery.event.recorded_time.tzinfo is UTC
    assert ref == original.event_id
    assert note == {"fault": "clock_skew", "mode": "local_time", "event_time": rfc3339(sent)}
    assert "+" not in note["event_time"]


def test_clock_skew_skew_shifts_event_time_either_way_within_the_bound():
    faults = layer({"kind": "clock_skew", "channel": "lastmile.webhooks", "mode": "skew",
                    "skew": "5m"})
    shifts = []
    for t in range(500):
        original = event("lastmile", float(t))
        (delivery,), ((_, note),) = faults.plan_delivery(original, float(t))
        sent = delivery.event.event_time
        assert sent.tzinfo is not None
        shift = (sent - original.event_time).total_seconds()
        assert -300.0 <= shift <= 300.0
        assert note == {"fault": "clock_skew", "mode": "skew", "event_time": rfc3339(sent)}
        shifts.append(shift)
    assert min(shifts) < -250 and max(shifts) > 250


# --- forged (shape) -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("source", ["erp", "tms", "lastmile"])
def test_forged_injects_a_harmful_message_for_the_same_order(source, mode):
    faults = layer({"kind": "forged", "channel": f"{source}.webhooks", "probability": 1.0,
                    "mode": mode})
    original = event(source, seq=42)
    (real, forged), ((ref, note),) = faults.plan_delivery(original, 0.0)
    assert real.event is original and real.forgery is None
    made = forged.event
    assert forged.forgery == mode
    assert made.event_id == ref == f"{original.event_id}-forged"
    assert made.order_id == "SO-1" and note["fault"] == "forged"
    if source == "erp":
        assert (made.type, made.payload) == ("order.cancelled", {"reason": "customer_request"})
    elif source == "tms":
        assert made.type == "shipment.charges_finalized"
        assert made.payload["statement_id"] == "ST-F000042"
        assert made.payload["total"] == 9999.0 and made.payload["currency"] == "GBP"
        assert made.payload["lines"] == [{"code": "LINEHAUL", "amount": 9999.0}]
    else:
        assert (made.type, made.classifier) == ("task.updated", "ACT")
        assert made.payload["trigger"] == "taskCompleted"
        assert made.payload["completion_details"]["success"] is True
        assert made.payload["completion_details"]["pod"]["photo"] == "pod/forged.jpg"


# --- sign / verify ------------------------------------------------------------------------------

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def signed(evt: Event, *, secret: str = SECRET, at: datetime = NOW,
           message_id: str | None = None, signed_body: Event | None = None,
           drop: str | None = None) -> Webhook:
    """A webhook for `evt` whose headers sign `signed_body` (default: its own body)."""
    body_of = Webhook(signed_body or evt, lambda body: {}).body
    timestamp = int(at.timestamp())
    mid = message_id or evt.event_id
    headers = {"webhook-id": evt.event_id, "webhook-timestamp": str(timestamp),
               "webhook-signature": sign(secret, mid, timestamp, body_of)}
    if drop:
        del headers[drop]
    return Webhook(evt, lambda body: headers)


def test_sign_and_verify_round_trip():
    hook = signed(event("tms"))
    assert hook.headers["webhook-signature"].startswith("v1,")
    assert verify(hook, SECRET, NOW)


@pytest.mark.parametrize("tamper", ["body", "message-id", "secret", "no-signature",
                                    "no-timestamp", "no-id"])
def test_verify_detects_tampering(tamper):
    original = event("tms")
    kwargs: dict[str, Any] = {
        "body": {"signed_body": original._replace(payload={"status_code": "X4"})},
        "message-id": {"message_id": "evt_tms_9999999"},
        "secret": {"secret": "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"},
        "no-signature": {"drop": "webhook-signature"},
        "no-timestamp": {"drop": "webhook-timestamp"},
        "no-id": {"drop": "webhook-id"},
    }[tamper]
    assert not verify(signed(original, **kwargs), SECRET, NOW)


@pytest.mark.parametrize("age, ok", [(0, True), (TOLERANCE, True), (TOLERANCE + 1, False),
                                     (-TOLERANCE, True), (-TOLERANCE - 1, False),
                                     (STALE_BY, False)])
def test_verify_tolerates_only_a_timestamp_within_five_minutes_either_way(age, ok):
    hook = signed(event("lastmile"), at=NOW - timedelta(seconds=age))
    assert verify(hook, SECRET, NOW) is ok
    assert verify(hook, SECRET, NOW, tolerance=STALE_BY + 10)  # a wider window takes it


def test_verify_accepts_any_one_valid_v1_signature_among_several():
    hook = signed(event("erp"))
    good = hook.headers["webhook-signature"]
    hook.headers["webhook-signature"] = f"v1,AAAA {good}"
    assert verify(hook, SECRET, NOW)
    hook.headers["webhook-signature"] = "v2," + good.removeprefix("v1,")
    assert not verify(hook, SECRET, NOW)


# --- small worlds -------------------------------------------------------------------------------


def small(*faults: dict[str, Any], duration: str = "30m", orders: float = 60,
          seed: int = 1) -> Scenario:
    return Scenario(name="t", seed=seed, duration=duration,
                    workload={"orders_per_hour": orders}, faults=list(faults))


def run(scenario: Scenario, factory) -> tuple[World, Observation]:
    world = World(scenario, factory)
    end = world.run()
    return world, Observation(scenario, world.ledger, world.erp, world.tms, world.lastmile, end)


def violations(obs: Observation, *modules) -> list[Violation]:
    return [v for module in (modules or MODULES) for v in module.check(obs)]


def entries(world: World, *kinds: str) -> list[Entry]:
    return [e for e in world.ledger.entries if e.kind in kinds]


class Quiet(SyncImplementation):
    """Acknowledges every delivery at once and does nothing else; `fail` decides which of
    them to answer 5xx instead (by event and attempt number, counted here)."""

    name = "quiet"

    def __init__(self, fail=lambda event, attempt: False) -> None:
        self.fail = fail
        self.attempts: Counter[str] = Counter()

    def on_event(self, event: Event, io: IO) -> None:
        self.attempts[event.event_id] += 1
        if self.fail(event, self.attempts[event.event_id]):
            raise RuntimeError("cannot handle it now")


def delivery_times(world: World) -> dict[str, list[float]]:
    times: dict[str, list[float]] = defaultdict(list)
    for e in entries(world, "deliver"):
        times[e.ref].append(e.time)
    return times


# --- forged (behaviour) -------------------------------------------------------------------------

FORGED_EVERYWHERE = [{"kind": "forged", "channel": f"{s}.webhooks", "probability": 0.3}
                     for s in ("erp", "tms", "lastmile")]


def forged_in(mode: str) -> list[dict[str, Any]]:
    return [{**fault, "mode": mode} for fault in FORGED_EVERYWHERE]


@pytest.mark.parametrize("mode", MODES)
def test_the_reference_rejects_every_forgery_and_accepts_every_genuine_webhook(mode):
    world, obs = run(small(*forged_in(mode), duration="1h", orders=30), Reference)
    forged = {e.ref: e for e in entries(world, "deliver") if "forged" in e.data}
    assert {e.system for e in forged.values()} == {"erp", "tms", "lastmile"}
    assert {e.data["forged"] for e in forged.values()} == {mode}
    answers = {(e.ref, e.kind) for e in entries(world, "ack", "nack", "reject")}
    assert {ref for ref, kind in answers if kind == "reject"} == set(forged)
    assert all(e.data["error"] == "401: refused by authenticate()"
               for e in entries(world, "reject"))
    assert not any(kind != "reject" for ref, kind in answers if ref in forged)
    assert not any(p.statement_id.startswith("ST-F") for p in world.erp.charge_postings)
    assert violations(obs) == []


@pytest.mark.parametrize("mode", MODES)
def test_an_implementation_that_checks_nothing_acks_forgeries_and_signed_only_fires(mode):
    seen: list[tuple[Event, dict[str, str], bool, datetime]] = []

    class Trusting(Reference):
        def authenticate(self, webhook: Webhook, io: IO) -> bool:
            secret = io.secrets[webhook.event.source]
            seen.append((webhook.event, webhook.headers, verify(webhook, secret, io.now),
                         io.now))
            return True  # what the SDK default does

    world, obs = run(small(*forged_in(mode), duration="1h", orders=30), Trusting)
    forged = [(h, now) for evt, h, ok, now in seen if evt.event_id.endswith("-forged")]
    assert forged and all(not ok for evt, _, ok, _ in seen if evt.event_id.endswith("-forged"))
    assert all(ok for evt, _, ok, _ in seen if not evt.event_id.endswith("-forged"))
    for headers, now in forged:
        if mode == "missing_signature":
            assert "webhook-signature" not in headers
        elif mode == "stale_timestamp":
            assert int(headers["webhook-timestamp"]) == int(now.timestamp()) - STALE_BY
        else:
            assert headers["webhook-signature"].startswith("v1,")
    assert any(p.statement_id.startswith("ST-F") for p in world.erp.charge_postings)
    flagged = violations(obs, signed_only)
    acked = {e.ref for e in entries(world, "ack") if e.ref.endswith("-forged")}
    assert {v.keys["event_id"] for v in flagged} == acked and len(flagged) == len(forged)
    assert all(v.invariant == "signed-only" and v.keys["order_id"].startswith("SO-")
               for v in flagged)


def test_forged_rejects_never_count_toward_disable_after():
    world, _ = run(small(*forged_in("bad_signature"),
                         {"kind": "redelivery", "channel": "erp.webhooks", "disable_after": 1},
                         {"kind": "redelivery", "channel": "tms.webhooks", "disable_after": 1}),
                   Reference)
    assert len(entries(world, "reject")) >= 3
    assert entries(world, "disable", "drop") == []


# --- redelivery ---------------------------------------------------------------------------------


def first_erp_always_fails(event: Event, attempt: int) -> bool:
    return event.event_id == "evt_erp_0000001"


@pytest.mark.parametrize("schedule, gaps", [
    (None, [300.0, 1800.0, 7200.0, 86400.0]),  # the default: five attempts in all
    (["1m", "2m"], [60.0, 120.0]),
])
def test_redelivery_retries_a_failed_delivery_on_the_schedule_then_abandons(schedule, gaps):
    faults = ([{"kind": "redelivery", "channel": "erp.webhooks", "schedule": schedule}]
              if schedule else [])
    world, _ = run(small(*faults), lambda: Quiet(first_erp_always_fails))
    times = delivery_times(world)
    failing = times.pop("evt_erp_0000001")
    assert [b - a for a, b in pairwise(failing)] == pytest.approx(gaps)
    nacks = entries(world, "nack")
    assert [e.data["attempt"] for e in nacks] == list(range(1, len(gaps) + 2))
    (abandon,) = entries(world, "abandon")
    assert abandon.ref == "evt_erp_0000001" and abandon.data == {"attempts": len(gaps) + 1}
    assert abandon.time == pytest.approx(failing[-1])
    assert times and all(len(t) == 1 for t in times.values())  # the rest: once, acked
    assert entries(world, "disable", "drop") == []


@pytest.mark.parametrize("failing", [3, 2])
def test_redelivery_disable_after_consecutive_failures_then_drops_everything(failing):
    def first_attempts_of_the_first(event: Event, attempt: int) -> bool:
        return attempt == 1 and int(event.event_id.rsplit("_", 1)[1]) <= failing

    world, _ = run(small({"kind": "redelivery", "channel": "erp.webhooks", "schedule": ["1h"],
                          "disable_after": 3}),
                   lambda: Quiet(first_attempts_of_the_first))
    erp_emits = [e for e in entries(world, "emit") if e.system == "erp"]
    assert len(erp_emits) > 10
    if failing < 3:  # an ack in between resets the count: redelivered and acked instead
        assert entries(world, "disable", "drop") == []
        redone = {r: t for r, t in delivery_times(world).items() if len(t) == 2}
        assert sorted(redone) == ["evt_erp_0000001", "evt_erp_0000002"]
        assert all(t[1] - t[0] == pytest.approx(HOUR) for t in redone.values())
        return
    (disable,) = entries(world, "disable")
    third = entries(world, "nack")[2]
    assert (disable.system, disable.ref, disable.time) == ("erp", "erp.webhooks", third.time)
    assert disable.data == {"consecutive_failures": 3}
    after = [e for e in entries(world, "deliver") if e.time > disable.time]
    assert after == []  # nothing more on the channel, redeliveries included
    drops = entries(world, "drop")
    assert all(d.data == {"reason": "subscription disabled"} for d in drops)
    later = {e.ref for e in erp_emits if e.seq > disable.seq}
    assert {d.ref for d in drops} == later | {"evt_erp_0000001", "evt_erp_0000002",
                                               "evt_erp_0000003"}


# --- replay -------------------------------------------------------------------------------------


def test_replay_resends_the_same_event_ids_from_the_window_at_its_time():
    world, _ = run(small({"kind": "replay", "channel": "erp.webhooks", "at": "40m",
                          "window": "20m"}, duration="1h"), Quiet)
    at = 40 * 60.0
    (note,) = [e for e in entries(world, "fault") if e.data["fault"] == "replay"]
    window = [e.ref for e in entries(world, "emit") if at - 1200.0 <= e.time <= at]
    assert len(window) > 5
    assert (note.ref, note.time, note.data["events"]) == (f"replay@{at:.0f}", at, len(window))
    times = delivery_times(world)
    twice = {ref for ref, t in times.items() if len(t) == 2}
    assert twice == set(window)
    assert all(at <= times[ref][1] <= at + 60.0 for ref in window)
    assert all(len(t) <= 2 for t in times.values())
    assert any(len(t) == 1 and t[0] < at for t in times.values())  # older: not replayed


def test_replay_of_a_backlog_leaves_the_reference_with_every_effect_once():
    world, obs = run(small({"kind": "replay", "channel": "erp.webhooks", "at": "50m",
                            "window": "1h"},
                           {"kind": "replay", "channel": "tms.webhooks", "at": "4h",
                            "window": "4h"}, duration="1h"), Reference)
    replayed = [e.data["events"] for e in entries(world, "fault")]
    assert len(replayed) == 2 and min(replayed) > 5
    assert violations(obs) == []


# --- crash / restart ----------------------------------------------------------------------------

CRASH_AT, DOWN_FOR = 20 * 60.0, 5 * 60.0


def elapsed(io: IO) -> float:
    return (io.now - EPOCH).total_seconds()


def test_crash_drops_the_instance_and_its_work_and_restarts_over_the_same_store():
    built: list[SyncImplementation] = []

    class Fragile(SyncImplementation):
        name = "fragile"

        def __init__(self) -> None:
            self.boot = len(built) + 1
            built.append(self)

        def start(self, io: IO):
            io.store.put("boots", [*io.store.get("boots", []), elapsed(io)])
            return self.background(io)

        def background(self, io: IO):
            yield io.sleep(CRASH_AT + 60.0 if self.boot == 1 else 60.0)
            io.store.put(f"background/{self.boot}", elapsed(io))

        def on_event(self, event: Event, io: IO):
            yield io.sleep(120.0)  # still running for two minutes after the receipt
            io.store.put(f"handled/{event.event_id}", self.boot)

    world, _ = run(small({"kind": "crash", "at": "20m", "restart_after": "5m"}), Fragile)
    store = world.receiver.store
    assert len(built) == 2 and world.receiver.sut is built[1]
    assert store.get("boots") == [0.0, CRASH_AT + DOWN_FOR]  # start() ran again
    assert "background/1" not in store  # the old instance's task died with it
    assert store.get("background/2") == CRASH_AT + DOWN_FOR + 60.0
    (crash,) = entries(world, "crash")
    assert (crash.time, crash.data["restart_after"]) == (CRASH_AT, DOWN_FOR)
    nacks = entries(world, "nack")
    assert nacks and all(CRASH_AT <= e.time <= CRASH_AT + DOWN_FOR for e in nacks)
    reset = [e for e in nacks if e.data["error"].startswith("connection reset")]
    assert reset and all(e.time == CRASH_AT for e in reset)  # in flight when it crashed
    assert {e.data["error"] for e in nacks} == {
        "connection refused: the sync implementation is down",
        "connection reset: the sync implementation crashed"}
    acked = {e.ref for e in entries(world, "ack")}
    assert {e.ref for e in nacks} <= acked  # redelivered after the restart, then handled
    assert all(store.get(f"handled/{ref}") == 2 for ref in {e.ref for e in nacks})
    answered = acked | {e.ref for e in nacks}
    in_flight = [e.ref for e in entries(world, "deliver")
                 if CRASH_AT - 120.0 < e.time < CRASH_AT]
    assert in_flight  # running at the crash: reset, redelivered, handled by the new instance
    for ref in in_flight:
        assert ref in answered and store.get(f"handled/{ref}") == 2
        assert len(delivery_times(world)[ref]) == 2
    assert all(store.get(f"handled/{ref}") == 1 for ref in acked
               if delivery_times(world)[ref][0] < CRASH_AT - 120.0)


def test_the_reference_converges_across_a_crash():
    world, obs = run(small({"kind": "crash", "at": "30m", "restart_after": "2m"},
                           {"kind": "crash", "at": "6h", "restart_after": "1m"},
                           duration="1h", orders=30), Reference)
    assert len(entries(world, "crash")) == 2
    assert entries(world, "nack")  # the crash bit: deliveries failed while it was down
    assert violations(obs) == []


# --- the reference against each new fault kind; a faulty one caught ----------------------------

AGAINST = {
    "poison": [{"kind": "poison", "channel": "lastmile.webhooks", "probability": 0.2},
               {"kind": "poison", "channel": "tms.webhooks", "probability": 0.1}],
    "schema_drift-v2-lastmile": [{"kind": "schema_drift", "channel": "lastmile.webhooks"}],
    "schema_drift-unknown_code": [
        {"kind": "schema_drift", "channel": s, "mode": "unknown_code", "probability": 0.2}
        for s in ("tms.webhooks", "lastmile.webhooks", "erp.webhooks")],
    "retraction": [{"kind": "retraction", "channel": "tms.webhooks", "probability": 0.3},
                   {"kind": "retraction", "channel": "lastmile.webhooks", "probability": 0.3}],
    "clock_skew": [{"kind": "clock_skew", "channel": "tms.webhooks"},
                   {"kind": "clock_skew", "channel": "lastmile.webhooks", "mode": "skew",
                    "skew": "10m"}],
}


@pytest.mark.parametrize("faults", AGAINST.values(), ids=AGAINST.keys())
def test_the_reference_holds_every_invariant_under_each_webhook_fault(faults):
    world, obs = run(small(*faults, duration="1h", orders=30), Reference)
    assert entries(world, "fault")  # the faults did fire
    assert violations(obs) == []


def test_the_reference_holds_every_invariant_when_the_tms_switches_to_schema_v2():
    world, obs = run(small({"kind": "schema_drift", "channel": "tms.webhooks"},
                           duration="1h", orders=30), Reference)
    assert any(e.data == {"fault": "schema_drift", "mode": "v2"}
               for e in entries(world, "fault"))
    assert [v.message for v in violations(obs)] == []


@pytest.mark.parametrize("target, faults, caught_by", [
    ("faulty-unvalidated-payload", AGAINST["poison"], "poison-isolated"),
    ("faulty-schema-v1-only", AGAINST["schema_drift-v2-lastmile"], "converge"),
    ("faulty-retraction-undoes", AGAINST["retraction"], "status-monotonic"),
    ("faulty-raw-event-time", AGAINST["clock_skew"][:1], "converge"),
])
def test_a_faulty_implementation_is_caught_under_its_fault(target, faults, caught_by):
    _, obs = run(small(*faults, duration="1h", orders=30), resolve(target).factory)
    assert caught_by in {v.invariant for v in violations(obs)}
