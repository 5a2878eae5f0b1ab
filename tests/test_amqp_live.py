"""The amqp channel live (seatrial.live.amqp_channel): a run's events published to a real
RabbitMQ in the documented topology, consumed by the SUT through the consumer-facing proxy,
every delivery and answer in the ledger as the in-process channel records them.

- a stock AMQP client (aio-pika, none of Seatrial's consumer code) consumes a run's events
  with the run's credentials from the queues the settings name: the canonical envelope with
  the CloudEvents and Standard Webhooks headers; its ack, nack with requeue and reject are in
  the ledger, and the rejected message comes back from the dead-letter queue as `dead-letter`;
- `seatrial run --channel amqp --target-cmd "seatrial sut reference"` holds happy-path, every
  delivery acked, and leaves no broker, process or folder behind; so does a `seatrial sut`
  already running (`--target URL`, configured with the AMQP settings), and a run on a broker
  of the user's (`--broker-url`: its virtual host made and deleted); a SUT that fails to start
  leaves no broker either;
- naive is caught over the broker where a repeat shows without any deadline: duplicated
  messages;
- a crash fault: what the SUT held is requeued and delivered again; a poison message nacked
  forever is dead-lettered at the queue's delivery limit;
- Ctrl-C or SIGTERM mid-run leaves no broker, SUT or proxy behind.

Marked wall_clock (live runs, a broker's boot). Where no rabbitmq-server is installed they
are skipped, saying how to install it, and fail where CI is set.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import aio_pika
import httpx
import pytest
from suts import SEATRIAL, started, with_control
from test_live import SMALL, run_cli
from test_rabbitmq import installed, spawned_in

from seatrial.catalogue import catalogue
from seatrial.faults import Delivery
from seatrial.faults.kinds import queue_length_limit
from seatrial.faults.kinds.queue_length_limit import QueueLengthLimit
from seatrial.live.amqp_channel import BrokerRun
from seatrial.live.broker import Broker, listening, runs_broker
from seatrial.live.runner import LiveOptions, LiveTarget, play_live
from seatrial.live.settings import AMQP_URL, amqp_queue_setting, amqp_settings, secret_setting
from seatrial.live.stack import SimulatorStack, running
from seatrial.live.sut import SettingsError, parse_settings
from seatrial.model.envelope import EPOCH, Event
from seatrial.run import judge
from seatrial.scenario_yaml import dump_scenario
from seatrial.sdk.webhooks import Webhook, verify
from seatrial.world.amqp import DELIVERY_LIMIT
from seatrial.world.drives import Idle

pytestmark = pytest.mark.wall_clock

PACE = "2400"  # as tests/test_dialect_gate_live.py: slow enough for the SUT on 2 busy cores


@pytest.fixture(scope="module")
def rabbitmq() -> Iterator[Broker]:
    installed()
    with runs_broker(None) as broker:
        yield broker


def event(n: int) -> Event:
    when = EPOCH + timedelta(hours=1)
    return Event(f"evt_erp_{n:07d}", "order.released", "erp", n, when, when, "ACT",
                 f"corr-SO-{n:06d}", f"SO-{n:06d}", payload={"order_id": f"SO-{n:06d}"})


async def consume_a_run(host: Broker) -> tuple[list[tuple[str, str, dict]], list, dict]:
    """Three events published by a run's channel, consumed with aio-pika from the settings
    the SUT gets: the first acked, the second nacked with requeue then acked, the third
    rejected; what the client received, the ledger, and the settings."""
    scenario = catalogue()["happy-path"].model_copy(update={"channel": "amqp", "faults": ()})
    async with BrokerRun(host) as link:
        stack = SimulatorStack(scenario, 1.0, drive=Idle(), channel=link.opener)
        settings = {**await link.attach(), secret_setting("erp"): stack.secrets["erp"]}
        stack.clock.start()
        for n in (1, 2, 3):
            stack.world.channel.publish(event(n))
        stack.clock.kick()
        received = []
        connection = await aio_pika.connect(settings[AMQP_URL])
        async with connection:
            channel = await connection.channel()
            queue = await channel.get_queue(settings[amqp_queue_setting("erp")])
            async with queue.iterator() as messages:
                async for message in messages:
                    body = json.loads(message.body)
                    received.append((body["event_id"], message.routing_key,
                                     dict(message.headers)))
                    if body["event_id"] == "evt_erp_0000002" and not message.redelivered:
                        await message.nack(requeue=True)
                    elif body["event_id"] == "evt_erp_0000003":
                        await message.reject(requeue=False)
                    else:
                        await message.ack()
                    if len(received) == 4:
                        break
        for _ in range(100):  # the dead letter comes back to the harness
            if any(e.kind == "dead-letter" for e in stack.world.ledger.entries):
                break
            await asyncio.sleep(0.1)
        ledger = list(stack.world.ledger.entries)
        await stack.stop()
    return received, ledger, settings


def test_a_stock_client_consumes_a_runs_events_with_its_credentials(rabbitmq):
    received, ledger, settings = asyncio.run(consume_a_run(rabbitmq))
    assert settings[AMQP_URL].startswith("amqp://seatrial:")
    assert settings[AMQP_URL].rpartition("/")[2].startswith("seatrial-")  # the run's vhost
    assert sorted(ref for ref, _, _ in received) == [  # in the order their latencies allow
        "evt_erp_0000001", "evt_erp_0000002", "evt_erp_0000002", "evt_erp_0000003"]
    ref, routing_key, headers = next(got for got in received if got[0] == "evt_erp_0000001")
    assert routing_key == "order.released"
    assert headers["cloudEvents:id"] == ref and headers["cloudEvents:type"] == "order.released"
    assert headers["cloudEvents:specversion"] == "1.0"
    body = json.dumps(event(1).to_json(), separators=(",", ":")).encode()
    assert verify(Webhook.received(event(1), body, headers),
                  settings[secret_setting("erp")], EPOCH.now(EPOCH.tzinfo))
    story = [(e.kind, e.ref, e.data.get("attempt"), bool(e.data.get("redelivered")))
             for e in ledger if e.kind in ("deliver", "ack", "nack", "reject", "dead-letter")]
    assert [s for s in story if s[1] == "evt_erp_0000002"] == [
        ("deliver", "evt_erp_0000002", 1, False), ("nack", "evt_erp_0000002", 1, False),
        ("deliver", "evt_erp_0000002", 2, True), ("ack", "evt_erp_0000002", 2, False)]
    assert [s for s in story if s[1] == "evt_erp_0000003"] == [
        ("deliver", "evt_erp_0000003", 1, False), ("reject", "evt_erp_0000003", 1, False),
        ("dead-letter", "evt_erp_0000003", None, False)]
    dead, = (e for e in ledger if e.kind == "dead-letter")
    assert dead.data == {"deliveries": 1, "reason": "rejected"}
    assert ("ack", "evt_erp_0000001", 1, False) in story


async def capped_run(host: Broker) -> tuple[list[str], list, bool]:
    """Ten ERP events published at once to a queue capped at 3 ready messages from 0 s
    (`queue_length_limit`), nobody consuming: RabbitMQ takes four (the fourth puts it over the
    cap) and refuses the fifth, which the gateway holds with the five behind it. Then a stock
    client consumes, and the gateway's next tries publish the rest, in order. What the client
    received, the ledger, and whether the policy was gone after the window."""
    cap = QueueLengthLimit(system="erp", max_length=3, for_=120.0)
    scenario = catalogue()["happy-path"].model_copy(update={"channel": "amqp",
                                                            "faults": (cap,)})
    async with BrokerRun(host) as link:
        stack = SimulatorStack(scenario, 60.0, drive=Idle(), channel=link.opener)
        settings = await link.attach()
        channel = stack.world.channel
        stack.clock.start()
        stack.clock.kick()
        while not await policies(link.broker):  # the window opens at 0 s: the policy is set
            await asyncio.sleep(0.05)
        for n in range(1, 11):
            channel.send(Delivery(0.0, event(n)))
        stack.clock.kick()
        for _ in range(100):
            if sum(e.kind == "fault" for e in stack.world.ledger.entries) == 6:
                break
            await asyncio.sleep(0.1)
        received = []
        connection = await aio_pika.connect(settings[AMQP_URL])
        async with connection:
            queue = await (await connection.channel()).get_queue(
                settings[amqp_queue_setting("erp")])
            async with asyncio.timeout(60), queue.iterator() as messages:
                async for message in messages:
                    received.append(json.loads(message.body)["event_id"])
                    await message.ack()
                    if len(received) == 10:
                        break
        while stack.clock.sim_now() < 130.0:  # past the window: the policy is lifted
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)
        lifted = not await policies(link.broker)
        ledger = list(stack.world.ledger.entries)
        await stack.stop()
    return received, ledger, lifted


async def policies(broker: Broker) -> list[dict]:
    """The policies on `broker`'s virtual host, from its management API."""
    parts = urlsplit(broker.url)
    async with httpx.AsyncClient(auth=(parts.username or "", parts.password or "")) as client:
        answer = await client.get(f"{broker.management_url}/api/policies/{parts.path[1:]}")
    answer.raise_for_status()
    return answer.json()


def test_a_capped_queue_refuses_and_the_gateway_publishes_again_in_order(rabbitmq):
    received, ledger, lifted = asyncio.run(capped_run(rabbitmq))
    assert received == [event(n).event_id for n in range(1, 11)]
    held = [e.ref for e in ledger if e.kind == "fault"]
    assert held == [event(n).event_id for n in range(5, 11)]
    assert all(e.data == {"fault": "queue_length_limit", "held": queue_length_limit.REFUSED}
               for e in ledger if e.kind == "fault")
    assert lifted
    assert {(e.kind, e.ref) for e in ledger if e.kind in ("deliver", "ack")} == {
        (kind, event(n).event_id) for kind in ("deliver", "ack") for n in range(1, 11)}


def test_reference_holds_happy_path_live_over_amqp_and_leaves_nothing(tmp_path):
    installed()
    scenario = tmp_path / "happy-path.yaml"
    scenario.write_text(dump_scenario(SMALL))
    report = tmp_path / "run.json"
    folder = tmp_path / "tmp"
    folder.mkdir()
    done = subprocess.run([SEATRIAL, "run", str(scenario), "--channel", "amqp", "--target-cmd",
                           f"{SEATRIAL} sut reference", "--time-scale", PACE, "--json",
                           str(report)], capture_output=True, text=True, timeout=900,
                          env={**with_control(), "TMPDIR": str(folder)})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    run, = json.loads(report.read_text())["runs"]
    amqp = run["live"]["amqp"]
    assert run["passed"] and amqp["published"] > 50, amqp
    assert amqp["deliver"] == amqp["ack"] == amqp["published"], amqp
    assert not list(folder.glob("seatrial-broker-*")) and not spawned_in(folder)


def test_naive_is_caught_live_over_amqp_by_duplicated_messages(tmp_path):
    installed()
    duplicates = tuple(fault.model_copy(update={"probability": 0.3})
                       for fault in catalogue()["duplicate-webhooks"].faults
                       if fault.kind == "duplicate")
    scenario = tmp_path / "duplicate-messages.yaml"
    scenario.write_text(dump_scenario(SMALL.model_copy(update={
        "name": "duplicate-messages", "faults": duplicates, "channel": "amqp"})))
    report = tmp_path / "run.json"
    done = run_cli(str(scenario), "--target-cmd", f"{SEATRIAL} sut naive", "--time-scale", PACE,
                   "--json", str(report), timeout=900)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    run, = json.loads(report.read_text())["runs"]
    assert {"effect-once", "shipment-per-order"} <= set(run["violated"]), run["violated"]
    assert run["live"]["amqp"]["published"] > run["kpis"]["orders"], run["live"]


#: make test interrupts with Ctrl-C; SIGTERM is `slow`, as are the longer runs below (each a
#: whole scenario live over the broker, 100 to 180 s on two shared cores)
@pytest.mark.parametrize("sig", [signal.SIGINT,
                                 pytest.param(signal.SIGTERM, marks=pytest.mark.slow)])
def test_an_interrupted_run_leaves_no_broker_proxy_or_sut(tmp_path, sig):
    """Ctrl-C or SIGTERM in the middle of a run over amqp: exit 130, and the broker Seatrial
    started (beam, epmd, folder), the SUT and the run's proxy port are all gone."""
    installed()
    scenario = tmp_path / "happy-path.yaml"
    scenario.write_text(dump_scenario(SMALL))
    folder = tmp_path / "tmp"
    folder.mkdir()
    told = tmp_path / "amqp-url"
    command = f"echo \"$SEATRIAL_AMQP_URL\" > {told}; exec {SEATRIAL} sut reference"
    with subprocess.Popen([SEATRIAL, "run", str(scenario), "--channel", "amqp", "--target-cmd",
                           command, "--time-scale", "600"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True,
                          env={**with_control(), "TMPDIR": str(folder)}) as proc:
        try:
            deadline = time.monotonic() + 180
            while not (told.exists() and told.read_text().strip()):
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
                time.sleep(0.2)
            time.sleep(3)  # the SUT consumes
            family = spawned_in(folder)
            assert {"beam.smp", "epmd"} <= {process.name() for process in family}
            proc.send_signal(sig)
            assert proc.wait(120) == 130, proc.stderr.read()
        finally:
            if proc.poll() is None:
                proc.kill()
    assert not [process for process in family if process.is_running()]
    assert not list(folder.glob("seatrial-broker-*"))
    proxy_port = int(told.read_text().strip().rpartition(":")[2].split("/")[0])
    assert not listening(proxy_port)


@pytest.mark.parametrize(("change", "says"), [
    ({AMQP_URL: "http://127.0.0.1:5672/"}, "SEATRIAL_AMQP_URL: give the broker's amqp://"),
    ({amqp_queue_setting("tms"): ""}, "missing setting(s) SEATRIAL_TMS_AMQP_QUEUE"),
])
def test_seatrial_sut_refuses_amqp_settings_it_cannot_consume_with(change, says):
    stack = SimulatorStack(SMALL, 60.0, drive=Idle())
    with running(stack):
        settings = {**stack.settings, **amqp_settings(
            "amqp://seatrial:pw@127.0.0.1:5672/seatrial-0", {s: f"seatrial.{s}.events"
                                                            for s in ("erp", "tms", "lastmile")})}
        parsed = parse_settings(settings)
        assert parsed[AMQP_URL] == settings[AMQP_URL] and parsed["queues"]["tms"] == (
            "seatrial.tms.events")
        assert parse_settings(stack.settings)[AMQP_URL] is None  # webhooks
        with pytest.raises(SettingsError) as refused:
            parse_settings({**settings, **change})
        assert says in str(refused.value)


@pytest.mark.slow
def test_a_running_sut_is_configured_to_consume_the_runs_queues(tmp_path):
    """--target URL: `seatrial sut reference` already running takes the AMQP URL and queues in
    its configure body, consumes them, and holds happy-path."""
    installed()
    scenario = tmp_path / "happy-path.yaml"
    scenario.write_text(dump_scenario(SMALL))
    report = tmp_path / "run.json"
    for url in started("reference"):
        done = run_cli(str(scenario), "--channel", "amqp", "--target", url, "--time-scale",
                       PACE, "--json", str(report), timeout=900)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    run, = json.loads(report.read_text())["runs"]
    amqp = run["live"]["amqp"]
    assert run["passed"] and amqp["deliver"] == amqp["ack"] == amqp["published"] > 50, amqp


@pytest.mark.slow
def test_a_crash_over_amqp_has_what_the_sut_held_requeued_and_redelivered(tmp_path):
    """sut-crash-restart (30 minutes of orders): the SUT process is killed holding messages
    unacked; the broker requeues them (`nack`, connection reset, in the ledger) and delivers
    them again to the restarted SUT, which acks every message once: the reference holds."""
    installed()
    crash = catalogue()["sut-crash-restart"]
    scenario = tmp_path / "sut-crash-restart.yaml"
    scenario.write_text(dump_scenario(crash.model_copy(update={
        "channel": "amqp", "duration": 1800.0, "expect": SMALL.expect})))
    report = tmp_path / "run.json"
    done = run_cli(str(scenario), "--target-cmd", f"{SEATRIAL} sut reference", "--time-scale",
                   PACE, "--json", str(report), timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    amqp = json.loads(report.read_text())["runs"][0]["live"]["amqp"]
    assert amqp["ack"] == amqp["published"] and amqp["reject"] == amqp["dead-letter"] == 0, amqp
    assert amqp["deliver"] == amqp["published"] + amqp["nack"], amqp


@pytest.mark.slow
def test_a_closed_connection_live_has_its_lost_acks_requeued_and_the_reference_holds(rabbitmq):
    """broker-connection-closed shortened to an hour, closing twice, each time ten minutes
    after the way back died: the proxy cuts the way back of the SUT's connection (its acks are
    lost: `fault` notes), then closes it, so RabbitMQ requeues what it held (`requeue`, reason
    `connection closed`) and delivers it again to the consumer once it has reconnected (simulated
    time standing still meanwhile), flagged redelivered; the reference takes each once. A
    consumer that does not consume again after its reconnect (`seatrial sut`'s did not, while
    it named its queues without declaring them) leaves the rest of the run undelivered."""
    closed = catalogue()["broker-connection-closed"]
    fault = closed.faults[0].model_copy(update={"at": 600.0, "for_": 2400.0,
                                                "heartbeat": 600.0})
    scenario = closed.model_copy(update={"duration": 3600.0, "expect": SMALL.expect,
                                         "faults": (fault,)})
    world, end, _pace = play_live(scenario, LiveTarget(command=f"{SEATRIAL} sut reference"),
                                  LiveOptions(scale=float(PACE), broker=rabbitmq))
    entries = world.ledger.entries
    lost = {e.ref for e in entries if e.kind == "fault" and e.data.get("lost") == "ack"}
    requeued = [e for e in entries if e.kind == "requeue"]
    assert lost and requeued, "the connection closed while the SUT held nothing"
    assert {e.data["reason"] for e in requeued} == {"connection closed"}
    assert lost <= {e.ref for e in requeued}
    again = {e.ref for e in entries if e.kind == "deliver" and e.data.get("redelivered")}
    assert {e.ref for e in requeued} <= again
    assert sum(e.kind == "ack" for e in entries) == sum(e.kind == "emit" for e in entries), (
        "every event acked once the consumer was back")
    result = judge(world, end, "reference", 0.0)
    assert result.passed, result.violations[:3]


@pytest.mark.slow
def test_a_broker_down_live_holds_the_gateways_publishes_and_the_reference_holds(rabbitmq):
    """broker-down shortened to an hour, the node down for 10 minutes from minute 20: the
    proxy closes the SUT's connection and refuses it meanwhile, the gateway holds what the
    sources send (`fault` notes, `held`), and at the window's end publishes it; once the SUT
    has reconnected (simulated time standing still meanwhile) every held event is delivered
    and acked, and the reference holds."""
    down = catalogue()["broker-down"]
    faults = (down.faults[0].model_copy(update={"at": 1200.0, "for_": 600.0}),
              *down.faults[1:])
    scenario = down.model_copy(update={"duration": 3600.0, "expect": SMALL.expect,
                                       "faults": faults})
    world, end, _pace = play_live(scenario, LiveTarget(command=f"{SEATRIAL} sut reference"),
                                  LiveOptions(scale=float(PACE), broker=rabbitmq))
    entries = world.ledger.entries
    held = {e.ref for e in entries if e.kind == "fault" and e.data.get("held")}
    assert held, "nothing was published while the node was down"
    assert all(1200.0 <= e.time <= 1800.0 for e in entries
               if e.kind == "fault" and e.data.get("held"))
    acked = {e.ref: e.time for e in entries if e.kind == "ack"}
    assert held <= set(acked) and min(acked[ref] for ref in held) >= 1800.0
    result = judge(world, end, "reference", 0.0)
    assert result.passed, result.violations[:3]


@pytest.mark.slow
def test_a_poison_message_nacked_forever_is_dead_lettered_at_the_delivery_limit(rabbitmq):
    """naive raises on poison, so `seatrial sut` nacks it with requeue, again and again: the
    quorum queue's x-delivery-limit dead-letters it, and the ledger has each nack, each
    redelivery and the dead letter with its reason, as in process (poison-isolated sees the
    nacks). RabbitMQ 3.10 dead-letters a message returned more than 20 times."""
    poison = catalogue()["poison-in-busy-stream"]
    faults = tuple(fault.model_copy(update={"probability": 0.05}) if fault.kind == "poison"
                   else fault for fault in poison.faults)
    scenario = poison.model_copy(update={"channel": "amqp", "duration": 1800.0,
                                         "expect": SMALL.expect, "faults": faults})
    world, end, _pace = play_live(scenario, LiveTarget(command=f"{SEATRIAL} sut naive"),
                                  LiveOptions(scale=float(PACE), broker=rabbitmq))
    dead = [entry for entry in world.ledger.entries if entry.kind == "dead-letter"]
    assert dead and {entry.data["reason"] for entry in dead} == {"delivery limit reached"}
    assert all(entry.data["deliveries"] > DELIVERY_LIMIT for entry in dead), dead
    nacked = {entry.ref for entry in world.ledger.entries if entry.kind == "nack"}
    assert {entry.ref for entry in dead} <= nacked
    result = judge(world, end, "naive", 0.0)
    assert "poison-isolated" in result.violated()


@pytest.mark.slow
def test_a_run_on_a_broker_of_yours_makes_its_virtual_host_and_deletes_it(tmp_path, rabbitmq):
    """--broker-url: no broker is started; the run makes a virtual host of its own on the
    user's broker through its management API, holds happy-path on it, and deletes it."""
    scenario = tmp_path / "happy-path.yaml"
    scenario.write_text(dump_scenario(SMALL))
    base = rabbitmq.url.rpartition("/")[0]
    folder = tmp_path / "tmp"
    folder.mkdir()
    done = subprocess.run([SEATRIAL, "run", str(scenario), "--channel", "amqp", "--target-cmd",
                           f"{SEATRIAL} sut reference", "--time-scale", PACE, "--broker-url",
                           base, "--broker-management-url", rabbitmq.management_url],
                          capture_output=True, text=True, timeout=900,
                          env={**with_control(), "TMPDIR": str(folder)})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert not list(folder.glob("seatrial-broker-*"))  # none started
    user, password = "seatrial", base.split(":")[2].split("@")[0]
    vhosts = httpx.get(f"{rabbitmq.management_url}/api/vhosts", auth=(user, password)).json()
    assert [vhost["name"] for vhost in vhosts] == ["seatrial"]  # the broker's own, only


def test_a_sut_that_fails_to_start_leaves_no_broker_behind(tmp_path):
    """The failure path: the SUT exits at once; exit 2 with its output, and the broker
    Seatrial started for the run is stopped and its folder removed."""
    installed()
    scenario = tmp_path / "happy-path.yaml"
    scenario.write_text(dump_scenario(SMALL))
    folder = tmp_path / "tmp"
    folder.mkdir()
    done = subprocess.run([SEATRIAL, "run", str(scenario), "--channel", "amqp", "--target-cmd",
                           "echo listening nowhere; exit 3"], capture_output=True, text=True,
                          timeout=300, env={**with_control(), "TMPDIR": str(folder)})
    assert done.returncode == 2 and "listening nowhere" in done.stderr, done.stderr[-3000:]
    assert not list(folder.glob("seatrial-broker-*")) and not spawned_in(folder)
