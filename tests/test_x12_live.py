"""The x12 dialect live: the TMS's SFTP mailbox served beside the three APIs.

The live stack starts the mailbox on a loopback port with a login of its own and gives it to
the SUT in its settings; OpenSSH's `sftp` logs in with the run's key, an upload in `inbound/`
reaches the TMS through the world's transport (recorded in the ledger as the in-process call
it stands for, answered with a 997 in `outbound/`), a wrong password is refused, and the
mailbox, its folders and its key are gone when the stack stops; paramiko, as a Python SUT
would use it, logs in with the run's settings alone (the key file or the password), tenders
and downloads the 997. These need real sockets but
judge nothing on the wall clock, so they run with the in-process tests. Then the whole thing:
`seatrial sut reference` holds a small x12 scenario live over SFTP and naive is caught
(wall_clock, about 95 s each on two shared cores), and an interrupted x12 run leaves no mailbox
listening and no key behind (slow).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import paramiko
import pytest
import sftp_batch
from suts import SEATRIAL, with_control
from test_live import (
    RELAXED,
    assert_nothing_left,
    marked_processes,
    run_cli,
    settings_seen,
    sut_command,
)
from test_x12_dialect import _tender

from seatrial.catalogue import catalogue
from seatrial.live.settings import SFTP_PARTS, sftp_setting
from seatrial.live.stack import SimulatorStack, running
from seatrial.live.sut import SettingsError, parse_settings
from seatrial.scenario_yaml import dump_scenario
from seatrial.world.drives import Idle

X12 = catalogue()["x12-happy-path"]
#: a small x12 run for the live tests: 20 orders, every deadline relaxed (they are about the
#: mailbox and the processes, not the SLOs; `make gate-live` keeps the catalogue's)
SMALL = X12.model_copy(update={
    "duration": 1800.0, "expect": RELAXED,
    "workload": X12.workload.model_copy(update={"orders_per_hour": 40.0, "cancel_rate": 0.0})})


def login(stack: SimulatorStack) -> dict[str, str]:
    return {part: stack.settings[sftp_setting("tms", part)] for part in SFTP_PARTS}


def openssh_sftp(given: dict[str, str], tmp_path: Path, commands: str, *,
                 password: str | None = None) -> subprocess.CompletedProcess:
    """With the run's key, or with `password`."""
    return sftp_batch.openssh_sftp(
        given["HOST"], given["PORT"], given["USERNAME"], given["KNOWN_HOSTS"], tmp_path,
        commands, key=None if password is not None else given["KEY_PATH"], password=password)


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_the_live_stack_serves_the_tms_mailbox_to_a_stock_sftp_client(tmp_path):
    stack = SimulatorStack(X12, 60.0, drive=Idle())
    upload = tmp_path / "000000001.x12"
    upload.write_bytes(_tender("SO-000001-1"))
    with running(stack):
        given = login(stack)
        assert given["HOST"] == "127.0.0.1"
        assert Path(given["KEY_PATH"]).stat().st_mode & 0o077 == 0
        done = openssh_sftp(given, tmp_path, f"""ls outbound
put {upload} inbound/.000000001.x12.part
rename inbound/.000000001.x12.part inbound/000000001.x12
""")
        assert done.returncode == 0, done.stderr
        deadline = time.monotonic() + 10
        while not stack.call(lambda: stack.world.tms.shipments) and time.monotonic() < deadline:
            time.sleep(0.05)
        shipments = stack.call(lambda: list(stack.world.tms.shipments.values()))
        assert [s.order_id for s in shipments] == ["SO-000001"]
        (tmp_path / "got").mkdir()
        got = openssh_sftp(given, tmp_path, f"ls inbound\nget outbound/* {tmp_path / 'got'}\n")
        assert got.returncode == 0, got.stderr
        acks = [path.read_bytes() for path in (tmp_path / "got").iterdir()]
        assert len(acks) == 1 and b"ST*997*" in acks[0] and b"AK5*A" in acks[0]
        # the upload is recorded as the in-process call it stands for, with its tender
        requests = stack.call(lambda: [(e.data.get("method"), e.data.get("path"))
                                       for e in stack.world.ledger.entries
                                       if e.kind == "request" and e.system == "tms"])
        assert ("PUT", "/mailbox/inbound/000000001.x12") in requests
        assert ("GET", "/mailbox/outbound") in requests
        refused = openssh_sftp(given, tmp_path, "ls\n", password="not-the-password")
        assert refused.returncode != 0 and "Permission denied" in refused.stderr
        port, files = int(given["PORT"]), stack.files
        assert port_open(port) and files is not None and files.is_dir()
    assert not port_open(port)
    assert not files.exists()  # the folders and the key with them


@pytest.mark.parametrize("with_", ["key", "password"])
def test_paramiko_logs_in_to_the_live_mailbox_with_the_runs_settings(tmp_path, with_):
    """paramiko, as a Python SUT would use it, given only the six settings: it checks the
    server against the known_hosts line, logs in with the key file or the password, tenders
    with a 204 (temporary name, then rename) and downloads the TMS's 997."""
    stack = SimulatorStack(X12, 60.0, drive=Idle())
    with running(stack):
        given = login(stack)
        known = tmp_path / "known_hosts"
        known.write_text(given["KNOWN_HOSTS"] + "\n")
        client = paramiko.SSHClient()
        client.load_host_keys(str(known))
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        how = ({"key_filename": given["KEY_PATH"]} if with_ == "key"
               else {"password": given["PASSWORD"]})
        client.connect(given["HOST"], int(given["PORT"]), given["USERNAME"], allow_agent=False,
                       look_for_keys=False, timeout=30, **how)
        try:
            with client.open_sftp() as sftp:
                assert sorted(sftp.listdir("/")) == ["inbound", "outbound"]
                with sftp.open("inbound/.000000001.x12.part", "w") as remote:
                    remote.write(_tender("SO-000001-1"))
                sftp.rename("inbound/.000000001.x12.part", "inbound/000000001.x12")
                deadline = time.monotonic() + 10
                while not sftp.listdir("outbound") and time.monotonic() < deadline:
                    time.sleep(0.05)
                answers = sftp.listdir("outbound")
                assert len(answers) == 1
                with sftp.open(f"outbound/{answers[0]}") as remote:
                    ack = remote.read()
        finally:
            client.close()
        assert b"ST*997*" in ack and b"AK5*A" in ack
        shipments = stack.call(lambda: [s.order_id for s in stack.world.tms.shipments.values()])
        assert shipments == ["SO-000001"]


def test_seatrial_sut_refuses_x12_settings_without_the_mailbox_login():
    stack = SimulatorStack(X12, 60.0, drive=Idle())
    with running(stack):
        settings = stack.settings
        assert parse_settings(settings)["mailboxes"]["tms"].port == int(
            settings[sftp_setting("tms", "PORT")])
        without = {k: v for k, v in settings.items() if "_SFTP_" not in k}
        with pytest.raises(SettingsError, match="SEATRIAL_TMS_SFTP_HOST"):
            parse_settings(without)
        with pytest.raises(SettingsError, match="SEATRIAL_TMS_SFTP_PORT='x': give"):
            parse_settings({**settings, sftp_setting("tms", "PORT"): "x"})


@pytest.mark.wall_clock
@pytest.mark.parametrize(("sut", "status"), [("reference", 0), ("naive", 1)])
def test_an_x12_run_live_over_sftp_holds_the_reference_and_catches_naive(tmp_path, sut, status):
    scenario = tmp_path / "x12-small.yaml"
    scenario.write_text(dump_scenario(SMALL))
    report = tmp_path / "run.json"
    done = run_cli(str(scenario), "--target-cmd", f"{SEATRIAL} sut {sut}", "--time-scale",
                   "2400", "--json", str(report), timeout=600)
    assert done.returncode == status, done.stdout[-3000:] + done.stderr[-3000:]
    run, = json.loads(report.read_text())["runs"]
    assert run["passed"] is (status == 0) and run["messages"] > 100, run


@pytest.mark.slow
@pytest.mark.wall_clock
def test_an_interrupted_x12_run_leaves_no_mailbox_behind(tmp_path):
    mark = f"x12-int-{os.getpid()}"
    command = sut_command(tmp_path, mark, f"exec {SEATRIAL} sut reference")
    run = subprocess.Popen([SEATRIAL, "run", "x12-happy-path", "--time-scale", "600",
                            "--target-cmd", command], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env=with_control())
    deadline = time.monotonic() + 30
    while not marked_processes(mark) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(3)  # mid-run: the SUT polling the mailbox
    seen = settings_seen(tmp_path / "env.txt")
    assert port_open(int(seen["SEATRIAL_TMS_SFTP_PORT"]))
    run.send_signal(signal.SIGINT)
    _out, err = run.communicate(timeout=30)
    assert run.returncode == 130, err
    assert_nothing_left(mark, tmp_path / "env.txt")
    assert not port_open(int(seen["SEATRIAL_TMS_SFTP_PORT"]))
    assert not Path(seen["SEATRIAL_TMS_SFTP_KEY_PATH"]).parent.parent.exists()
