"""The canonical consumer pacts: written from the reference implementation's real behaviour,
committed, and kept fresh."""

from __future__ import annotations

import pytest
from pact.error import MismatchesError

from seatrial.contracts import PACT_DIR
from seatrial.contracts.consumer import comparable, write_pacts
from seatrial.sync_implementations.faulty import ChargesWithoutKey


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
