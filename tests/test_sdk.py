"""The SDK contract as the in-process harness implements it, seen through the ledger."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from seatrial.model.envelope import to_datetime
from seatrial.scenario import Scenario
from seatrial.sdk import (
    IO,
    Call,
    ConnectError,
    Event,
    HTTPStatusError,
    Response,
    Sleep,
    SyncImplementation,
)
from seatrial.simulators.erp.dialects.canonical import order_json
from seatrial.world import World
from seatrial.world.dispatcher import REDELIVERY_DELAYS


def run(factory, seed: int = 3, orders_per_hour: float = 6.0) -> World:
    scenario = Scenario(name="sdk", seed=seed, duration=3600.0,
                        workload={"orders_per_hour": orders_per_hour})
    world = World(scenario, factory)
    world.run()
    emitted = entries(world, "emit")
    assert emitted, "the scenario should release at least one order"
    return world


def entries(world: World, kind: str, ref: str | None = None) -> list:
    return [e for e in world.ledger.entries
            if e.kind == kind and (ref is None or e.ref == ref)]


def only(world: World, kind: str, ref: str):
    (entry,) = entries(world, kind, ref)
    return entry


# --- receipt: ack / nack -------------------------------------------------------------------------


class PlainAck(SyncImplementation):
    def __init__(self) -> None:
        self.seen: list[str] = []

    def on_event(self, event: Event, io: IO) -> None:
        self.seen.append(event.event_id)


def test_plain_on_event_acks_every_delivery_at_once():
    world = run(PlainAck)
    emitted = entries(world, "emit")
    assert world.receiver.sut.seen == [e.ref for e in entries(world, "deliver")]
    assert sorted(world.receiver.sut.seen) == sorted(e.ref for e in emitted)
    for emit in emitted:
        deliver, ack = only(world, "deliver", emit.ref), only(world, "ack", emit.ref)
        assert deliver.data == ack.data == {"attempt": 1}
        assert ack.time == deliver.time > emit.time
        assert ack.seq == deliver.seq + 1
    assert not entries(world, "nack") and not entries(world, "abandon")


class Reader(SyncImplementation):
    def __init__(self) -> None:
        self.got: list[tuple] = []

    def on_event(self, event: Event, io: IO):
        call = io.erp.get(f"/orders/{event.order_id}", correlation_id=event.correlation_id)
        assert isinstance(call, Call)
        response = yield call
        missing = yield io.erp.get("/orders/NOPE")
        self.got.append((event, response, missing))


def test_generator_receives_responses():
    world = run(Reader)
    got = world.receiver.sut.got
    assert len(got) == len(entries(world, "emit"))
    for event, response, missing in got:
        assert isinstance(response, Response)
        assert response.status_code == 200 and response.ok
        body = response.json()
        assert body["id"] == event.order_id and body["status"] == "REL"
        assert body == order_json(world.erp.orders[event.order_id])
        assert missing.status_code == 404 and not missing.ok
        assert missing.json()["status"] == 404
        with pytest.raises(HTTPStatusError):
            missing.raise_for_status()
    requests = entries(world, "request")
    assert len(requests) == 2 * len(got)
    first = requests[0].data
    assert (first["method"], first["path"]) == ("GET", f"/orders/{got[0][0].order_id}")
    assert first["correlation_id"] == got[0][0].correlation_id
    # the ack waits for the handler to finish, after both round trips
    for event, _, _ in got:
        assert only(world, "ack", event.event_id).time > only(world, "deliver", event.event_id).time


class Writer(SyncImplementation):
    def __init__(self) -> None:
        self.ids: list[tuple[str, str]] = []

    def on_event(self, event: Event, io: IO):
        order = (yield io.erp.get(f"/orders/{event.order_id}")).json()
        body = {"order_id": event.order_id, "ship_to": order["ship_to"]}
        ids = []
        for _ in range(2):
            reply = yield io.tms.post("/shipments", json=body,
                                      idempotency_key=f"ship-{event.order_id}")
            ids.append(reply.json()["id"])
        self.ids.append(tuple(ids))


def test_posts_carry_idempotency_key_through_to_the_system():
    world = run(Writer)
    assert world.receiver.sut.ids and all(a == b for a, b in world.receiver.sut.ids)
    assert len(world.tms.shipments) == len(world.erp.orders)
    keys = {e.data["idempotency_key"] for e in entries(world, "request")
            if e.data["method"] == "POST"}
    assert keys == {f"ship-{order_id}" for order_id in world.erp.orders}


class Caller(SyncImplementation):
    def __init__(self) -> None:
        self.errors: list[Exception] = []

    def on_event(self, event: Event, io: IO):
        try:
            yield Call("wms", "GET", "/stock")
        except ConnectError as error:
            self.errors.append(error)


def test_unknown_system_raises_connect_error_inside_the_handler():
    world = run(Caller)
    assert world.receiver.sut.errors
    assert "io.erp, io.tms or io.lastmile" in str(world.receiver.sut.errors[0])
    assert not entries(world, "nack")


class Exploder(SyncImplementation):
    def on_event(self, event: Event, io: IO) -> None:
        raise RuntimeError(f"boom on {event.event_id}")


def test_raising_nacks_and_redelivers_on_schedule_then_abandons():
    world = run(Exploder)
    assert REDELIVERY_DELAYS == (300.0, 1800.0, 7200.0, 86400.0)
    for emit in entries(world, "emit"):
        delivers = entries(world, "deliver", emit.ref)
        nacks = entries(world, "nack", emit.ref)
        assert [d.data["attempt"] for d in delivers] == [1, 2, 3, 4, 5]
        gaps = [b.time - a.time for a, b in itertools.pairwise(delivers)]
        assert gaps == pytest.approx([300.0, 1800.0, 7200.0, 86400.0])
        assert [n.data for n in nacks] == [
            {"attempt": n, "error": f"RuntimeError: boom on {emit.ref}"} for n in range(1, 6)]
        assert [n.time for n in nacks] == [d.time for d in delivers]
        abandon = only(world, "abandon", emit.ref)
        assert abandon.data == {"attempts": 5}
        assert abandon.time == delivers[-1].time and abandon.seq > nacks[-1].seq
    assert not entries(world, "ack")


class FlakyGenerator(SyncImplementation):
    """Fails each event's first two deliveries after one API round trip, then succeeds."""

    def __init__(self) -> None:
        self.tries: dict[str, int] = {}

    def on_event(self, event: Event, io: IO):
        yield io.erp.get(f"/orders/{event.order_id}")
        self.tries[event.event_id] = self.tries.get(event.event_id, 0) + 1
        if self.tries[event.event_id] <= 2:
            raise ValueError("database is locked")


def test_redelivery_stops_once_acked():
    world = run(FlakyGenerator)
    for emit in entries(world, "emit"):
        delivers = entries(world, "deliver", emit.ref)
        assert [d.data["attempt"] for d in delivers] == [1, 2, 3]
        assert delivers[1].time - delivers[0].time == pytest.approx(300.0, abs=1.0)
        assert [n.data["error"] for n in entries(world, "nack", emit.ref)] == [
            "ValueError: database is locked"] * 2
        assert only(world, "ack", emit.ref).data == {"attempt": 3}
    assert not entries(world, "abandon")


@pytest.mark.parametrize("junk", ["hello", None, 42, {"path": "/orders"}])
def test_yielding_junk_nacks_saying_what_to_yield(junk):
    class Junk(SyncImplementation):
        def on_event(self, event: Event, io: IO):
            yield junk

    world = run(Junk)
    nacks = entries(world, "nack")
    assert nacks and len(nacks) == 5 * len(entries(world, "emit"))
    error = nacks[0].data["error"]
    assert error.startswith("TypeError: ")
    assert repr(junk) in error
    assert "io.<system>.get/post(...)" in error and "io.sleep(seconds)" in error
    assert not entries(world, "request")


# --- time and tasks ----------------------------------------------------------------------------


class Sleeper(SyncImplementation):
    def __init__(self) -> None:
        self.spans: list[tuple] = []

    def on_event(self, event: Event, io: IO):
        before = io.now
        sleep = io.sleep(90)
        assert sleep == Sleep(90)
        yield sleep
        self.spans.append((event.event_id, before, io.now))


def test_sleep_advances_virtual_time_and_now_is_aware():
    world = run(Sleeper)
    assert len(world.receiver.sut.spans) == len(entries(world, "emit"))
    for event_id, before, after in world.receiver.sut.spans:
        assert before.tzinfo is not None and before.utcoffset() == timedelta(0)
        assert after - before == timedelta(seconds=90)
        deliver, ack = only(world, "deliver", event_id), only(world, "ack", event_id)
        assert before == to_datetime(deliver.time)
        assert ack.time - deliver.time == pytest.approx(90.0)


class Spawner(SyncImplementation):
    def __init__(self) -> None:
        self.done: list[tuple] = []
        self.booted = None

    def start(self, io: IO):
        return self.boot(io)

    def boot(self, io: IO):
        yield io.sleep(100)
        self.booted = io.now

    def on_event(self, event: Event, io: IO) -> None:
        io.spawn(self.later(event, io))

    def later(self, event: Event, io: IO):
        yield io.sleep(60)
        self.done.append((event.event_id, io.now))


def test_spawn_runs_in_background_and_start_boots():
    world = run(Spawner)
    sut = world.receiver.sut
    assert sut.booted == to_datetime(100.0)
    assert len(sut.done) == len(entries(world, "emit"))
    for event_id, finished in sut.done:
        deliver, ack = only(world, "deliver", event_id), only(world, "ack", event_id)
        assert ack.time == deliver.time  # the receipt did not wait for the spawned task
        assert finished == to_datetime(deliver.time + 60)
    assert not entries(world, "crash")


class CrashingWorker(SyncImplementation):
    def on_event(self, event: Event, io: IO) -> None:
        io.spawn(self.worker(io))

    def worker(self, io: IO):
        yield io.sleep(5)
        raise ValueError("worker fell over")


def test_exception_in_spawned_task_is_a_crash_entry():
    world = run(CrashingWorker)
    crashes = entries(world, "crash")
    delivers = entries(world, "deliver")
    assert len(crashes) == len(delivers)
    for crash, deliver in zip(crashes, delivers, strict=True):
        assert (crash.system, crash.data) == ("sut", {"error": "ValueError: worker fell over"})
        assert crash.time == pytest.approx(deliver.time + 5)
    assert len(entries(world, "ack")) == len(delivers)
    assert not entries(world, "nack")


def test_spawn_of_a_non_generator_fails_the_delivery():
    class BadSpawn(SyncImplementation):
        def on_event(self, event: Event, io: IO) -> None:
            io.spawn(lambda: None)

    world = run(BadSpawn)
    error = entries(world, "nack")[0].data["error"]
    assert error.startswith("TypeError: io.spawn() takes a generator")


# --- durable state and randomness ----------------------------------------------------------


class Counter(SyncImplementation):
    def on_event(self, event: Event, io: IO) -> None:
        io.store.put("count", io.store.get("count", 0) + 1)
        previous = io.store.get("last")
        io.store.put(f"seen/{event.event_id}", previous)
        io.store.put("last", event.event_id)


def test_store_survives_across_events():
    world = run(Counter)
    store = world.receiver.store
    delivered = [e.ref for e in entries(world, "deliver")]
    assert store.get("count") == len(delivered)
    assert sorted(store.keys("seen/")) == sorted(f"seen/{ref}" for ref in delivered)
    chain = [store.get(f"seen/{ref}") for ref in delivered]
    assert chain == [None, *delivered[:-1]]
    assert store.get("last") == delivered[-1]
    assert "count" in store and "nothing" not in store


class Dice(SyncImplementation):
    def __init__(self) -> None:
        self.draws: list[float] = []

    def on_event(self, event: Event, io: IO) -> None:
        self.draws.append(io.random.random())


def draws(seed: int, global_seed: int) -> list[float]:
    random.seed(global_seed)  # the global generator must not matter
    return run(Dice, seed=seed).receiver.sut.draws


def test_io_random_is_deterministic_per_seed():
    first, again = draws(5, global_seed=1), draws(5, global_seed=2)
    assert first and first == again
    other = draws(6, global_seed=1)
    assert other[: len(first)] != first[: len(other)]


DATE = "Mon, 05 Jan 2026 06:01:57 GMT"


@pytest.mark.parametrize("value, date, seconds", [
    ("120", None, 120.0),
    ("0", None, 0.0),
    ("1.5", None, 1.5),  # not RFC grammar, but harmless to take
    ("Mon, 05 Jan 2026 06:02:00 GMT", DATE, 3.0),  # IMF-fixdate, counted from Date
    ("Monday, 05-Jan-26 06:02:00 GMT", DATE, 3.0),  # obsolete RFC 850 form
    ("Mon Jan  5 06:02:00 2026", DATE, 3.0),  # obsolete asctime form
    ("Mon, 05 Jan 2026 06:01:50 GMT", DATE, 0.0),  # already passed: no wait, not negative
    ("soon", None, None),  # neither form: RFC 9110 says to ignore it
    ("-5", None, None),
    ("nan", None, None),
])
def test_retry_after_reads_both_rfc_9110_forms(value, date, seconds):
    headers = {"retry-after": value} | ({"date": date} if date else {})
    assert Response(429, {}, headers).retry_after == seconds


def test_retry_after_as_a_date_without_date_counts_from_this_machines_clock():
    moment = datetime.now(UTC) + timedelta(seconds=30)
    wait = Response(429, {}, {"retry-after": format_datetime(moment, usegmt=True)}).retry_after
    assert 28.0 <= wait <= 30.0
