"""The TMS's x12 dialect in process: the TMS as an EDI trading partner over its mailbox.

The partner on its own (a 204 creates one shipment per B204, a cancellation cancels, a
malformed 204 is rejected in a 997 naming the segment and element, a retransmitted interchange
is dropped, files are written atomically), and the gate suite with `dialects: {tms: x12}`:
the reference, speaking EDI through its `tms_x12` connector, holds; naive is caught. Live,
over the SFTP mailbox: tests/test_x12_live.py."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from random import Random

import pytest
from test_x12_golden import pyx12_read

from seatrial.catalogue import gate_suite
from seatrial.cli_input import spoken
from seatrial.faults.layer import FaultLayer
from seatrial.faults.reach import unreached
from seatrial.run import judge, play, run_scenario
from seatrial.scenario_yaml import load_scenario, load_scenario_file
from seatrial.sdk import Credential, Mailbox, Response
from seatrial.simulators.api import Router
from seatrial.simulators.dialect import dialect
from seatrial.simulators.events import EventSource
from seatrial.simulators.tms.core import TmsCore
from seatrial.simulators.tms.dialects.x12.partner import SHIPPER, TMS
from seatrial.targets import resolve
from seatrial.x12.acknowledgment import Acceptance, FunctionalAcknowledgment
from seatrial.x12.common import DateTime, Entity, Reference
from seatrial.x12.control import ControlNumbers
from seatrial.x12.documents import compose, read_document
from seatrial.x12.envelope import parse_interchange, render_interchange
from seatrial.x12.golden import PREPARED
from seatrial.x12.load_tender import LoadTender, Purpose, Stop, responding_by
from seatrial.x12.tender_response import TenderResponse

SEEDS = (1, 2, 3, 4, 5)
#: every tender's 990s held half an hour past its respond-by, in a short release wave
LATE_990 = """
name: late-990
seed: 2
duration: 30m
dialects: {tms: x12}
workload: {orders_per_hour: 60}
faults:
  - {kind: late_990, late_by: 30m}
expect: {converge_within: 14h}
"""
#: quick ones for the default run; the whole gate on five seeds is `slow`
QUICK = ("happy-path", "cancellation-races", "carrier-local-time", "tms-outage")


def gate(name: str):
    return next(s for s in gate_suite() if s.name == name)


def in_x12(name: str, seed: int):
    scenario, = spoken([s for s in gate_suite() if s.name == name], ("tms=x12",))
    assert scenario.dialects.tms == "x12"
    return scenario.with_seed(seed)


def _router() -> tuple[Router, list]:
    published: list = []
    now = [0.0]
    core = TmsCore(lambda: now[0], EventSource("tms", lambda: now[0], published.append))
    return dialect("tms", "x12").router(core), published


def _tender(tender_id: str, purpose: Purpose = Purpose.ORIGINAL, number: int = 1,
            unloading: bool = True, dates: tuple[DateTime, ...] = ()) -> bytes:
    place = Entity("ST", "SHIP TO", street=("5 Market St", "Dock 2"), city="Leeds",
                   postal_code="LS1 4AP", country="GB")
    stops = (Stop(1, "LD"), *((Stop(2, "UL", place=place),) if unloading else ()))
    tender = LoadTender("", tender_id, "PP", purpose, stops,
                        (Reference("SO-000001", "PO"), Reference("corr-SO-000001", "CR")),
                        dates)
    return render_interchange(compose([tender], sender=SHIPPER, receiver=TMS,
                                      prepared=PREPARED, numbers=ControlNumbers(number)))


def _put(router: Router, name: str, content: bytes):
    return router.dispatch("PUT", f"/mailbox/inbound/{name}",
                           headers={"content-type": "application/edi-x12"}, content=content)


def _documents(content: bytes) -> list:
    interchange = parse_interchange(content)
    return [read_document(t) for g in interchange.groups for t in g.transactions]


def _outbound(router: Router) -> list:
    """The documents in outbound/, in file order."""
    files = router.dispatch("GET", "/mailbox/outbound").body["files"]
    found = []
    for name in files:
        found += _documents(router.dispatch("GET", f"/mailbox/outbound/{name}").body)
    return found


def test_a_204_creates_one_shipment_per_tender_and_is_acknowledged():
    router, _ = _router()
    first = _put(router, "a.x12", _tender("shipment-SO-000001", number=1))
    again = _put(router, "b.x12", _tender("shipment-SO-000001", number=2))  # sent again
    assert first.status == 201 and [r.status for r in first.inner] == [201]
    assert [r.status for r in again.inner] == [200]
    tms = router.core.tms
    assert list(tms.by_order) == ["SO-000001"] and len(tms.shipments) == 1
    shipment, = tms.shipments.values()
    assert shipment.idempotency_key == "shipment-SO-000001"
    assert shipment.correlation_id == "corr-SO-000001"
    assert shipment.ship_to["street"] == "5 Market St\nDock 2"
    acks = _outbound(router)
    assert [type(a) for a in acks] == [FunctionalAcknowledgment] * 2
    assert all(a.acceptance is Acceptance.ACCEPTED for a in acks)
    assert router.dispatch("GET", "/mailbox/inbound").body == {"files": []}  # taken


def test_a_tender_asks_its_990_by_a_time_the_partner_reads_in_utc():
    router, _ = _router()
    asked = datetime(2026, 1, 5, 9, 30, 45, tzinfo=timezone(timedelta(hours=1)))
    tender = _tender("shipment-SO-000001", dates=(responding_by(asked),))
    assert b"G62*64*20260105*1*0830*UT~" in tender  # 08:30 UTC, to the minute
    _put(router, "a.x12", tender)
    assert router.core.respond_by == {"shipment-SO-000001": 2.5 * 3600}  # EPOCH is 06:00 UTC
    _put(router, "b.x12", _tender("shipment-SO-000002", number=2))
    assert "shipment-SO-000002" not in router.core.respond_by  # it asked no time


def test_a_late_990_lands_past_its_tenders_respond_by_and_the_reference_takes_it():
    scenario = load_scenario(LATE_990, "late-990.yaml")
    world, _end = play(scenario, resolve("reference"))
    respond_by = world.served("tms").respond_by
    read = [(entry.time, document.shipment_id) for entry in world.ledger.entries
            if entry.kind == "response" and entry.system == "tms"
            and str(entry.data.get("content", "")).startswith("ISA")
            for document in _documents(entry.data["content"].encode())
            if isinstance(document, TenderResponse)]
    assert read and all(when >= respond_by[tender] + 30 * 60 for when, tender in read)
    assert unreached(scenario, world.ledger.entries, world.horizon) == []
    held = run_scenario(scenario, resolve("reference"))
    assert held.passed, [v["message"] for v in held.violations[:5]]


@pytest.mark.parametrize("first", ["late_990", "batched_interchange"])
def test_file_faults_take_a_file_in_turn_and_one_taken_is_not_there_for_the_next(first):
    # both take a file from outbound/ as it is written: the one listed second once found it
    # gone and stopped the run (NotFound)
    faults = {"late_990": "  - {kind: late_990, late_by: 30m}",
              "batched_interchange": "  - {kind: batched_interchange, probability: 0.5}"}
    listed = [faults.pop(first), *faults.values()]
    text = LATE_990.replace("  - {kind: late_990, late_by: 30m}", "\n".join(listed))
    held = run_scenario(load_scenario(text, "late-and-batched.yaml"), resolve("reference"))
    assert held.passed, [v["message"] for v in held.violations[:5]]


def test_a_990_on_time_is_no_trace_of_the_late_990_fault():
    scenario = load_scenario(LATE_990.replace("late_by: 30m", "late_by: 30m, probability: 0"),
                             "late-990.yaml")
    world, _end = play(scenario, resolve("reference"))
    assert unreached(scenario, world.ledger.entries, world.horizon) == list(scenario.faults)


def test_the_tms_events_in_schema_2_make_the_same_files():
    # found by seatrial explore: a 990's XB in schema 2.0 went out as a 214 (the tender never
    # answered: converge), a freight statement's as an unreadable 214 (charges-reconcile)
    text = LATE_990.replace("{kind: late_990, late_by: 30m}",
                            "{kind: schema_drift, channel: tms.webhooks, mode: v2}")
    held = run_scenario(load_scenario(text, "x12-in-v2.yaml"), resolve("reference"))
    assert held.passed, [v["message"] for v in held.violations[:5]]


def test_a_retransmitted_interchange_is_dropped():
    router, _ = _router()
    content = _tender("shipment-SO-000001")
    _put(router, "a.x12", content)
    _put(router, "a-again.x12", content)  # same ISA13
    assert len(router.core.tms.shipments) == 1
    assert len(_outbound(router)) == 1  # acknowledged once


def test_a_cancellation_204_cancels_the_tendered_shipment():
    router, published = _router()
    _put(router, "a.x12", _tender("shipment-SO-000001", number=1))
    answer = _put(router, "b.x12", _tender("shipment-SO-000001", Purpose.CANCELLATION, 2))
    assert [r.status for r in answer.inner] == [200]
    shipment, = router.core.tms.shipments.values()
    assert shipment.state == "cancelled"
    assert [e.payload["status_code"] for e in published] == ["CA"]


def test_a_malformed_204_gets_a_997_rejection_naming_segment_and_element_not_a_crash():
    router, _ = _router()
    bad = _tender("shipment-SO-000001").replace(b"B2A*00~", b"B2A*07~")
    answer = _put(router, "bad.x12", bad)
    assert answer.status == 201 and answer.inner == ()
    assert router.core.tms.shipments == {}
    ack, = _outbound(router)
    result, = ack.sets
    assert result.acceptance is Acceptance.REJECTED
    note, = result.segments
    assert (note.segment_id, note.position) == ("B2A", 3)
    element, = note.elements
    assert element.position == 1 and element.value == "07"


def test_a_tender_without_a_ship_to_is_rejected_naming_the_missing_stop():
    router, _ = _router()
    answer = _put(router, "a.x12", _tender("shipment-SO-000001", unloading=False))
    assert answer.status == 201 and answer.inner == ()
    assert router.core.tms.shipments == {}
    ack, = _outbound(router)
    result, = ack.sets
    assert result.acceptance is Acceptance.REJECTED
    assert [(n.segment_id, n.code) for n in result.segments] == [("S5", "3")]


def test_the_tms_writes_its_files_atomically_and_the_sut_writes_only_inbound():
    router, _ = _router()
    _put(router, "a.x12", _tender("shipment-SO-000001"))
    files = router.dispatch("GET", "/mailbox/outbound").body["files"]
    assert files and not any(name.startswith(".") for name in files)
    refused = router.dispatch("PUT", "/mailbox/outbound/x.x12", content=b"ISA")
    assert refused.status == 422


def test_the_scenario_file_speaks_x12_and_reference_holds_it_naive_is_caught():
    scenario = load_scenario_file("scenarios/x12-happy-path.yaml")
    assert scenario.dialects.tms == "x12"
    held = run_scenario(scenario, resolve("reference"))
    assert held.passed, [v["message"] for v in held.violations[:5]]
    assert run_scenario(scenario, resolve("reference")).ledger_hash == held.ledger_hash
    assert run_scenario(scenario, resolve("naive")).violations


def test_every_file_of_a_run_parses_in_pyx12_and_here():
    """What both partners wrote in a run of x12-happy-path, read by an independent X12 reader
    (pyx12's, envelope syntax) and by seatrial.x12, every set to its typed document."""
    scenario = load_scenario_file("scenarios/x12-happy-path.yaml")
    world, _ = play(scenario, resolve("reference"))
    files = {entry.data["content"] for entry in world.ledger.entries
             if entry.system == "tms" and isinstance(entry.data.get("content"), str)
             and entry.data["content"].startswith("ISA")}
    sets = {parse_interchange(f.encode()).groups[0].transactions[0].set_id for f in files}
    assert sets == {"204", "990", "214", "210", "997"}
    for content in files:
        _, errors = pyx12_read(content.encode())
        assert errors == [], content
        interchange = parse_interchange(content.encode())
        for group in interchange.groups:
            for transaction in group.transactions:
                read_document(transaction)


def test_the_sdk_mailbox_client_yields_plain_calls():
    mailbox = Mailbox("tms")
    put = mailbox.put("inbound", "000000001.x12", b"ISA*...")
    assert (put.system, put.method, put.path, put.content) == (
        "tms", "PUT", "/mailbox/inbound/000000001.x12", b"ISA*...")
    assert ("content-type", "application/edi-x12") in put.headers
    assert mailbox.list("outbound").path == "/mailbox/outbound"
    assert mailbox.rename("outbound", "a.x12", "b.x12").json == {"to": "b.x12"}
    assert mailbox.delete("outbound", "a.x12").method == "DELETE"
    assert Mailbox.names(Response(200, {"files": ["a.x12", 3]})) == ["a.x12"]


def test_a_rate_limit_acts_on_the_tms_api_over_http_only_never_on_its_mailbox():
    """rate-limit-squeeze in x12: the TMS's bucket has nothing to answer 429 over SFTP (it
    charged each file operation a token, and the reference missed stages-converge on seeds 2
    and 4); the ERP's bucket, over HTTP, acts as ever."""
    tms_limit, erp_limit = in_x12("rate-limit-squeeze", 2).faults
    layer = FaultLayer(in_x12("rate-limit-squeeze", 2), 3600.0, lambda name: Random(name))
    assert list(layer.inert) == [tms_limit]
    assert "over sftp" in layer.inert[tms_limit] and "tms speaking x12" in layer.inert[tms_limit]
    assert not any(layer.plan_call("tms", 0.0).retry_after for _ in range(50))
    assert any(layer.plan_call("erp", 0.0).retry_after for _ in range(50))
    canonical = FaultLayer(gate("rate-limit-squeeze"), 3600.0, lambda name: Random(name))
    assert canonical.inert == {} and any(canonical.plan_call("tms", 0.0).retry_after
                                         for _ in range(50))
    assert (tms_limit.system, erp_limit.system) == ("tms", "erp")


@pytest.mark.parametrize("name", QUICK)
def test_reference_holds_quick_gate_scenarios_in_x12(name):
    result = run_scenario(in_x12(name, 1), resolve("reference"))
    assert result.passed, [v["message"] for v in result.violations[:5]]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "seed"), [(s.name, seed) for s in gate_suite()
                                             for seed in SEEDS])
def test_reference_holds_every_gate_scenario_in_x12(name, seed):
    result = run_scenario(in_x12(name, seed), resolve("reference"))
    assert result.passed, [v["message"] for v in result.violations[:5]]


@pytest.mark.slow
@pytest.mark.parametrize("name", [s.name for s in gate_suite()])
def test_naive_is_caught_on_every_gate_scenario_in_x12(name):
    assert run_scenario(in_x12(name, 1), resolve("naive")).violations


def test_the_sdk_mailbox_calls_carry_the_login_given_or_the_one_read_then():
    read = [Credential("seatrial", "pw", "key 1")]
    mailbox = Mailbox("tms", lambda: read[-1])
    assert mailbox.login() == read[-1]
    assert mailbox.list("outbound").login == Credential("seatrial", "pw", "key 1")
    held = mailbox.login()
    read.append(Credential("seatrial", "pw", "key 2"))
    assert mailbox.get("outbound", "a.x12", login=held).login == held  # the one it holds
    assert mailbox.delete("outbound", "a.x12").login.key == "key 2"  # read as it is built
    assert Mailbox("tms").put("inbound", "a.x12", b"ISA").login is None  # no mailbox


def test_the_in_process_mailbox_refuses_a_stale_login_403_and_does_nothing():
    router, _ = _router()
    login = router.core.mailbox.login
    old = login.given()
    assert router.dispatch("GET", "/mailbox/outbound", login=old).status == 200
    login.rotate()
    new = login.given()
    assert new[1] == old[1] and new[2] != old[2]  # no new password is given, a new key is
    refused = router.dispatch("PUT", "/mailbox/inbound/a.x12", content=_tender("SO-1"),
                              headers={"content-type": "application/edi-x12"}, login=old)
    assert refused.status == 403 and "login refused" in refused.body["detail"]
    assert router.core.tms.shipments == {} and router.core.mailbox.listing("inbound") == []
    # the old password alone is refused too; the key given now gets in
    assert router.dispatch("GET", "/mailbox/outbound", login=(old[0], old[1], "")).status == 403
    taken = router.dispatch("PUT", "/mailbox/inbound/a.x12", content=_tender("SO-1"),
                            headers={"content-type": "application/edi-x12"}, login=new)
    assert taken.status == 201 and len(router.core.tms.shipments) == 1


def test_the_reference_reads_its_key_again_after_a_rotation_and_keeps_its_key_is_caught():
    scenario = load_scenario_file("scenarios/x12-credentials-rotated.yaml")
    world, end = play(scenario, resolve("reference"))
    refused = [e.time for e in world.ledger.entries
               if e.kind == "response" and e.system == "tms" and e.data.get("status") == 403]
    assert refused and min(refused) >= scenario.faults[0].at
    assert unreached(scenario, world.ledger.entries, world.horizon) == []
    assert judge(world, end, "reference", 0.0).passed
    caught = run_scenario(scenario, resolve("faulty-x12-keeps-its-key"))
    assert "converge" in caught.violated()
    assert run_scenario(load_scenario_file("scenarios/x12-happy-path.yaml"),
                        resolve("faulty-x12-keeps-its-key")).passed


def test_a_login_that_is_no_credential_is_refused_where_the_call_is_built():
    with pytest.raises(TypeError, match="login='key': give the Credential"):
        Mailbox("tms").list("outbound", login="key")
    router, _ = _router()
    assert router.dispatch("GET", "/mailbox/outbound", login="key").status == 403
