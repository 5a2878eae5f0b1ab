"""The RabbitMQ broker a run's events travel through (seatrial.live.broker): the one Seatrial
starts boots once for this module, a stock AMQP client (aio-pika) publishes and consumes through
it with the run's credentials, and once stopped nothing of it is left (no process it started,
no port, no folder), after Ctrl-C (`seatrial broker`'s), a failed boot and Ctrl-C during the
boot; a Seatrial killed outright leaves no broker running (only its folder); a virtual host on
a broker the user names is created and deleted through its management API; a broker that
cannot be used is an error that names the fix.

Those that boot RabbitMQ (6 to 13 s cold, with the management plugin the virtual host needs) are
marked wall_clock, so `make test` runs them alone rather than beside the in-process tests.
Where no rabbitmq-server is installed they are skipped, saying how to install it, and fail
where CI is set (.ci/run installs it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aio_pika
import httpx
import psutil
import pytest
from click.testing import CliRunner
from machine import required

from seatrial.cli import main
from seatrial.live import broker as broker_module
from seatrial.live.broker import Broker, BrokerError, LocalBroker, UserBroker, listening
from seatrial.live.ports import for_a_command
from seatrial.live.settings import AMQP_URL

INSTALL = "apt-get install rabbitmq-server (.ci/run does); macOS: brew install rabbitmq"


def installed() -> str:
    """rabbitmq-server as Seatrial finds it (Debian's real script is not on PATH); where it
    finds none, `required` skips, or fails where CI is set."""
    try:
        return broker_module.find_server()
    except BrokerError:
        return required("rabbitmq-server", INSTALL)


def spawned_in(folder: Path) -> list[psutil.Process]:
    """The processes whose environment names `folder`: everything a LocalBroker started there
    (the server script, beam and its helpers, epmd) inherits its RABBITMQ_* paths."""
    found = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if any(str(folder) in value for value in process.environ().values()):
                found.append(process)
    return found


def amqp_port(url: str) -> int:
    return int(url.rpartition(":")[2].split("/")[0])


async def round_trip(url: str, body: bytes) -> bytes:
    """Publish `body` to a topic exchange and consume it from a queue bound to it, with
    aio-pika, as a SUT's consumer would."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange("tms", aio_pika.ExchangeType.TOPIC)
        queue = await channel.declare_queue("sut.tms", durable=True)
        await queue.bind(exchange, "shipment.#")
        await exchange.publish(aio_pika.Message(body, message_id="e-1"),
                               routing_key="shipment.created")
        message = await queue.get(timeout=10)
        await message.ack()
        return message.body


@pytest.fixture(scope="module")
def rabbitmq(tmp_path_factory) -> Iterator[tuple[Broker, Path]]:
    """`seatrial broker --management` as a user runs it, once for the module (its management
    API serves the UserBroker tests); its teardown is Ctrl-C, and checks that it stops the
    broker and its epmd and removes the folder, exit 0, leaving no process, port or file."""
    installed()
    folder = tmp_path_factory.mktemp("broker")
    command = [sys.executable, "-m", "seatrial", "broker", "--management"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, "TMPDIR": str(folder)}) as proc:
        try:
            lines = [proc.stdout.readline() for _ in range(3)]
            url = lines[1].strip().removeprefix(f"export {AMQP_URL}=").strip("'")
            assert url.startswith("amqp://"), (lines, proc.stderr.read())
            management = lines[2].rpartition(" ")[2].strip()
            family = spawned_in(folder)
            assert {"beam.smp", "epmd"} <= {process.name() for process in family}
            yield Broker(url, url.rpartition("/")[2], management), folder
            proc.send_signal(signal.SIGINT)
            assert proc.wait(60) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
        assert "its folder removed" in proc.stderr.read()
    assert not [process for process in family if process.is_running()]
    assert not list(folder.glob("seatrial-broker-*"))
    assert not listening(amqp_port(url))


@pytest.mark.wall_clock
def test_a_stock_client_publishes_and_consumes_with_the_runs_credentials(rabbitmq):
    running, _ = rabbitmq
    assert running.url.startswith("amqp://seatrial:") and running.url.endswith("/seatrial")
    assert asyncio.run(round_trip(running.url, b'{"type": "shipment.created"}')) == (
        b'{"type": "shipment.created"}')


@pytest.mark.wall_clock
def test_the_brokers_ports_are_on_loopback_only(rabbitmq):
    _, folder = rabbitmq
    addresses = {connection.laddr.ip for process in spawned_in(folder)
                 for connection in process.net_connections("tcp")
                 if connection.status == psutil.CONN_LISTEN}
    assert addresses and addresses <= {"127.0.0.1", "::1"}


@pytest.mark.wall_clock
def test_a_user_broker_gets_a_virtual_host_of_its_own_deleted_after(rabbitmq):
    running, _ = rabbitmq
    base = running.url.rpartition("/")[0]
    with UserBroker(base, running.management_url) as mine:
        assert mine.vhost.startswith("seatrial-") and mine.url == f"{base}/{mine.vhost}"
        assert asyncio.run(round_trip(mine.url, b"in the run's own vhost")) == (
            b"in the run's own vhost")
    user, password = "seatrial", base.split(":")[2].split("@")[0]
    answer = httpx.get(f"{running.management_url}/api/vhosts/{mine.vhost}",
                       auth=(user, password))
    assert answer.status_code == 404


@pytest.mark.wall_clock
def test_a_user_broker_that_cannot_be_used_says_what_to_fix(rabbitmq):
    running, _ = rabbitmq
    base = running.url.rpartition("/")[0]
    wrong = base.replace("@", "x@", 1)
    with pytest.raises(BrokerError, match="refused user 'seatrial': check the user and pass"):
        UserBroker(wrong, running.management_url).__enter__()
    closed = for_a_command()
    with pytest.raises(BrokerError, match="rabbitmq-plugins enable rabbitmq_management"):
        UserBroker(base, f"http://127.0.0.1:{closed}").__enter__()
    with pytest.raises(BrokerError, match="no AMQP login") as caught:
        UserBroker(base.replace(str(amqp_port(base)), str(closed)),
                   running.management_url).__enter__()
    assert base.split(":")[2].split("@")[0] not in str(caught.value)  # the password is hidden


@pytest.mark.parametrize(("url", "fix"), [
    ("http://guest:guest@127.0.0.1:5672", "give amqp://USER:PASSWORD@HOST:PORT"),
    ("amqp://127.0.0.1:5672", "name the user and password"),
])
def test_a_broker_url_that_is_not_one_says_what_to_write(url, fix):
    with pytest.raises(BrokerError, match=fix):
        UserBroker(url)
    done = CliRunner().invoke(main, ["broker", "--broker-url", url])
    assert done.exit_code == 2 and fix in done.output


def test_without_rabbitmq_installed_the_error_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(broker_module, "DEBIAN_SERVER", tmp_path / "none")
    monkeypatch.setenv("PATH", str(tmp_path))
    done = CliRunner().invoke(main, ["broker"])
    assert done.exit_code == 2
    assert "apt-get install rabbitmq-server" in done.output
    assert "brew install rabbitmq" in done.output and "--broker-url" in done.output


def test_a_boot_that_fails_leaves_nothing_and_shows_the_servers_output(tmp_path, monkeypatch):
    required("epmd", INSTALL)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    server = tmp_path / "rabbitmq-server"
    server.write_text("#!/bin/sh\necho 'BOOT FAILED: no space left'\nexit 3\n")
    server.chmod(0o755)
    with pytest.raises(BrokerError, match=r"exited with code 3 while booting(.|\n)*BOOT FAILED"):
        LocalBroker(server=str(server)).__enter__()
    assert not list(tmp_path.glob("seatrial-broker-*"))
    assert not spawned_in(tmp_path)


def test_ctrl_c_during_the_boot_leaves_nothing(tmp_path, monkeypatch):
    """Ctrl-C while the broker boots (a server that never listens, interrupted after 0.5 s)."""
    required("epmd", INSTALL)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    server = tmp_path / "rabbitmq-server"
    server.write_text("#!/bin/sh\nexec sleep 600\n")
    server.chmod(0o755)

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        with pytest.raises(KeyboardInterrupt):
            LocalBroker(server=str(server)).__enter__()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not list(tmp_path.glob("seatrial-broker-*"))
    assert not spawned_in(tmp_path)


def test_a_seatrial_killed_outright_leaves_no_broker_running(tmp_path):
    """SIGKILL gives Seatrial no chance to stop its broker: the broker and its epmd get SIGTERM
    from the kernel instead (setpriv --pdeathsig, Linux). The folder stays. (A stand-in server
    that never boots; RabbitMQ's own script stops its beam on SIGTERM, as every clean stop
    here shows.)"""
    required("epmd", INSTALL)
    required("setpriv", "apt-get install util-linux (Linux only)")
    server = tmp_path / "rabbitmq-server"
    server.write_text("#!/bin/sh\nexec sleep 600\n")
    server.chmod(0o755)
    code = ("from seatrial.live.broker import LocalBroker\n"
            f"LocalBroker(server={str(server)!r}).__enter__()\n")
    with subprocess.Popen([sys.executable, "-c", code],
                          env={**os.environ, "TMPDIR": str(tmp_path)}) as seatrial:
        try:
            deadline = time.monotonic() + 30
            while {"sleep", "epmd"} - {process.name() for process in spawned_in(tmp_path)}:
                assert time.monotonic() < deadline and seatrial.poll() is None
                time.sleep(0.05)
            broker = [process for process in spawned_in(tmp_path) if process.pid != seatrial.pid]
            seatrial.kill()
        finally:
            seatrial.kill()
    _, alive = psutil.wait_procs(broker, timeout=15)
    for process in alive:  # what the test found left, not to be left after it too
        process.kill()
    assert not alive
    assert list(tmp_path.glob("seatrial-broker-*"))


@pytest.mark.wall_clock
def test_seatrial_broker_on_a_named_broker_deletes_its_virtual_host_on_ctrl_c(rabbitmq):
    """`seatrial broker --broker-url`: the virtual host it printed exists while it runs and is
    gone after Ctrl-C (raised here by a timer while the command waits)."""
    running, _ = rabbitmq
    base = running.url.rpartition("/")[0]
    user, password = "seatrial", base.split(":")[2].split("@")[0]
    seen = {}

    def interrupt(_signum: int, _frame: object) -> None:
        vhosts = httpx.get(f"{running.management_url}/api/vhosts", auth=(user, password))
        seen["vhosts"] = {vhost["name"] for vhost in vhosts.json()}
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        done = CliRunner().invoke(main, ["broker", "--broker-url", base,
                                         "--broker-management-url", running.management_url])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert done.exit_code == 0, done.output
    url = done.output.split(f"export {AMQP_URL}='")[1].split("'")[0]
    vhost = url.rpartition("/")[2]
    assert vhost.startswith("seatrial-") and vhost in seen["vhosts"]
    answer = httpx.get(f"{running.management_url}/api/vhosts/{vhost}", auth=(user, password))
    assert answer.status_code == 404
    assert "the virtual host is deleted" in done.output
