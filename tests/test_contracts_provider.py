"""The simulators verified against the canonical pacts: HTTP and webhooks, provider states."""

from __future__ import annotations

from pathlib import Path

import pytest

from seatrial.contracts.provider_states import STATES
from seatrial.contracts.verify import verify_api, verify_webhooks
from seatrial.live.settings import SYSTEMS
from seatrial.model.envelope import Event
from seatrial.simulators.erp.core import Order

DOCS = Path(__file__).resolve().parents[1] / "docs" / "contracts.md"


@pytest.mark.parametrize("system", SYSTEMS)
def test_each_simulator_api_honours_its_pacts(system):
    result = verify_api(system)
    assert result.passed, result.output


@pytest.mark.parametrize("system", SYSTEMS)
def test_each_simulator_sends_the_webhooks_its_pacts_expect(system):
    result = verify_webhooks(system)
    assert result.passed, result.output


@pytest.mark.parametrize(("record", "field", "verify", "system"), [
    (Order, "ship_to", verify_api, "erp"),  # an API response
    (Event, "recorded_time", verify_webhooks, "tms"),  # a webhook envelope
])
def test_a_renamed_field_fails_verification_and_the_report_names_it(
        monkeypatch, record, field, verify, system):
    head, *rest = field.split("_")
    camel = head + "".join(part.title() for part in rest)  # as a careless refactor renames it
    to_json = record.to_json
    monkeypatch.setattr(record, "to_json", lambda self: {
        (camel if name == field else name): value for name, value in to_json(self).items()})
    result = verify(system)
    assert not result.passed
    assert field in result.output


def test_every_provider_state_is_documented():
    documented = DOCS.read_text()
    assert [name for name in STATES if f"`{name}`" not in documented] == []
