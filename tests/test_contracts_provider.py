"""The simulators verified against the canonical pacts: HTTP and webhooks, provider states."""

from __future__ import annotations

from pathlib import Path

import pytest

from seatrial.contracts.provider_states import STATES
from seatrial.contracts.verify import verify_api, verify_webhooks
from seatrial.live.settings import SYSTEMS
from seatrial.model.envelope import Event
from simulators.erp.core import Order

DOCS = Path(__file__).resolve().parents[1] / "docs" / "contracts.md"


@pytest.mark.parametrize("system", SYSTEMS)
def test_each_simulator_api_honours_its_pacts(system):
    result = verify_api(system)
    assert result.passed, result.output


@pytest.mark.parametrize("system", SYSTEMS)
def test_each_simulator_sends_the_webhooks_its_pacts_expect(system):
    result = verify_webhooks(system)
    assert result.passed, result.output


def test_a_renamed_response_field_fails_verification_and_the_report_names_it(monkeypatch):
    to_json = Order.to_json
    monkeypatch.setattr(Order, "to_json", lambda order: {
        ("shipTo" if name == "ship_to" else name): value
        for name, value in to_json(order).items()})
    result = verify_api("erp")
    assert not result.passed
    assert "ship_to" in result.output


def test_a_renamed_envelope_field_fails_message_verification_and_the_report_names_it(
        monkeypatch):
    to_json = Event.to_json
    monkeypatch.setattr(Event, "to_json", lambda event: {
        ("recordedTime" if name == "recorded_time" else name): value
        for name, value in to_json(event).items()})
    result = verify_webhooks("tms")
    assert not result.passed
    assert "recorded_time" in result.output


def test_every_provider_state_is_documented():
    documented = DOCS.read_text()
    assert [name for name in STATES if f"`{name}`" not in documented] == []
