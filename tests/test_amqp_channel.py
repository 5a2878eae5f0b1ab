"""The broker channel in virtual time (seatrial.world.amqp): a queue per system consumed with
a prefetch window, nacks redelivered at once, dead-lettering at the delivery limit or on a
reject; scenarios on it, the reference holding and naive caught; bad input refused."""

from __future__ import annotations

import itertools
import random
from typing import get_args

import pytest
import simpy
from click.testing import CliRunner

from seatrial.catalogue import catalogue
from seatrial.cli import main
from seatrial.faults import Delivery, FaultLayer
from seatrial.faults.kinds import queue_length_limit
from seatrial.ledger import KINDS, Ledger
from seatrial.model.envelope import Event, to_datetime
from seatrial.run import judge, play, run_scenario
from seatrial.scenario import Channel, Scenario
from seatrial.scenario_yaml import ScenarioError, load_scenario_file
from seatrial.simulators.dialect import dialect
from seatrial.targets import resolve
from seatrial.world import CHANNELS, World
from seatrial.world.amqp import (
    DELIVERY_LIMIT,
    PREFETCH,
    PUBLISH_RETRY,
    RECONNECT,
    AmqpChannel,
)
from seatrial.world.dispatcher import WebhookDispatcher
from seatrial.world.host import DOWN
from seatrial.world.ports import Signing


class Held:
    """A consumer that answers when the test says: each delivery's event id and its answer."""

    def __init__(self) -> None:
        self.held: list[tuple[str, object]] = []

    def deliver(self, webhook, on_result) -> None:
        self.held.append((webhook.event.event_id, on_result))


def channel(receiver) -> tuple[simpy.Environment, Ledger, AmqpChannel]:
    env, ledger = simpy.Environment(), Ledger()
    faults = FaultLayer(Scenario(name="x"), 3600.0, lambda name: random.Random(name))
    made = AmqpChannel(env, faults, ledger, receiver, Signing({"tms": "whsec_AAAA"}, lambda: 1e9),
                       {"tms": dialect("tms")})
    return env, ledger, made


def publish(made: AmqpChannel, count: int) -> None:
    for n in range(count):
        made.publish(Event(f"evt_{n}", "shipment.status", "tms", n, to_datetime(0),
                           to_datetime(0), "ACT", "corr", order_id="ord_1"))


def kinds(ledger: Ledger, ref: str) -> list[tuple[str, dict]]:
    return [(e.kind, e.data) for e in ledger.entries if e.ref == ref and e.kind != "emit"]


def test_the_consumer_holds_at_most_the_prefetch_window_unacked():
    held = Held()
    env, _ledger, made = channel(held)
    publish(made, PREFETCH + 5)
    env.run()
    assert len(held.held) == PREFETCH
    _, answer = held.held[0]
    answer("ack", None)  # one acked: one more delivered from the queue
    assert len(held.held) == PREFETCH + 1
    assert made.deliveries == PREFETCH + 1 and made.outcomes == 1


class Answering:
    """A consumer that gives every delivery the same answer at once."""

    def __init__(self, outcome: str, detail: str | None) -> None:
        self.answer = outcome, detail

    def deliver(self, _webhook, on_result) -> None:
        on_result(*self.answer)


def played(answer: Answering) -> Ledger:
    env, ledger, made = channel(answer)
    publish(made, 1)
    env.run()
    return ledger


def test_a_nack_is_redelivered_at_once_until_the_delivery_limit_dead_letters_it():
    ledger = played(Answering("nack", "RuntimeError: boom"))
    seen = kinds(ledger, "evt_0")
    delivered = [data for kind, data in seen if kind == "deliver"]
    assert len(delivered) == DELIVERY_LIMIT
    assert delivered[0] == {"attempt": 1}
    assert delivered[1] == {"attempt": 2, "redelivered": True}
    assert len({e.time for e in ledger.entries if e.kind == "deliver"}) == 1  # no back-off
    assert seen[-1] == ("dead-letter", {"deliveries": DELIVERY_LIMIT,
                                        "reason": "delivery limit reached"})


def test_a_reject_dead_letters_the_message_at_once():
    ledger = played(Answering("reject", "401: refused by authenticate()"))
    assert [kind for kind, _ in kinds(ledger, "evt_0")] == ["deliver", "reject", "dead-letter"]


def test_a_consumer_that_is_down_takes_nothing_and_its_queue_waits_for_it_to_reconnect():
    class Down:
        def __init__(self):
            self.up_at = 12.0
            self.env = None

        def deliver(self, _webhook, on_result):
            on_result("ack", None) if self.env.now >= self.up_at else on_result("nack", DOWN)

    down = Down()
    env, ledger, made = channel(down)
    down.env = env
    publish(made, 3)
    env.run()
    for n in range(3):
        seen = kinds(ledger, f"evt_{n}")
        assert seen[-1] == ("ack", {"attempt": 1})  # refused deliveries are not counted
    refused = [e.time for e in ledger.entries if e.kind == "nack"]
    assert len(refused) == len(set(refused))  # one probe at a time, each a reconnect apart
    assert all(b - a == pytest.approx(RECONNECT) for a, b in itertools.pairwise(refused))


def test_every_channel_a_scenario_names_opens_one_and_webhooks_stay_the_default():
    assert set(CHANNELS) == set(get_args(Channel))
    assert Scenario(name="x").channel == "webhooks"
    assert type(World(Scenario(name="x")).channel) is WebhookDispatcher
    assert type(World(Scenario(name="x", channel="amqp")).channel) is AmqpChannel
    assert "dead-letter" in KINDS


@pytest.mark.parametrize("name", ["happy-path", "poison-in-busy-stream", "sut-crash-restart",
                                  "sut-crash-mid-backlog"])
def test_the_reference_holds_gate_scenarios_on_the_broker(name):
    scenario = catalogue()[name].model_copy(update={"channel": "amqp"})
    result = run_scenario(scenario, resolve("reference"))
    assert result.passed, result.violations[:3]


def test_naive_is_caught_on_the_broker_and_a_poison_message_it_nacks_is_dead_lettered():
    scenario = catalogue()["poison-in-busy-stream"].model_copy(update={"channel": "amqp"})
    world, end = play(scenario, resolve("naive"))
    result = judge(world, end, "naive", 0.0)
    assert not result.passed
    assert "poison-isolated" in {v["invariant"] for v in result.violations}
    poisoned = {e.ref for e in world.ledger.entries if e.data.get("fault") == "poison"}
    dead = {e.ref: e.data for e in world.ledger.entries if e.kind == "dead-letter"}
    assert poisoned & set(dead)
    assert {data["deliveries"] for data in dead.values()} == {DELIVERY_LIMIT}


@pytest.mark.parametrize(("name", "scenario_name"), [
    ("faulty-requeue-forever", "poison-in-busy-stream"),
    ("faulty-ack-before-durable", "sut-crash-mid-backlog")])
def test_a_faulty_consumer_is_caught_on_the_broker_by_the_invariant_it_exists_for(
        name, scenario_name):
    """sync_implementations/faulty_amqp.py: a poison message nacked with requeue comes back at
    once until the delivery limit dead-letters it; an acked event lost with the process never
    comes back."""
    scenario = catalogue()[scenario_name].model_copy(update={"channel": "amqp"})
    target = resolve(name)
    world, end = play(scenario, target)
    assert target.exists_for in judge(world, end, name, 0.0).violated()
    poisoned = {e.ref for e in world.ledger.entries if e.data.get("fault") == "poison"}
    dead = {e.ref: e.data["deliveries"] for e in world.ledger.entries if e.kind == "dead-letter"}
    # only what it could not read (a poison message may still be readable: an unknown code)
    assert set(dead) <= poisoned
    assert set(dead.values()) == ({DELIVERY_LIMIT} if name == "faulty-requeue-forever" else set())


def test_a_scenario_file_on_amqp_with_a_vendor_dialect_or_a_webhook_only_fault_is_refused(
        tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: s\nchannel: amqp\ndialects: {tms: x12}\n")
    with pytest.raises(ScenarioError, match="the tms speaks x12, whose events are not published"):
        load_scenario_file(path)
    path.write_text("name: s\nchannel: amqp\nfaults:\n"
                    "  - {kind: forged, channel: erp.webhooks, probability: 0.1}\n")
    with pytest.raises(ScenarioError, match="a forged fault acts on webhooks only"):
        load_scenario_file(path)


def test_the_channel_flag_refuses_what_cannot_travel_on_it_with_exit_2():
    result = CliRunner().invoke(main, ["run", "--target", "reference", "--channel", "amqp",
                                       "forged-webhooks"])
    assert result.exit_code == 2
    assert "--channel amqp: scenario forged-webhooks" in result.output
    assert "or drop --channel amqp" in result.output
    unknown = CliRunner().invoke(main, ["run", "--target", "reference", "--channel", "kafka"])
    assert unknown.exit_code == 2 and "'--channel'" in unknown.output
    live = CliRunner().invoke(main, ["run", "--target", "http://127.0.0.1:9", "--channel",
                                     "amqp", "--broker-url", "http://127.0.0.1:5672",
                                     "happy-path"])  # live runs on amqp: tests/test_amqp_live.py
    assert live.exit_code == 2 and "give amqp://USER:PASSWORD@HOST:PORT" in live.output


def test_a_closed_connection_loses_the_answers_then_requeues_what_was_held_unacked():
    """The way back dies at 10 s and the broker closes the connection 60 s later: an ack the
    SUT sends meanwhile never arrives, so that message is requeued with the others it held and
    delivered again, flagged redelivered, once the consumer has reconnected; an answer to a
    delivery on the closed connection is lost too."""
    held = Held()
    env, ledger, made = channel(held)
    publish(made, 3)
    made.close_connection(10.0, 60.0)
    env.run(until=20.0)
    first = [ref for ref, _ in held.held]
    assert sorted(first) == ["evt_0", "evt_1", "evt_2"]
    held.held[0][1]("ack", None)  # made while the way back is dead
    env.run(until=70.0 + RECONNECT - 0.001)
    assert len(held.held) == 3  # closed at 70 s, not reconnected yet
    assert [(e.kind, e.time) for e in ledger.entries if e.kind == "requeue"] == [
        ("requeue", 70.0)] * 3
    env.run(until=100.0)
    again = held.held[3:]
    assert [ref for ref, _ in again] == first  # in the order first delivered
    held.held[1][1]("ack", None)  # an answer on the closed connection
    for _ref, answer in again:
        answer("ack", None)
    for n in range(3):
        seen = kinds(ledger, f"evt_{n}")
        assert ("deliver", {"attempt": 2, "redelivered": True}) in seen
        assert seen[-1] == ("ack", {"attempt": 2})
        assert ("ack", {"attempt": 1}) not in seen  # no first answer ever reached the broker
    lost = [(e.ref, e.data["lost"]) for e in ledger.entries if e.kind == "fault"]
    assert lost == [(first[0], "ack"), (first[1], "ack")]
    env.run(until=1000.0)
    assert len(held.held) == 6  # nothing more: the answers settled every message


def test_a_broker_down_requeues_what_was_held_and_holds_publishes_until_it_is_back():
    """Down from 10 s to 110 s: the three messages the SUT held go back to their queue at once
    (an answer made meanwhile is lost), nothing is delivered, what the sources send is held by
    the gateway; at 110 s it is published, and RECONNECT later the consumer takes the
    requeued messages first, then the held ones, in the order sent."""
    held = Held()
    env, ledger, made = channel(held)
    publish(made, 3)
    made.go_down(10.0, 110.0)
    env.run(until=20.0)
    first = [ref for ref, _ in held.held]
    assert [(e.ref, e.data) for e in ledger.entries if e.kind == "requeue"] == [
        (ref, {"attempt": 1, "reason": "broker down"}) for ref in first]
    held.held[0][1]("ack", None)  # made after the node went: lost
    for n in (3, 4):
        made.publish(Event(f"evt_{n}", "shipment.status", "tms", n, to_datetime(0),
                           to_datetime(0), "ACT", "corr", order_id="ord_1"))
    env.run(until=110.0 + RECONNECT - 0.001)
    assert len(held.held) == 3  # back at 110 s, the consumer not yet reconnected
    notes = {e.ref: e.data for e in ledger.entries if e.kind == "fault"}
    assert notes.pop(first[0]) == {"fault": "broker_down", "lost": "ack", "attempt": 1}
    assert sorted(notes) == ["evt_3", "evt_4"]
    assert all(data["held"].startswith("held by the gateway") for data in notes.values())
    env.run(until=200.0)
    again = [ref for ref, _ in held.held[3:]]
    assert again[:3] == first and sorted(again[3:]) == ["evt_3", "evt_4"]
    assert [e.time for e in ledger.entries if e.kind == "deliver"][3:] == [115.0] * 5
    assert ("deliver", {"attempt": 2, "redelivered": True}) in kinds(ledger, first[0])


def sent(made: AmqpChannel, numbers: range) -> None:
    """The gateway publishes these events now, in order (no webhook fault, no latency)."""
    for n in numbers:
        made.send(Delivery(0.0, Event(f"evt_{n}", "shipment.status", "tms", n, to_datetime(0),
                                      to_datetime(0), "ACT", "corr", order_id="ord_1")))


def refused(ledger: Ledger) -> list[str]:
    return [e.ref for e in ledger.entries if e.kind == "fault"]


def ready(made: AmqpChannel) -> list[str]:
    return [message.delivery.event.event_id for message in made.queues["tms"].ready]


def test_a_queue_over_its_cap_refuses_publishes_until_it_is_down_to_four_fifths():
    """A cap of 10 from 0 s, as RabbitMQ 3.10's quorum queue keeps it: with the prefetch window
    full, 11 wait (the 11th puts it over, and blocks it) and the next four are refused, held by
    the gateway in order. The queue takes publishes again once 8 wait, and the gateway's next
    try, PUBLISH_RETRY after the first refusal, publishes until it is over again; what is left
    goes at the try after."""
    held = Held()
    env, ledger, made = channel(held)
    made.limit_length("tms", 10, 0.0, 3600.0)
    env.run(until=1.0)  # the cap is in force
    sent(made, range(PREFETCH + 15))
    env.run(until=2.0)
    assert len(held.held) == PREFETCH and len(ready(made)) == 11
    assert refused(ledger) == [f"evt_{n}" for n in range(PREFETCH + 11, PREFETCH + 15)]
    assert all(e.data == {"fault": "queue_length_limit", "held": queue_length_limit.REFUSED}
               for e in ledger.entries if e.kind == "fault")
    for _, answer in held.held[:2]:
        answer("ack", None)  # 9 wait: still blocked
    assert made.queues["tms"].blocked
    held.held[2][1]("ack", None)  # 8 wait: four fifths of the cap, unblocked
    assert not made.queues["tms"].blocked
    env.run(until=1.0 + PUBLISH_RETRY - 0.001)
    assert len(ready(made)) == 8
    env.run(until=1.0 + PUBLISH_RETRY + 0.001)  # three taken, over the cap again at 11
    assert len(ready(made)) == 11 and len(made.queues["tms"].refused) == 1
    for _, answer in held.held[3:6]:
        answer("ack", None)
    env.run(until=1.0 + 2 * PUBLISH_RETRY + 0.001)
    assert ready(made)[-1] == f"evt_{PREFETCH + 14}" and not made.queues["tms"].refused
    assert [ref for ref, _ in held.held] + ready(made) == [
        f"evt_{n}" for n in range(PREFETCH + 15)]  # in the order published
    assert len(refused(ledger)) == 4  # a message refused again is not noted again


def test_a_publish_waits_behind_what_was_refused_and_the_cap_ends_with_its_window():
    """The gateway keeps a queue's order: a publish while it holds refused messages is held
    behind them even once the queue takes publishes again; when the window ends the queue is
    unblocked at once, and after it nothing is refused."""
    held = Held()
    env, ledger, made = channel(held)
    made.limit_length("tms", 1, 10.0, 100.0)
    sent(made, range(PREFETCH + 2))  # at 0 s, before the cap: two wait in the queue
    env.run(until=50.0)
    assert made.queues["tms"].blocked  # weighed when the cap came: over it
    sent(made, range(PREFETCH + 2, PREFETCH + 3))  # refused
    env.run(until=51.0)
    for _, answer in held.held[:2]:
        answer("ack", None)  # the queue empties: unblocked
    sent(made, range(PREFETCH + 3, PREFETCH + 4))  # unblocked, but held behind the refused one
    env.run(until=52.0)
    assert refused(ledger) == [f"evt_{PREFETCH + 2}", f"evt_{PREFETCH + 3}"]
    env.run(until=56.0)  # the next try publishes both; the second puts it over the cap
    assert ready(made) == [f"evt_{PREFETCH + 2}", f"evt_{PREFETCH + 3}"]
    sent(made, range(PREFETCH + 4, PREFETCH + 5))  # refused: blocked
    env.run(until=99.0)
    assert ready(made) == [f"evt_{PREFETCH + 2}", f"evt_{PREFETCH + 3}"]
    env.run(until=150.0)  # the cap has gone: the held one goes at the next try
    assert ready(made)[-1] == f"evt_{PREFETCH + 4}"
    sent(made, range(PREFETCH + 5, PREFETCH + 8))
    env.run(until=300.0)
    assert len(refused(ledger)) == 3 and len(ready(made)) == 6


def test_a_connection_that_died_before_the_broker_went_down_is_not_closed_after():
    """The way back dies at 10 s (noticed 60 s later), but the broker goes down at 20 s and
    drops it first: the new connection, from 25 s after the node is back, is not closed."""
    held = Held()
    env, ledger, made = channel(held)
    publish(made, 1)
    made.close_connection(10.0, 60.0)
    made.go_down(20.0, 30.0)
    env.run(until=40.0)
    assert len(held.held) == 2  # delivered again at 35 s, on the new connection
    env.run(until=200.0)
    assert len(held.held) == 2
    assert [e.data["reason"] for e in ledger.entries if e.kind == "requeue"] == ["broker down"]
    held.held[1][1]("ack", None)
    assert kinds(ledger, "evt_0")[-1] == ("ack", {"attempt": 2})


def test_the_reference_takes_a_message_whose_ack_was_lost_delivered_again_and_holds():
    scenario = catalogue()["broker-connection-closed"]
    fault = scenario.faults[0].model_copy(update={"for_": 40 * 60.0})
    world, end = play(scenario.model_copy(update={"duration": 3600.0, "faults": (fault,)}),
                      resolve("reference"))
    lost = {e.ref for e in world.ledger.entries if e.data.get("lost") == "ack"}
    again = {e.ref for e in world.ledger.entries
             if e.kind == "deliver" and e.data.get("redelivered")}
    assert lost and lost <= again
    result = judge(world, end, "reference", 0.0)
    assert result.passed, result.violations[:3]


def test_a_broker_fault_on_the_webhook_channel_is_refused_naming_the_fix(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: s\nfaults:\n  - {kind: connection_closed, at: 1h}\n")
    with pytest.raises(ScenarioError, match=r"faults\[0\]\.kind: a connection_closed fault acts "
                       r"on amqp only.*set `channel: amqp`"):
        load_scenario_file(path)
    result = CliRunner().invoke(main, ["run", "--target", "reference", "--channel", "webhooks",
                                       "scenarios/broker-connection-closed.yaml"])
    assert result.exit_code == 2
    assert "--channel webhooks: scenario broker-connection-closed: faults.0.kind" in result.output
