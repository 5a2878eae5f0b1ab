"""The webhook senders' pacts with the sync implementation: written from the simulators' real
deliveries and kept fresh; `seatrial contracts verify-sut` passes the reference and catches an
implementation that answers differently or skips signature checks."""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
import yaml
from suts import CONTROL, SEATRIAL, serving, started, with_control

from seatrial.cli import main
from seatrial.contracts import SUT_PACT_DIR
from seatrial.contracts.consumer import comparable
from seatrial.contracts.webhook_pacts import write_webhook_pacts
from seatrial.live.sut import sut_app
from seatrial.sync_implementations.reference import ReferenceSync

CI_EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ci" / "github-actions.yml"


def verify_sut(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([SEATRIAL, "contracts", "verify-sut", *args], capture_output=True,
                          text=True, timeout=120, env=with_control())


def test_the_committed_webhook_pacts_are_what_the_simulators_send(tmp_path):
    write_webhook_pacts(tmp_path)
    written = comparable(tmp_path)
    assert sorted(written) == [f"seatrial-{s}-webhooks-seatrial-sync-webhooks.json"
                               for s in ("erp", "lastmile", "tms")]
    assert written == comparable(SUT_PACT_DIR), "contracts/pacts/sut is stale: run `make pacts`"
    for pact in written.values():  # each source: genuine deliveries acked, one forgery refused
        answers = [i["response"]["matchingRules"]["status"][""]["matchers"][0]["status"]
                   for i in pact["interactions"]]
        assert answers.count([401, 403]) == 1 and answers.count("success") >= 3
        unsigned = [i for i in pact["interactions"]
                    if "webhook-signature" not in i["request"]["headers"]]
        assert all(i["response"]["status"] == 401 for i in unsigned)


@pytest.fixture
def reference() -> Iterator[str]:
    yield from started("reference")


def test_the_reference_honours_its_webhook_senders_pacts(reference):
    done = verify_sut("--target", reference)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "honours every webhook sender's pact" in done.stdout
    assert done.stdout.count("has status code 204 (OK)") >= 9
    assert done.stdout.count("has status code 401 (OK)") == 3


def test_an_implementation_that_accepts_forged_deliveries_is_caught():
    done = verify_sut("--target-cmd", f"{SEATRIAL} sut faulty-unsigned-accepted")
    assert done.returncode == 1, done.stdout + done.stderr
    failures = done.stdout.split("Failures:")[1]
    for forged in ("missing signature", "bad signature", "stale timestamp"):
        assert forged in failures
    assert failures.count("Expected status code 204 to be a 401, 403") == 3
    assert "breaks its webhook senders' pacts" in done.stdout


def answering(status: int, instead: int) -> Callable:
    """The reference's ASGI app, answering `instead` where it would answer `status`."""
    app = sut_app(ReferenceSync, {}, secret=CONTROL)

    async def changed(scope, receive, send):
        async def sending(message):
            if message["type"] == "http.response.start" and message["status"] == status:
                message = {**message, "status": instead}
            await send(message)

        await app(scope, receive, sending)

    return changed


def test_an_implementation_that_changes_its_webhook_answer_is_caught():
    """It answers a forged delivery 400 (a bad request), not 401: its sources would take it
    for a failure and redeliver."""
    with serving(answering(401, 400)) as url:
        done = verify_sut("--target", url)
    assert done.returncode == 1, done.stdout + done.stderr
    failures = done.stdout.split("Failures:")[1]
    assert failures.count("Expected status code 400 to be a 401, 403") == 3
    assert "a forged order.cancelled (missing signature)" in failures
    assert "Traceback" not in done.stderr


def test_any_2xx_acknowledges_as_the_live_protocol_says():
    with serving(answering(204, 200)) as url:
        done = verify_sut("--target", url)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(("args", "says"), [
    (["--target", "reference"], "http://HOST:PORT"),
    (["--target", "http://127.0.0.1:9"], "cannot reach it"),
    (["--target", "http://127.0.0.1:9", "--pacts", "/nonexistent"], "no pact files"),
    (["--target-cmd", "exit 3", "--health-timeout", "2"], "exited with code 3"),
])
def test_bad_input_exits_2_with_a_message(args, says):
    done = verify_sut(*args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert says in done.stderr
    assert "Traceback" not in done.stderr


def test_the_canonical_pacts_record_the_real_delivery_headers():
    pact = json.loads((SUT_PACT_DIR / "seatrial-erp-webhooks-seatrial-sync-webhooks.json")
                      .read_text())
    released = next(i for i in pact["interactions"] if i["description"] == "an order released")
    assert {"webhook-id", "webhook-timestamp", "webhook-signature"} <= set(
        released["request"]["headers"])
    assert released["providerStates"][-1] == {
        "name": "the delivery's signature", "params": {"source": "erp", "signature": "valid"}}


def test_the_ci_example_runs_only_real_commands_and_options():
    steps = yaml.safe_load(CI_EXAMPLE.read_text())["jobs"]["gate"]["steps"]
    used = []
    for step in steps:
        for command in step.get("run", "").split("&&"):
            words = shlex.split(command)
            if words[:1] != ["seatrial"]:
                continue
            found, rest = main, words[1:]
            while isinstance(found, click.Group):
                found, rest = found.commands[rest[0]], rest[1:]
            options = {word.split("=")[0] for word in rest if word.startswith("--")}
            assert options <= {name for param in found.params for name in param.opts}
            used.append(found.name)
    assert used == ["verify-simulators", "verify-sut", "run", "load"]
