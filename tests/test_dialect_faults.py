"""The faults only a vendor dialect has, each against the faulty implementation it exists for.

`SapReference` is the reference implementation with its ERP side spoken the S/4HANA way
(until the built-in reference speaks the dialects itself): it reads a sales order with its
ETag, writes the logistics status back in a `$batch` changeset with If-Match, posts freight
as a pricing element and bills through CreateBillingDocument; it fetches a CSRF token and
fetches it again when refused, reads again on a 412, sends a failed changeset again, and
waits for an order that a thin event announced before it was readable. It must hold every
invariant under each fault (no false positive); each faulty variant overrides exactly one of
those recoveries and must be caught.
"""

from __future__ import annotations

import contextlib
import json
import re

import pytest

from seatrial.catalogue import catalogue
from seatrial.faults.kinds import KINDS
from seatrial.faults.reach import unreached
from seatrial.judge.verdict import verdict
from seatrial.run import observe
from seatrial.scenario import Scenario
from seatrial.scenario_yaml import ScenarioError, load_scenario
from seatrial.sdk import Cookies, Response, TransportError
from seatrial.sync_implementations.reference import Parked, ReferenceSync
from seatrial.world import World

SO = "/sap/opu/odata/sap/API_SALES_ORDER_SRV"
SAP = ("erp", "sap-s4")
WRITES = {"logistics-status": "write_back", "freight-charges": "post_charges",
          "invoice": "bill"}
ATTEMPTS = 40
_STATUS_LINE = re.compile(r"^HTTP/1\.1 (\d{3}) ", re.MULTILINE)


class SapReference(ReferenceSync):
    name = "sap-reference"

    def __init__(self) -> None:
        super().__init__()
        self.session: dict[str, str] | None = None  # the CSRF token and its session cookie

    def _send(self, io, call, accept=()):
        if call.system != "erp":
            return (yield from super()._send(io, call, accept))
        order_id, _, what = call.path.removeprefix("/orders/").partition("/")
        if call.method == "GET":
            return (yield from self.read_order(order_id, call.correlation_id, io))
        write = getattr(self, WRITES[what])
        return (yield from write(order_id, call.json, call.correlation_id, io))

    # --- one SAP request until a definite answer -------------------------------------------

    def sap(self, io, method, path, corr, headers=None, **options):
        for _attempt in range(ATTEMPTS):
            sent = dict(headers or {})
            if method != "GET":
                if self.session is None:
                    self.session = yield from self.fetch_token(corr, io)
                sent |= self.session
            response = None
            with contextlib.suppress(TransportError):
                response = yield io.erp.request(method, path, headers=sent,
                                                correlation_id=corr, **options)
            status = None if response is None else response.status_code
            if status == 403 and method != "GET":
                yield from self.token_refused(io)
            elif status is None or status >= 500 or status == 429:
                yield io.sleep(5.0 * io.random.uniform(0.5, 1.0))
            else:
                return response
        raise Parked(f"{method} {path}: no definite answer")

    def fetch_token(self, corr, io):
        fetched = yield io.erp.request("GET", SO, headers={"X-CSRF-Token": "Fetch"},
                                       correlation_id=corr)
        return {"x-csrf-token": fetched.headers["x-csrf-token"],
                **Cookies().take(fetched).headers()}

    def token_refused(self, io):
        """403 CSRF: the session ended; fetch a new token and send again."""
        self.session = None
        yield from ()

    # --- reads ------------------------------------------------------------------------------

    def read_order(self, order_id, corr, io):
        for _attempt in range(ATTEMPTS):
            answer = yield from self.sap(io, "GET", f"{SO}/A_SalesOrder('{order_id}')", corr,
                                         params={"$expand": "to_Item,to_Partner"})
            if answer.status_code != 404:
                break
            yield from self.not_readable(order_id, io)
        else:
            raise Parked(f"order {order_id} never became readable")
        d = answer.json()["d"]
        ship_to = next(p for p in d["to_Partner"]["results"] if p["PartnerFunction"] == "WE")
        order = {"status": "CNL" if d["OverallSDDocumentRejectionSts"] == "C" else "REL",
                 "ship_to": {"name": ship_to["FullName"], "street": ship_to["StreetName"],
                             "city": ship_to["CityName"], "postcode": ship_to["PostalCode"],
                             "country": ship_to["Country"]},
                 "lines": [{"sku": i["Material"], "quantity": i["RequestedQuantity"]}
                           for i in d["to_Item"]["results"]]}
        return Response(200, order, {"etag": answer.headers["etag"]})

    def not_readable(self, order_id, io):
        """404 for an order an event just announced: not readable yet; wait and read again."""
        yield io.sleep(30.0)

    # --- writes -----------------------------------------------------------------------------

    def write_back(self, order_id, body, corr, io):
        fields = {"YY1_LogisticsStatus_SDH": body["status"],
                  "YY1_LogisticsStatusClass_SDH": body["classifier"]}
        for name, value in (("YY1_ShipmentID_SDH", body.get("shipment_id")),
                            ("YY1_ETA_SDH", body.get("eta")),
                            ("YY1_LogisticsEventTime_SDH", body.get("event_time"))):
            if value:
                fields[name] = value
        for _attempt in range(ATTEMPTS):
            etag = (yield from self.read_order(order_id, corr, io)).headers["etag"]
            part = (f"PATCH A_SalesOrder('{order_id}') HTTP/1.1\r\nContent-Type: "
                    f"application/json\r\nIf-Match: {etag}\r\n\r\n{json.dumps(fields)}")
            answer = yield from self.sap(io, "POST", f"{SO}/$batch", corr,
                                         content=_changeset(part), headers=BATCH)
            status = self.changeset_status(answer)
            if status == 412:
                yield from self.stale(order_id, io)
            elif status != 409:  # 409: the changeset failed as a whole; send it again
                if status >= 300:
                    raise Parked(f"status write for {order_id} answered {status}")
                return Response(200, {})
        raise Parked(f"status write for {order_id}: no definite answer")

    def changeset_status(self, answer):
        """The changeset's own answer inside the batch's 202."""
        return int(_STATUS_LINE.findall(answer.text)[0])

    def stale(self, order_id, io):
        """412: someone changed the order since it was read; read it again."""
        yield from ()

    def post_charges(self, order_id, body, corr, io):
        answer = yield from self.sap(
            io, "POST", f"{SO}/A_SalesOrder('{order_id}')/to_PricingElement", corr,
            json={"ConditionAmount": f"{body['total']:.2f}",
                  "YY1_FreightStatement_PEL": body["statement_id"],
                  "YY1_ShipmentID_PEL": body.get("shipment_id") or ""})
        return _definite(answer)

    def bill(self, order_id, _body, corr, io):
        answer = yield from self.sap(io, "POST", f"{SO}/CreateBillingDocument", corr,
                                     params={"SalesOrder": f"'{order_id}'"})
        return _definite(answer)


BATCH = {"content-type": "multipart/mixed; boundary=b"}


def _changeset(part: str) -> bytes:
    return (f"--b\r\nContent-Type: multipart/mixed; boundary=cs\r\n\r\n--cs\r\nContent-Type: "
            f"application/http\r\n\r\n{part}\r\n--cs--\r\n--b--\r\n").encode()


def _definite(answer):
    if answer.status_code >= 300:
        raise Parked(f"answered {answer.status_code}")
    return answer


# --- one faulty variant per fault: its recovery left out --------------------------------------


def gives_up(reason: str):
    """A recovery left out: the handler parks the event instead (a generator, as the
    recovery it replaces)."""

    def parks(*_args):
        raise Parked(reason)
        yield

    return parks



class KeepsItsToken(SapReference):
    """Never fetches a token again: a write refused 403 is given up."""

    name = "keeps-its-token"

    token_refused = gives_up("CSRF token refused")


class TrustsItsEtag(SapReference):
    """Never reads again: a write refused 412 is given up."""

    name = "trusts-its-etag"

    stale = gives_up("ETag stale")


class ReadsOnlyTheBatchStatus(SapReference):
    """Takes the batch's 202 for the changeset's answer."""

    name = "reads-only-the-batch-status"

    def changeset_status(self, answer):
        return answer.status_code


class TakesNotFoundAsGone(SapReference):
    """Takes a 404 for an order an event announced as "no such order", and drops the event."""

    name = "takes-not-found-as-gone"

    not_readable = gives_up("order not found")


def scenario(*faults: str, dialects: str = "{erp: sap-s4}", orders: int = 30,
             seed: int = 11) -> Scenario:
    """A 2-hour morning in `dialects` under `faults` (each a YAML flow mapping)."""
    listed = "".join(f"\n  - {fault}" for fault in faults)
    return load_scenario(f"""
name: dialect-test
seed: {seed}
duration: 2h
workload: {{orders_per_hour: {orders}}}
dialects: {dialects}
faults:{listed or " []"}
expect: {{converge_within: 2h}}
""", "dialect-test.yaml")


def judged(sut, made: Scenario):
    world = World(made, sut)
    end = world.run()
    return world, verdict(observe(world, end), sut.name, 0.0, world.messages,
                          world.drive.summary())


CASES = {
    "csrf_expiry": ("{kind: csrf_expiry, at: 30m, every: 20m}", KeepsItsToken),
    "etag_conflict": ("{kind: etag_conflict, at: 10m, probability: 0.3}", TrustsItsEtag),
    "batch_failure": ("{kind: batch_failure, at: 20m, changesets: 5}", ReadsOnlyTheBatchStatus),
    "thin_event_early": ("{kind: thin_event_early, probability: 0.5, readable_after: 2m}",
                         TakesNotFoundAsGone),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_the_sap_reference_holds_every_invariant_under_each_fault(kind):
    world, result = judged(SapReference, scenario(CASES[kind][0]))
    assert not result.violations, [v["message"] for v in result.violations[:3]]
    assert not [e for e in world.ledger.entries if e.kind == "crash"]


@pytest.mark.parametrize("kind", sorted(CASES))
def test_each_fault_catches_the_implementation_it_exists_for(kind):
    fault, faulty = CASES[kind]
    _world, clean = judged(faulty, scenario())
    assert not clean.violations, "the faulty variant fails without its fault: proves nothing"
    _world, caught = judged(faulty, scenario(fault))
    assert caught.violations, f"{faulty.name} passed under {kind}"


EVERY_SAP_KIND = """
name: every-sap-kind
seed: 5
duration: 30m
workload: {orders_per_hour: 120}
dialects: {erp: sap-s4}
faults:
  - {kind: csrf_expiry, at: AT, every: 10m}
  - {kind: etag_conflict, at: AT, probability: 0.5}
  - {kind: batch_failure, at: AT, changesets: 3}
  - {kind: thin_event_early, at: AT, probability: 0.5}
"""


@pytest.mark.parametrize(("at", "idle"), [("0s", False), ("13d", True)])
def test_every_sap_kind_leaves_a_trace_where_it_acts_and_none_where_nothing_happens(at, idle):
    made = load_scenario(EVERY_SAP_KIND.replace("AT", at), "every-sap-kind.yaml")
    assert {fault.kind for fault in made.faults} == set(CASES)
    world = World(made, SapReference)
    world.run()
    expected = list(made.faults) if idle else []
    assert unreached(made, world.ledger.entries, world.horizon) == expected


# --- Onfleet ------------------------------------------------------------------------------------

FIRED = (0, 1, 2, 3, 4, 7, 8, 9)  # the triggers the platform fires (docs/dialects.md#onfleet)
TASKS = "/api/v2/tasks"


class OnfleetReference(ReferenceSync):
    """The reference with its last-mile side in Onfleet's API: it registers a webhook per
    trigger at its first boot (again after a refused validation), creates, changes and
    deletes tasks the Onfleet way, and honours the organisation's 429 as every 429."""

    name = "onfleet-reference"

    def authenticate(self, webhook, io):
        # Onfleet signs with X-Onfleet-Signature, not the Standard Webhooks headers io.verify
        # reads; these scenarios forge nothing
        return webhook.event.source == "lastmile" or io.verify(webhook)

    def start(self, io):
        super().start(io)
        return None if "webhooks" in io.store else self.register(io)

    def register(self, io):
        for trigger in FIRED:
            for _attempt in range(ATTEMPTS):
                answer = yield from self._send(io, io.lastmile.request(
                    "POST", "/api/v2/webhooks", json={
                        "url": io.webhook_url("lastmile"), "name": f"sync-{trigger}",
                        "trigger": trigger}), accept=(400,))
                if answer.status_code == 200:
                    break
                yield from self.validation_refused(answer, io)
        io.store.put("webhooks", True)

    def validation_refused(self, answer, io):
        """400 1008: the platform could not validate the URL; register again shortly."""
        yield io.sleep(30.0)

    def _send(self, io, call, accept=()):
        if call.system == "lastmile" and not call.path.startswith("/api/"):
            call, accept = self.onfleet(call, accept)
        return (yield from super()._send(io, call, accept))

    def onfleet(self, call, accept):
        """The canonical last-mile call in Onfleet's API."""
        parts = call.path.strip("/").split("/")
        if len(parts) == 1:  # POST /tasks
            body = call.json
            return self.request(call, "POST", TASKS, {
                "destination": _destination(body["destination"]),
                "recipients": [{"name": body["destination"].get("name") or "Recipient",
                                "phone": "+441130000000"}],
                "metadata": [{"name": key, "type": "string", "value": body[key]}
                             for key in ("order_id", "shipment_id")]}), accept
        task, what = parts[1], parts[2]
        if what == "cancel":  # a deleted task is gone: deleting it again answers 404
            return self.request(call, "DELETE", f"{TASKS}/{task}"), (*accept, 404)
        return self.request(call, "PUT", f"{TASKS}/{task}",
                            {"destination": _destination(call.json)}), accept

    @staticmethod
    def request(call, method, path, json=None):
        from seatrial.sdk.messages import ApiClient

        return ApiClient("lastmile").request(method, path, json=json,
                                             idempotency_key=call.idempotency_key,
                                             correlation_id=call.correlation_id)

    def _task_updated(self, event, payload, state, io):
        # deliveries name the task by the platform's core id; the SUT knows it by Onfleet's
        # id, from the create, and by its shipment, from the metadata
        if state["task"] and event.shipment_id == state["shipment"]:
            event = event._replace(task_id=state["task"])
        return (yield from super()._task_updated(event, payload, state, io))


def _destination(address):
    return {"address": {"name": address.get("name"), "street": address.get("street"),
                        "city": address.get("city"), "postalCode": address.get("postcode"),
                        "country": address.get("country")}}


class RegistersOnce(OnfleetReference):
    """Takes a refused registration as final: that trigger is never delivered."""

    name = "registers-once"

    validation_refused = gives_up("webhook registration refused")


class HammersOnfleet(OnfleetReference):
    """Retries a 429 at once, whatever Retry-After says."""

    name = "hammers-onfleet"

    def throttle(self, system, response, backoff, io):
        if system != "lastmile":
            super().throttle(system, response, backoff, io)


def onfleet_scenario(*faults: str) -> Scenario:
    return scenario(*faults, dialects="{lastmile: onfleet}", orders=60, seed=13)


ONFLEET_CASES = {
    "webhook_validation_fails": ("{kind: webhook_validation_fails, times: 3}", RegistersOnce),
    "org_rate_limit": ("{kind: org_rate_limit, others: 0.999, burst: 1}",
                       HammersOnfleet),
}


@pytest.mark.parametrize(("reference", "made"), [(SapReference, scenario),
                                                 (OnfleetReference, onfleet_scenario)])
def test_each_reference_in_a_dialect_holds_every_invariant_without_faults(reference, made):
    world, result = judged(reference, made())
    assert not result.violations, [v["message"] for v in result.violations[:3]]
    assert world.erp.invoices  # the whole path, to the invoice


@pytest.mark.parametrize("kind", sorted(ONFLEET_CASES))
def test_each_onfleet_fault_holds_for_the_reference_and_catches_its_faulty_one(kind):
    fault, faulty = ONFLEET_CASES[kind]
    made = onfleet_scenario(fault)
    world, result = judged(OnfleetReference, made)
    assert not result.violations, [v["message"] for v in result.violations[:3]]
    assert unreached(made, world.ledger.entries, world.horizon) == []
    _world, clean = judged(faulty, onfleet_scenario())
    assert not clean.violations, "the faulty variant fails without its fault: proves nothing"
    _world, caught = judged(faulty, made)
    assert caught.violations, f"{faulty.name} passed under {kind}"


# --- the catalogue's scenarios in the dialects --------------------------------------------------

SHIPPED = {"sap-csrf-expiry": (SapReference, KeepsItsToken),
           "sap-etag-conflicts": (SapReference, TrustsItsEtag),
           "sap-batch-failures": (SapReference, ReadsOnlyTheBatchStatus),
           "sap-thin-events": (SapReference, TakesNotFoundAsGone),
           "onfleet-webhook-validation": (OnfleetReference, RegistersOnce),
           "onfleet-org-rate-limit": (OnfleetReference, HammersOnfleet)}
SEEDS = 3


def test_every_dialect_fault_kind_has_its_scenario_in_the_catalogue():
    carried = {fault.kind for name in SHIPPED for fault in catalogue()[name].faults}
    assert carried == {name for name, kind in KINDS.items() if kind.model.needs is not None}
    assert carried == set(CASES) | set(ONFLEET_CASES)
    assert {name for name in catalogue() if name.startswith(("sap-", "onfleet-"))} == \
        set(SHIPPED)


@pytest.mark.parametrize(("name", "offset"), [(name, i) for name in sorted(SHIPPED)
                                               for i in range(SEEDS)])
def test_each_dialect_scenario_holds_for_its_reference_and_its_fault_reaches_it(name, offset):
    made = catalogue()[name]
    made = made.with_seed(made.seed + offset)
    world, result = judged(SHIPPED[name][0], made)
    assert not result.violations, [v["message"] for v in result.violations[:3]]
    assert unreached(made, world.ledger.entries, world.horizon) == []


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_each_dialect_scenario_catches_the_implementation_it_exists_for(name):
    faulty = SHIPPED[name][1]
    _world, result = judged(faulty, catalogue()[name])
    assert result.violations, f"{faulty.name} passed {name}"


def test_a_dialect_fault_is_refused_where_its_dialect_is_not_spoken():
    with pytest.raises(ScenarioError) as caught:
        load_scenario("name: x\nfaults:\n  - {kind: csrf_expiry, at: 1h}\n", "x.yaml")
    message = str(caught.value)
    assert "x.yaml:3: faults[0].kind" in message, message
    assert "add `dialects: {erp: sap-s4}`" in message
