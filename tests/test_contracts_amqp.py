"""The broker channel's message pacts (seatrial.contracts.amqp_pacts): current on disk, refused
by the consumer check when their metadata does not fit the envelope, and verified against the
simulators' publisher (the live gateway's messages), which fails and names the field when the
publisher changes one."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from pact.error import PactVerificationError
from suts import SEATRIAL

from seatrial.contracts import AMQP_PACT_DIR, amqp_pacts
from seatrial.contracts.consumer import comparable
from seatrial.live.settings import SYSTEMS

REGENERATE = "run `make pacts` to regenerate contracts/pacts/amqp/"


def test_the_committed_broker_pacts_are_current(tmp_path):
    amqp_pacts.write_amqp_pacts(tmp_path)
    assert comparable(tmp_path) == comparable(AMQP_PACT_DIR), REGENERATE
    for pact in comparable(tmp_path).values():
        assert pact["consumer"]["name"] == "seatrial-sync"
        assert {i["type"] for i in pact["interactions"]} == {"Asynchronous/Messages"}
        for interaction in pact["interactions"]:
            metadata = interaction["metadata"]
            source = interaction["contents"]["content"]["source"]
            assert metadata["exchange"] == f"seatrial.{source}"
            assert metadata["routingKey"] == interaction["contents"]["content"]["type"]


def a_message() -> tuple[bytes, dict[str, object]]:
    """The first canonical message as published, in the pacts' spelling."""
    [pact] = [json.loads(p.read_text()) for p in AMQP_PACT_DIR.glob("*-erp-amqp.json")]
    interaction = pact["interactions"][0]
    return (json.dumps(interaction["contents"]["content"]).encode(),
            dict(interaction["metadata"]))


def test_the_consumer_check_takes_a_message_that_fits_its_envelope():
    amqp_pacts.consumed(*a_message())


@pytest.mark.parametrize(("field", "value"), [
    ("exchange", "seatrial.tms"), ("routingKey", "order.cancelled"),
    ("cloudEvents:id", "evt_erp_9999999"), ("webhook-id", "evt_erp_9999999")])
def test_the_consumer_check_refuses_metadata_the_envelope_contradicts(field, value):
    body, metadata = a_message()
    with pytest.raises(amqp_pacts.PactError, match=re.escape(f"{field}: '{value}'")):
        amqp_pacts.consumed(body, {**metadata, field: value})


def test_writing_fails_when_a_declared_message_would_not_be_consumed(tmp_path, monkeypatch):
    declared = amqp_pacts.metadata
    monkeypatch.setattr(amqp_pacts, "metadata",
                        lambda message: {**declared(message), "exchange": "seatrial.elsewhere"})
    with pytest.raises(PactVerificationError) as failed:
        amqp_pacts.write_amqp_pacts(tmp_path)
    assert failed.value.errors
    for error in failed.value.errors:
        assert isinstance(error.error, amqp_pacts.PactError)
        assert "exchange: 'seatrial.elsewhere', the envelope says 'seatrial.erp'" in str(
            error.error)
    assert not list(tmp_path.glob("*.json"))  # nothing written


@pytest.mark.parametrize("system", SYSTEMS)
def test_each_simulator_publishes_the_broker_messages_its_pacts_expect(system):
    result = amqp_pacts.verify_amqp(system, AMQP_PACT_DIR)
    assert result.passed, result.output
    assert "includes metadata" in result.output and '"routingKey"' in result.output


def test_a_publisher_that_changes_the_routing_key_fails_and_the_report_names_it(monkeypatch):
    monkeypatch.setattr(amqp_pacts, "routing_key", lambda message: f"v2.{message.type}")
    result = amqp_pacts.verify_amqp("tms", AMQP_PACT_DIR)
    assert not result.passed
    assert "routingKey" in result.output and "v2.shipment.status" in result.output


def test_verify_simulators_verifies_the_broker_pacts():
    done = subprocess.run([SEATRIAL, "contracts", "verify-simulators", "--pacts",
                           str(AMQP_PACT_DIR)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    for system in SYSTEMS:
        assert f"passed  seatrial-{system}-amqp ({system}-amqp, 3 interaction(s))" in done.stdout
