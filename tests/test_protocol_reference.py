"""The protocol guide a non-Python implementer works from (issue 24): its tables are generated
from the simulators and the vocabulary, and the mapping it teaches is the reference's."""

from __future__ import annotations

from pathlib import Path

import pytest

from seatrial.catalogue import catalogue, gate_suite
from seatrial.doc_blocks import keys
from seatrial.faults.layer import BASELINE_API_LATENCY
from seatrial.model.vocabulary import LASTMILE_TO_ERP, TMS_STATUS_CODES, TMS_TO_ERP
from seatrial.protocol_reference import (
    WRITE,
    late_commits,
    refresh,
    render,
    status_mapping,
    wanted,
)
from seatrial.sync_implementations import reference
from seatrial.world.dispatcher import REDELIVERY_DELAYS

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "protocol-guide.md"


def test_the_guide_holds_every_generated_part_once():
    assert sorted(keys(GUIDE.read_text(encoding="utf-8"))) == sorted(wanted())


def test_the_guide_says_what_the_code_says():
    page = GUIDE.read_text(encoding="utf-8")
    assert refresh(page) == page, f"docs/protocol-guide.md is stale: run `make docs` ({WRITE})"


@pytest.mark.parametrize(("name", "parts"), [
    ("scenarios.md", ["invariant-names", "pace-ceilings", "catalogue-count"]),
    ("live-protocol.md", ["pace-ceilings"])])
def test_the_pages_beside_it_say_what_the_code_says(name, parts):
    # the pace ceilings (why a scenario sets a slower pace: its file), the invariants a
    # scenario may name (the judge's and the dialects'), how many scenarios ship
    page = (GUIDE.parent / name).read_text(encoding="utf-8")
    assert keys(page) == parts
    assert refresh(page) == page, f"docs/{name} is stale: run `make docs`"


def test_the_names_and_counts_it_generates_are_the_codes():
    names = render("invariant-names")
    assert "`stages-converge`" in names and "`x12-acknowledged` (where the tms speaks x12)" in names
    count = render("catalogue-count")
    assert count.startswith(f"{len(catalogue())} scenarios, {len(gate_suite())} of them")
    assert "`x12-rejected-tenders`" in count and "`happy-path`" not in count


def test_a_late_commit_is_bounded_by_its_latency_faults_cap():
    # a call the SUT stopped waiting for commits by the cap, plus the API's own latency at most
    slowed = next(fault for fault in catalogue()["carrier-api-slowdown"].faults
                  if fault.kind == "latency" and fault.channel == "tms.api")
    row = next(line for line in late_commits().splitlines()
               if line.startswith("| `carrier-api-slowdown` | tms |"))
    assert f"{slowed.cap + BASELINE_API_LATENCY[1]:g} simulated s" in row


def test_the_mapping_it_teaches_is_the_one_the_reference_maps_with():
    # the reference spells its own mapping, as a user's implementation would (it imports only
    # the SDK's public names); the guide's table comes from the vocabulary: they must agree
    assert reference.FROM_TMS == TMS_TO_ERP
    assert reference.FROM_LASTMILE == LASTMILE_TO_ERP
    table = status_mapping()
    for code in TMS_STATUS_CODES:
        row = next(line for line in table.splitlines() if f"| `{code}` |" in line)
        assert (f"`{TMS_TO_ERP[code]}`" in row) if code in TMS_TO_ERP else "no change" in row


def test_every_api_endpoint_is_in_the_guide():
    page = GUIDE.read_text(encoding="utf-8")
    for path in ("`POST /shipments`", "`POST /tasks/{task_id}/destination`",
                 "`POST /orders/{order_id}/invoice`", "`GET /orders/{order_id}`"):
        assert path in page


def test_the_redelivery_schedule_it_states_is_the_channels():
    minutes = [delay / 60 for delay in REDELIVERY_DELAYS]
    assert minutes == [5, 30, 120, 1440]
    assert "5 min, 30 min, 2 h, then 1 day (simulated)" in GUIDE.read_text(encoding="utf-8")


def test_an_unknown_generated_part_is_named():
    with pytest.raises(ValueError, match="'api warehouse'"):
        render("api warehouse")
