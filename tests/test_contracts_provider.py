"""The simulators verified against the pacts, canonical and in each vendor dialect: HTTP and
webhooks, provider states."""

from __future__ import annotations

from pathlib import Path

import pytest

from seatrial.contracts import DIALECT_PACT_DIR, DIALECTS
from seatrial.contracts.provider_states import STATES
from seatrial.contracts.verify import verify_api, verify_webhooks
from seatrial.live.settings import SYSTEMS
from seatrial.model.envelope import Event
from seatrial.simulators.erp.dialects import canonical as erp_canonical
from seatrial.simulators.erp.dialects.sap_s4 import resources as sap_resources
from seatrial.simulators.lastmile.dialects.onfleet import tasks as onfleet_tasks
from seatrial.simulators.lastmile.dialects.onfleet import webhooks as onfleet_webhooks

DOCS = Path(__file__).resolve().parents[1] / "docs" / "contracts.md"


@pytest.mark.parametrize("system", SYSTEMS)
def test_each_simulator_api_honours_its_pacts(system):
    result = verify_api(system)
    assert result.passed, result.output


@pytest.mark.parametrize("system", SYSTEMS)
def test_each_simulator_sends_the_webhooks_its_pacts_expect(system):
    result = verify_webhooks(system)
    assert result.passed, result.output


@pytest.mark.parametrize(("renderer", "field", "verify", "system"), [
    ((erp_canonical, "order_json"), "ship_to", verify_api, "erp"),  # an API response
    ((Event, "to_json"), "recorded_time", verify_webhooks, "tms"),  # a webhook envelope
])
def test_a_renamed_field_fails_verification_and_the_report_names_it(
        monkeypatch, renderer, field, verify, system):
    head, *rest = field.split("_")
    camel = head + "".join(part.title() for part in rest)  # as a careless refactor renames it
    owner, name = renderer
    render = getattr(owner, name)
    monkeypatch.setattr(owner, name, lambda record: {
        (camel if key == field else key): value for key, value in render(record).items()})
    result = verify(system)
    assert not result.passed
    assert field in result.output


def test_every_provider_state_is_documented():
    documented = DOCS.read_text()
    assert [name for name in STATES if f"`{name}`" not in documented] == []


@pytest.mark.parametrize(("system", "spoken"), DIALECTS.items())
def test_each_dialect_simulator_honours_its_pacts(system, spoken):
    for verify in (verify_api, verify_webhooks):
        result = verify(system, DIALECT_PACT_DIR, dialect=spoken)
        assert result.passed, result.output


@pytest.mark.parametrize(("renderer", "field", "verify", "system", "spoken"), [
    ((onfleet_tasks, "task_json"), "shortId", verify_api, "lastmile", "onfleet"),
    ((onfleet_webhooks, "_completion"), "signatureUploadId", verify_webhooks, "lastmile",
     "onfleet"),  # a delivery
    ((sap_resources, "_address"), "PostalCode", verify_api, "erp", "sap-s4"),  # a partner
])
def test_a_dialect_simulator_that_renames_a_field_fails_verification(
        monkeypatch, renderer, field, verify, system, spoken):
    """As a careless refactor of a dialect would: the verification fails, and its report
    names the field."""
    owner, name = renderer
    render = getattr(owner, name)
    monkeypatch.setattr(owner, name, lambda *record: {
        (field.upper() if key == field else key): value
        for key, value in render(*record).items()})
    result = verify(system, DIALECT_PACT_DIR, dialect=spoken)
    assert not result.passed
    assert field in result.output
