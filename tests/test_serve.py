"""`seatrial serve`: the simulators alone, as a user starts them, called over real HTTP."""

from __future__ import annotations

import contextlib
import shlex
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from suts import SEATRIAL, started, with_control

from seatrial.live.ports import for_a_command
from seatrial.live.settings import SETTINGS, SYSTEMS, url_setting

pytestmark = pytest.mark.wall_clock

STARTUP = 30.0  # wall seconds for `seatrial serve` to print its settings


@contextlib.contextmanager
def serving(*args: str) -> Iterator[tuple[subprocess.Popen, dict[str, str], list[str]]]:
    """`seatrial serve ARGS` started, its export lines parsed (name -> value) and every line
    it printed; stopped (SIGKILL) on the way out if the test has not stopped it."""
    proc = subprocess.Popen([SEATRIAL, "serve", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=with_control())
    watchdog = threading.Timer(STARTUP, proc.kill)  # a hung start fails instead of hanging
    watchdog.start()
    exports: dict[str, str] = {}
    lines: list[str] = []
    try:
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("export "):
                name, _, value = line.removeprefix("export ").rstrip("\n").partition("=")
                exports[name] = shlex.split(value)[0]
            if line.startswith("# try:"):  # the last line before it serves
                break
        watchdog.cancel()
        assert set(SETTINGS) <= set(exports), (lines, proc.stderr.read())
        yield proc, exports, lines
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def closed(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as probe:
        return probe.connect_ex((parts.hostname, parts.port)) != 0


def stop(proc: subprocess.Popen, sig: signal.Signals) -> str:
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=20)
    return err


def test_serve_answers_real_calls_then_stops_on_ctrl_c():
    with serving("happy-path", "--time-scale", "600") as (proc, env, lines):
        assert any("AcceptAll" in line for line in lines)  # no --webhook-url: said so
        erp = env[url_setting("erp")]
        granted = httpx.post(f"{erp}/oauth/token", data={
            "grant_type": "client_credentials", "client_id": env["SEATRIAL_CLIENT_ID"],
            "client_secret": env["SEATRIAL_CLIENT_SECRET"]})
        assert granted.status_code == 200, granted.text
        token = granted.json()["access_token"]
        order = httpx.get(f"{erp}/orders/SO-000001", headers={"Authorization": f"Bearer {token}"})
        assert order.status_code in (200, 404), order.text  # released yet or not: authorized
        assert "x-seatrial-sim-time" in order.headers
        assert order.headers["x-seatrial-time-scale"] == "600"
        for system in SYSTEMS:  # the printed tokens are ready to use
            document = httpx.get(f"{env[url_setting(system)]}/openapi.json",
                                 headers={"Authorization":
                                          f"Bearer {env[f'SEATRIAL_{system.upper()}_TOKEN']}"})
            assert document.status_code == 200 and document.json()["openapi"] == "3.1.0"
        shipment = httpx.get(f"{env[url_setting('tms')]}/shipments/SH-none", headers={
            "Authorization": f"Bearer {env['SEATRIAL_TMS_TOKEN']}"})
        assert shipment.status_code == 404, shipment.text
        err = stop(proc, signal.SIGINT)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
        assert all(closed(env[url_setting(system)]) for system in SYSTEMS)


def test_serve_binds_the_ports_asked_for_and_stops_on_sigterm():
    ports = [for_a_command() for _ in SYSTEMS]
    flags = [arg for system, port in zip(SYSTEMS, ports, strict=True)
             for arg in (f"--{system}-port", str(port))]
    with serving("--seed", "3", *flags) as (proc, env, _lines):
        assert [env[url_setting(s)] for s in SYSTEMS] == [f"http://127.0.0.1:{p}" for p in ports]
        err = stop(proc, signal.SIGTERM)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
        assert all(closed(env[url_setting(system)]) for system in SYSTEMS)


@pytest.fixture
def reference_sut() -> Iterator[str]:
    """`seatrial sut reference` running unconfigured, as a user starts it."""
    yield from started("reference")


def test_serve_configures_the_sut_and_delivers_to_it(reference_sut):
    with serving("--webhook-url", reference_sut) as (proc, env, lines):
        assert any("configured with POST /seatrial/configure" in line for line in lines)
        erp, headers = env[url_setting("erp")], {
            "Authorization": f"Bearer {env['SEATRIAL_ERP_TOKEN']}"}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the SUT heard order.released and wrote back
            order = httpx.get(f"{erp}/orders/SO-000001", headers=headers)
            if order.status_code == 200 and order.json().get("shipment_id"):
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"no shipment written back to SO-000001: {order.text}")
        stop(proc, signal.SIGINT)
        assert proc.returncode == 0


def test_a_taken_port_is_an_input_error_naming_its_flag():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([SEATRIAL, "serve", "--tms-port", str(port)], capture_output=True,
                              text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert f"--tms-port {port}" in done.stderr and "in use" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("args", "says"), [
    (["no-such-scenario"], "no-such-scenario"),
    (["--webhook-url", "ftp://127.0.0.1:9000"], "--webhook-url"),
    (["--webhook-url", "127.0.0.1:9000"], "--webhook-url"),
    (["--webhook-url", "http://127.0.0.1:9000/hooks"], "--webhook-url"),
    (["--erp-port", "70000"], "--erp-port"),
    (["--host", "203.0.113.7"], "--host"),  # TEST-NET-3: no address of this machine
    (["sut-crash-restart"], "crash fault"),
    (["--client-id", "acme"], "--client-id and --client-secret: give both"),
    (["--client-id", "acme", "--client-secret", ""], "neither empty"),
])
def test_bad_input_exits_2_naming_what_to_fix(args, says):
    done = subprocess.run([SEATRIAL, "serve", *args], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert says in done.stderr and "Traceback" not in done.stderr
