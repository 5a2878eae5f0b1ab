"""A call in a dialect is judged as its canonical operation, however the SUT sends it: the
ledger records the order a request concerns from its path, body or query, each part of a
`$batch` as its own call (its operation, order and answer), and the API's own description
($metadata, a service document) with no operation. The faulty implementations here invoice a
cancelled order through SAP's `$batch` and through `CreateBillingDocument` (which names its
order in the query): cancel-compensates must catch both, and must not flag a correct SUT
that writes its status back through `$batch`."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from seatrial.judge.invariants import cancel_compensates
from seatrial.run import observe
from seatrial.scenario import Scenario
from seatrial.sdk import Cookies, SyncImplementation
from seatrial.world import World

SO = "/sap/opu/odata/sap/API_SALES_ORDER_SRV"
LATER = 600.0  # how long after a cancellation the faulty SUTs invoice (after their ack)


def scenario(**dialects: str) -> Scenario:
    return Scenario.model_validate({
        "name": "dialect-ledger", "seed": 3, "duration": "3h",
        "workload": {"orders_per_hour": 20, "cancel_rate": 0.5},
        "dialects": dialects or {"erp": "sap-s4"},
        "expect": {"invariants": ["cancel-compensates"]}})


def sap_session(io):
    """A handler's CSRF dance: the header fields every write then sends (token and cookie)."""
    fetched = yield io.erp.request("GET", SO, headers={"X-CSRF-Token": "Fetch"})
    return {"x-csrf-token": fetched.headers["x-csrf-token"], **Cookies().take(fetched).headers()}


def batch(*requests: str) -> tuple[bytes, dict[str, str]]:
    """A `$batch` of one changeset holding `requests` (each an application/http part): its
    body and content-type."""
    inner = "".join(f"--cs\r\nContent-Type: application/http\r\n\r\n{r}\r\n" for r in requests)
    body = (f"--b\r\nContent-Type: multipart/mixed; boundary=cs\r\n\r\n{inner}--cs--\r\n"
            "--b--\r\n")
    return body.encode(), {"content-type": "multipart/mixed; boundary=b"}


def billing(order_id: str) -> str:
    return f"CreateBillingDocument?SalesOrder='{order_id}'"


class Invoicer(SyncImplementation):
    """Faulty: some minutes after it has acknowledged a cancellation, it invoices the order
    (a billing run that never heard of it), in the way `send` says."""

    send: Callable

    def on_event(self, event, io):
        if event.type != "order.changed":  # SAP's thin Changed: read it to learn what changed
            return
        read = yield io.erp.request("GET", f"{SO}/A_SalesOrder('{event.order_id}')")
        if read.body["d"]["OverallSDDocumentRejectionSts"] == "C":  # rejected: cancelled
            io.spawn(self.invoice(event.order_id, io))

    def invoice(self, order_id, io):
        yield io.sleep(LATER)
        headers = yield from sap_session(io)
        yield from self.send(order_id, headers, io)


class BatchInvoicer(Invoicer):
    name = "batch-invoicer"

    @staticmethod
    def send(order_id, headers, io):
        content, kind = batch(f"POST {billing(order_id)} HTTP/1.1\r\n\r\n")
        yield io.erp.request("POST", f"{SO}/$batch", content=content,
                             headers={**headers, **kind})


class DirectInvoicer(Invoicer):
    name = "direct-invoicer"

    @staticmethod
    def send(order_id, headers, io):
        yield io.erp.request("POST", f"{SO}/CreateBillingDocument", headers=headers,
                             params={"SalesOrder": f"'{order_id}'"})


class BatchStatusWriter(SyncImplementation):
    """Correct for this check: it reads the metadata, writes each released order's status
    back through `$batch` and invoices nothing."""

    name = "batch-status-writer"

    def on_event(self, event, io):
        if event.type != "order.released":
            return
        headers = yield from sap_session(io)
        yield io.erp.request("GET", f"{SO}/$metadata")
        content, kind = batch(f"PATCH A_SalesOrder('{event.order_id}') HTTP/1.1\r\n"
                              "Content-Type: application/json\r\nIf-Match: *\r\n\r\n"
                              '{"YY1_LogisticsStatus_SDH": "REL"}')
        yield io.erp.request("POST", f"{SO}/$batch", content=content,
                             headers={**headers, **kind})


def played(sut: type[SyncImplementation], **dialects: str):
    world = World(scenario(**dialects), sut)
    return world, observe(world, world.run())


@pytest.mark.parametrize("sut", [BatchInvoicer, DirectInvoicer])
def test_invoicing_a_cancelled_order_in_sap_is_caught_however_it_is_sent(sut):
    world, obs = played(sut)
    invoiced = [e for e in world.ledger.entries if e.kind == "request"
                and e.data["operation"] == "erp.release_invoice"]
    assert invoiced and all(e.data["subject"] == {"order_id": e.data["query"]["SalesOrder"]
                                                  .strip("'")} for e in invoiced)
    caught = list(cancel_compensates.check(obs))
    assert caught, "an invoice for a cancelled order passed"
    assert {v.keys["order_id"] for v in caught} == {e.data["subject"]["order_id"]
                                                    for e in invoiced}
    assert all("after the SUT had acknowledged the cancellation" in v.message for v in caught)


def test_each_part_of_a_batch_is_its_own_call_with_its_order_and_its_answer():
    world, _obs = played(BatchInvoicer)
    entries = world.ledger.entries
    outer = next(e for e in entries if e.kind == "request" and e.data["path"].endswith("$batch"))
    assert outer.data["operation"] is None and outer.data["subject"] == {}
    part = next(e for e in entries if e.kind == "request" and e.ref == f"{outer.ref}.1")
    assert part.data["batch"] == outer.ref and part.data["method"] == "POST"
    assert part.data["path"] == f"{SO}/CreateBillingDocument"
    assert part.data["operation"] == "erp.release_invoice"
    assert part.data["headers"]["cookie"] == "(sent)"  # inherited from the batch, kept secret
    answers = {e.ref: e.data for e in entries if e.kind == "response"}
    assert answers[outer.ref]["status"] == 202
    assert answers[part.ref]["status"] == 200  # the part's own answer, not the batch's
    assert answers[part.ref]["body"]["d"]["CreateBillingDocument"]["SalesOrder"] == \
        part.data["subject"]["order_id"]


def test_a_correct_sut_writing_through_batch_is_not_flagged_and_metadata_has_no_operation():
    world, obs = played(BatchStatusWriter)
    assert list(cancel_compensates.check(obs)) == []
    requests = [e for e in world.ledger.entries if e.kind == "request"]
    described = [e for e in requests if e.data["path"].endswith(("$metadata", SO))]
    assert described and all(e.data["operation"] is None for e in described)
    writes = [e for e in requests if e.data.get("batch")]
    assert writes and all(e.data["operation"] == "erp.write_logistics_status"
                          and e.data["subject"] == {"order_id": e.data["path"].split("'")[1]}
                          for e in writes)
    assert all(len(obs.requests_about(order)) >= 1 for order in
               {e.data["subject"]["order_id"] for e in writes})
    statuses = {e.data["status"] for e in world.ledger.entries
                if e.kind == "response" and "." in e.ref}
    assert statuses == {204}


def test_a_batch_refused_as_a_whole_answers_each_part_with_its_refusal():
    class Unsigned(BatchStatusWriter):
        def on_event(self, event, io):
            if event.type == "order.released":
                content, kind = batch(f"POST {billing(event.order_id)} HTTP/1.1\r\n\r\n")
                yield io.erp.request("POST", f"{SO}/$batch", content=content, headers=kind)

    world, _obs = played(Unsigned)
    parts = [e for e in world.ledger.entries if e.kind == "response" and "." in e.ref]
    assert parts and {e.data["status"] for e in parts} == {403}
    assert not world.erp.invoices


class OnfleetCanceller(SyncImplementation):
    """Creates a task for each released order, changes its destination, deletes it."""

    name = "onfleet-canceller"

    def on_event(self, event, io):
        if event.type != "order.released":
            return
        created = yield io.lastmile.request("POST", "/api/v2/tasks", json={
            "destination": {"address": {"street": "1 High St", "city": "Leeds",
                                        "postalCode": "LS1"}},
            "recipients": [{"name": "A", "phone": "+441130000000"}],
            "metadata": [{"name": "order_id", "type": "string", "value": event.order_id},
                         {"name": "shipment_id", "type": "string", "value": "SH-X"}]})
        task = created.body["id"]
        yield io.lastmile.request("PUT", f"/api/v2/tasks/{task}", json={
            "destination": {"address": {"street": "2 High St", "city": "Leeds",
                                        "postalCode": "LS1"}}})
        yield io.lastmile.request("DELETE", f"/api/v2/tasks/{task}")


def test_onfleet_task_calls_are_recorded_with_their_order():
    world, obs = played(OnfleetCanceller, lastmile="onfleet")
    calls = [e for e in world.ledger.entries if e.kind == "request" and e.system == "lastmile"]
    answers = {e.ref: e.data["status"] for e in world.ledger.entries if e.kind == "response"}
    assert calls and all(answers[e.ref] == 200 for e in calls), calls[:3]
    operations = {e.data["operation"] for e in calls}
    assert operations == {"lastmile.create_task", "lastmile.change_destination",
                          "lastmile.cancel_task"}
    for e in calls:
        assert obs.order_of_call(e.ref) is not None, e.data
