"""The consumer pacts, canonical and in each vendor dialect: written from the reference
implementation's real behaviour, committed, and kept fresh."""

from __future__ import annotations

import pytest
from pact.error import MismatchesError

from seatrial.contracts import (
    CONSUMER,
    DIALECT_PACT_DIR,
    DIALECTS,
    PACT_DIR,
    api_provider,
    webhook_provider,
)
from seatrial.contracts.consumer import comparable, write_pacts
from seatrial.sync_implementations.connectors import lastmile_onfleet
from seatrial.sync_implementations.faulty import ChargesWithoutKey
from seatrial.sync_implementations.reference import ReferenceSync


def test_the_committed_pacts_are_what_the_reference_does(tmp_path):
    write_pacts(tmp_path)
    written = comparable(tmp_path)
    assert len(written) == 6  # three APIs and three webhook sources
    assert written == comparable(PACT_DIR), "contracts/pacts is stale: run `make pacts`"


def test_an_implementation_that_breaks_a_pact_fails_the_run_and_writes_nothing(tmp_path):
    with pytest.raises(MismatchesError) as caught:
        write_pacts(tmp_path, ChargesWithoutKey)  # posts freight charges without the key
    assert "idempotency-key" in str(caught.value).lower()
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(("system", "spoken"), DIALECTS.items())
def test_the_committed_dialect_pacts_are_what_the_reference_does(tmp_path, system, spoken):
    write_pacts(tmp_path, dialects={system: spoken})
    written = comparable(tmp_path)
    assert sorted(written) == [f"{CONSUMER}-{api_provider(system, spoken)}.json",
                               f"{CONSUMER}-{webhook_provider(system, spoken)}.json"]
    committed = comparable(DIALECT_PACT_DIR)
    assert written == {name: committed.get(name) for name in written}, (
        "contracts/pacts/dialects is stale: run `make pacts`")


def test_no_stray_dialect_pacts():
    expected = {f"{CONSUMER}-{provider(system, spoken)}.json" for system, spoken in
                DIALECTS.items() for provider in (api_provider, webhook_provider)}
    assert {path.name for path in DIALECT_PACT_DIR.glob("*.json")} == expected, (
        "run `make pacts`")


def test_an_implementation_that_breaks_a_dialect_pact_fails_the_run(tmp_path, monkeypatch):
    """Onfleet's pacts hold the reference to its calls too: a connector that names a field
    otherwise (postcode, Seatrial's word, where Onfleet says postalCode) fails the play."""
    address = lastmile_onfleet._address
    monkeypatch.setattr(lastmile_onfleet, "_address", lambda sent: {"address": {
        ("postcode" if key == "postalCode" else key): value
        for key, value in address(sent)["address"].items()}})
    with pytest.raises(MismatchesError) as caught:
        write_pacts(tmp_path, ReferenceSync, dialects={"lastmile": "onfleet"})
    assert "postalCode" in str(caught.value)
    assert not list(tmp_path.iterdir())


def test_a_dialect_without_expectations_is_refused_naming_those_there_are(tmp_path):
    with pytest.raises(ValueError, match="no expectations for tms=nope; there are"):
        write_pacts(tmp_path, dialects={"tms": "nope"})
