"""The `sap-s4` ERP dialect through its router, as both faces dispatch to it: OData V2 reads,
CSRF, ETags, `$batch` changesets all or nothing, SAP's error body for every bad input, and
its events as CloudEvents signed the Standard Webhooks way."""

from __future__ import annotations

import json
import re

import pytest

from seatrial.model.envelope import Event, to_datetime
from seatrial.model.standard_webhooks import sign
from seatrial.scenario import Scenario
from seatrial.simulators.api import Router
from seatrial.simulators.dialect import dialect
from seatrial.simulators.erp.dialects.sap_s4 import events
from seatrial.simulators.erp.dialects.sap_s4.gateway import COOKIE
from seatrial.world import World

SO = "/sap/opu/odata/sap/API_SALES_ORDER_SRV"
BP = "/sap/opu/odata/sap/API_BUSINESS_PARTNER"
SAP = dialect("erp", "sap-s4")


@pytest.fixture
def world() -> World:
    made = World(Scenario(name="x"))
    made.env.run(until=3 * 3600.0)  # a few orders released
    return made


@pytest.fixture
def router(world: World) -> Router:
    return SAP.router(world.erp)


@pytest.fixture
def order(world: World) -> str:
    return next(iter(world.erp.orders))


def session(router: Router) -> dict[str, str]:
    """The headers of a write: a fetched CSRF token and its session cookie."""
    reply = router.dispatch("GET", SO, headers={"x-csrf-token": "Fetch"})
    assert reply.status == 200, reply.body
    cookie = reply.set_cookie[0].split(";")[0]
    assert cookie.startswith(f"{COOKIE}=")
    return {"x-csrf-token": reply.headers["x-csrf-token"], "cookie": cookie}


def etag(router: Router, order: str) -> str:
    return router.dispatch("GET", f"{SO}/A_SalesOrder('{order}')").headers["etag"]


def sap_refusal(reply, status: int) -> str:
    """SAP's error body at `status`; its message."""
    assert reply.status == status, (reply.status, reply.body)
    error = reply.body["error"]
    assert error["message"]["lang"] == "en" and error["code"]
    assert isinstance(error["innererror"]["errordetails"], list)
    return error["message"]["value"]


# --- reads ------------------------------------------------------------------------------------


def test_an_order_reads_in_odata_v2_json_with_its_etag_and_items(router, world, order):
    reply = router.dispatch("GET", f"{SO}/A_SalesOrder('{order}')",
                            {"$expand": "to_Item,to_Partner"})
    assert reply.status == 200
    d = reply.body["d"]
    assert d["__metadata"]["type"] == "API_SALES_ORDER_SRV.A_SalesOrderType"
    assert d["__metadata"]["uri"].endswith(f"/A_SalesOrder('{order}')")
    assert d["__metadata"]["etag"] == reply.headers["etag"]
    assert re.fullmatch(r"W/\"datetime'\d{4}-\d\d-\d\dT\d\d%3A\d\d%3A\d\d\.\d{7}'\"",
                        reply.headers["etag"])
    assert re.fullmatch(r"/Date\(\d+\)/", d["CreationDate"])
    assert re.fullmatch(r"/Date\(\d+\+0000\)/", d["LastChangeDateTime"])
    core = world.erp.orders[order]
    assert d["TotalNetAmount"] == f"{core.value:.3f}"  # a decimal is a string
    assert d["YY1_LogisticsStatus_SDH"] == "REL"
    assert len(d["to_Item"]["results"]) == len(core.lines)
    ship_to = next(p for p in d["to_Partner"]["results"] if p["PartnerFunction"] == "WE")
    assert ship_to["StreetName"] == core.ship_to["street"]
    assert d["to_PricingElement"] == {"__deferred": {
        "uri": f"{SO}/A_SalesOrder('{order}')/to_PricingElement"}}


def test_a_collection_filters_selects_pages_and_counts(router, world):
    orders = list(world.erp.orders)
    assert len(orders) >= 2
    wanted = f"SalesOrder eq '{orders[0]}' or (SalesOrder eq '{orders[1]}' and " \
             "YY1_LogisticsStatus_SDH eq 'REL')"
    reply = router.dispatch("GET", f"{SO}/A_SalesOrder", {
        "$filter": wanted, "$select": "SalesOrder", "$top": "1", "$skip": "1",
        "$inlinecount": "allpages", "$orderby": "SalesOrder desc"})
    assert reply.status == 200, reply.body
    d = reply.body["d"]
    assert d["__count"] == "2"
    assert [r["SalesOrder"] for r in d["results"]] == [orders[0]]
    assert set(d["results"][0]) == {"__metadata", "SalesOrder"}


def test_the_customer_reads_from_the_business_partner_service(router, world):
    customer = next(iter(world.erp.customers.values()))
    reply = router.dispatch("GET", f"{BP}/A_BusinessPartner('{customer.id}')",
                            {"$expand": "to_BusinessPartnerAddress/to_EmailAddress"})
    assert reply.status == 200, reply.body
    d = reply.body["d"]
    assert d["BusinessPartnerFullName"] == customer.name
    address = d["to_BusinessPartnerAddress"]["results"][0]
    assert address["PostalCode"] == customer.address["postcode"]
    assert address["to_EmailAddress"]["results"][0]["EmailAddress"] == customer.email


def test_metadata_is_edmx(router):
    reply = router.dispatch("GET", f"{SO}/$metadata")
    assert reply.status == 200 and reply.headers["content-type"] == "application/xml"
    assert b"<edmx:Edmx" in reply.body and b'Name="CreateBillingDocument"' in reply.body


# --- CSRF -------------------------------------------------------------------------------------


def test_a_write_needs_the_sessions_csrf_token(router, order):
    status = {"YY1_LogisticsStatus_SDH": "PLN"}
    path = f"{SO}/A_SalesOrder('{order}')"
    tag = etag(router, order)
    bare = router.dispatch("PATCH", path, body=status, headers={"if-match": tag})
    assert "CSRF" in sap_refusal(bare, 403) and bare.headers["x-csrf-token"] == "Required"
    good = session(router)
    no_cookie = router.dispatch("PATCH", path, body=status,
                                headers={"if-match": tag, "x-csrf-token": good["x-csrf-token"]})
    assert no_cookie.headers["x-csrf-token"] == "Required"
    sap_refusal(no_cookie, 403)
    other = session(router)  # another session's token does not open this one
    crossed = router.dispatch("PATCH", path, body=status, headers={
        "if-match": tag, "x-csrf-token": other["x-csrf-token"], "cookie": good["cookie"]})
    sap_refusal(crossed, 403)
    assert router.dispatch("PATCH", path, body=status,
                           headers={**good, "if-match": tag}).status == 204


def test_an_expired_session_needs_a_new_token(router, order):
    headers = session(router)
    assert router.core.expire_sessions() >= 1
    reply = router.dispatch("PATCH", f"{SO}/A_SalesOrder('{order}')",
                            body={"YY1_LogisticsStatus_SDH": "PLN"},
                            headers={**headers, "if-match": "*"})
    assert reply.headers["x-csrf-token"] == "Required"
    sap_refusal(reply, 403)
    again = router.dispatch("GET", SO, headers={"x-csrf-token": "Fetch",
                                                "cookie": headers["cookie"]})
    assert again.set_cookie  # a new session: the old cookie is gone


# --- ETags ------------------------------------------------------------------------------------


def test_updates_need_the_current_etag(router, world, order):
    headers = session(router)
    path = f"{SO}/A_SalesOrder('{order}')"
    before = etag(router, order)
    missing = router.dispatch("PATCH", path, body={"YY1_LogisticsStatus_SDH": "PLN"},
                              headers=headers)
    assert "If-Match" in sap_refusal(missing, 428)
    written = router.dispatch("PATCH", path, body={
        "YY1_LogisticsStatus_SDH": "PCK", "YY1_LogisticsStatusClass_SDH": "ACT",
        "YY1_ShipmentID_SDH": "SH-000009", "YY1_ETA_SDH": "/Date(1767650400000+0000)/"},
        headers={**headers, "if-match": before})
    assert written.status == 204 and written.body == b""
    assert written.headers["etag"] != before
    core = world.erp.orders[order]
    assert (core.status, core.shipment_id) == ("PCK", "SH-000009")
    assert core.eta == "2026-01-05T22:00:00+00:00"
    stale = router.dispatch("PUT", path, body={"YY1_LogisticsStatus_SDH": "ITR"},
                            headers={**headers, "if-match": before})
    sap_refusal(stale, 412)
    assert core.status == "PCK"
    world.erp.change_order(order, {"street": "1 New St", "city": "Leeds", "postcode": "LS1",
                                   "country": "GB"})  # the ERP's own change moves it too
    assert etag(router, order) != written.headers["etag"]


# --- $batch -----------------------------------------------------------------------------------


def _batch(*parts: str) -> bytes:
    return ("".join(f"--b1\r\n{part}\r\n" for part in parts) + "--b1--\r\n").encode()


def _request(method: str, url: str, body: dict | None = None, **headers: str) -> str:
    lines = [f"{method} {url} HTTP/1.1", "Content-Type: application/json",
             *(f"{name.replace('_', '-')}: {value}" for name, value in headers.items())]
    text = "\r\n".join(lines) + "\r\n\r\n" + (json.dumps(body) if body is not None else "")
    return f"Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n{text}"


def _changeset(*requests: str) -> str:
    inner = "".join(f"--c1\r\n{r}\r\n" for r in requests)
    return f"Content-Type: multipart/mixed; boundary=c1\r\n\r\n{inner}--c1--"


def post_batch(router: Router, headers: dict[str, str], content: bytes):
    return router.dispatch("POST", f"{SO}/$batch", headers={
        **headers, "content-type": "multipart/mixed; boundary=b1"}, content=content)


def test_a_batch_changeset_that_fails_changes_nothing(router, world, order):
    headers = session(router)
    erp = world.erp
    writes, postings = len(erp.status_writes), len(erp.charge_postings)
    tag = etag(router, order)
    reply = post_batch(router, headers, _batch(
        f"Content-Type: application/http\r\n\r\nGET A_SalesOrder('{order}') HTTP/1.1\r\n\r\n",
        _changeset(
            _request("PATCH", f"A_SalesOrder('{order}')", {"YY1_LogisticsStatus_SDH": "PCK"},
                     If_Match=tag),
            _request("POST", f"A_SalesOrder('{order}')/to_PricingElement",
                     {"ConditionAmount": "10.00", "YY1_FreightStatement_PEL": "ST-1"}),
            _request("PATCH", f"A_SalesOrder('{order}')", {"YY1_LogisticsStatus_SDH": "NOPE"},
                     If_Match="*"))))
    assert reply.status == 202, reply.body
    assert reply.headers["content-type"].startswith("multipart/mixed; boundary=")
    text = reply.body.decode()
    assert "HTTP/1.1 200 OK" in text            # the read
    assert "HTTP/1.1 400 Bad Request" in text   # the changeset, answered by its one error
    assert "HTTP/1.1 204" not in text and "HTTP/1.1 201" not in text
    assert (len(erp.status_writes), len(erp.charge_postings)) == (writes, postings)
    assert erp.orders[order].status == "REL" and order not in erp.freight_by_order
    assert etag(router, order) == tag  # nothing changed, so neither did the ETag

    done = post_batch(router, headers, _batch(_changeset(
        _request("PATCH", f"A_SalesOrder('{order}')", {"YY1_LogisticsStatus_SDH": "PCK"},
                 If_Match=tag),
        _request("POST", f"A_SalesOrder('{order}')/to_PricingElement",
                 {"ConditionAmount": "10.00", "YY1_FreightStatement_PEL": "ST-1"}))))
    assert done.status == 202
    assert "HTTP/1.1 204 No Content" in done.body.decode()
    assert "HTTP/1.1 201 Created" in done.body.decode()
    assert erp.orders[order].status == "PCK" and erp.freight_by_order[order] == 10.0


def test_a_failed_changeset_undoes_each_order_it_wrote_and_only_those(router, world):
    first, second, third = list(world.erp.orders)[:3]
    headers = session(router)
    erp = world.erp
    kept = post_batch(router, headers, _batch(_changeset(
        _request("POST", f"A_SalesOrder('{third}')/to_PricingElement",
                 {"ConditionAmount": "7.00", "YY1_FreightStatement_PEL": "ST-3"}))))
    assert "HTTP/1.1 201 Created" in kept.body.decode()
    before = {o: (erp.orders[o].status, erp.freight_by_order.get(o)) for o in (first, second)}
    failed = post_batch(router, headers, _batch(_changeset(
        _request("PATCH", f"A_SalesOrder('{first}')", {"YY1_LogisticsStatus_SDH": "PCK"},
                 If_Match="*"),
        _request("POST", f"A_SalesOrder('{second}')/to_PricingElement",
                 {"ConditionAmount": "10.00", "YY1_FreightStatement_PEL": "ST-2"}),
        _request("PATCH", f"A_SalesOrder('{first}')", {"YY1_LogisticsStatus_SDH": "NOPE"},
                 If_Match="*"))))
    assert "HTTP/1.1 400 Bad Request" in failed.body.decode()
    assert {o: (erp.orders[o].status, erp.freight_by_order.get(o))
            for o in (first, second)} == before
    assert erp.freight_by_order[third] == 7.0  # written before the changeset: kept


def test_a_batch_needs_the_csrf_token_too(router, order):
    reply = post_batch(router, {}, _batch(_changeset(_request(
        "PATCH", f"A_SalesOrder('{order}')", {"YY1_LogisticsStatus_SDH": "PCK"},
        If_Match="*"))))
    assert reply.headers["x-csrf-token"] == "Required"
    sap_refusal(reply, 403)


# --- bad input: SAP's error body and a 4xx, never a 5xx ----------------------------------------

ORDER = "A_SalesOrder('{order}')"
BAD_READS = [
    (f"{SO}/A_SalesOrder(SO-1)", {}),                      # key not quoted
    (f"{SO}/A_SalesOrder('')", {}),                        # empty key
    (f"{SO}/A_SalesOrder('{'x' * 41}')", {}),               # key too long
    (f"{SO}/A_SalesOrder('a'b')", {}),                     # a lone quote inside
    (f"{SO}/A_SalesOrderItem(SalesOrder='1')", {}),        # a key missing
    (f"{SO}/A_Nothing('1')", {}),                          # no such entity set
    (f"{SO}/A_SalesOrder('SO-999999')", {}),               # no such order
    (f"{SO}/{ORDER}/to_Nothing", {}),                      # no such navigation
    (f"{SO}/A_SalesOrder", {"$filter": "SalesOrder eq"}),
    (f"{SO}/A_SalesOrder", {"$filter": "SalesOrder gt '1'"}),
    (f"{SO}/A_SalesOrder", {"$filter": "TotalNetAmount eq '1'"}),
    (f"{SO}/A_SalesOrder", {"$filter": "(" * 40 + "SalesOrder eq '1'" + ")" * 40}),
    (f"{SO}/A_SalesOrder", {"$filter": "SalesOrder eq '1' " + "or SalesOrder eq '1' " * 60}),
    (f"{SO}/A_SalesOrder", {"$filter": "SalesOrder eq 1"}),
    (f"{SO}/A_SalesOrder", {"$filter": "SalesOrder eq '1' ;"}),
    (f"{SO}/A_SalesOrder", {"$top": "100000"}),
    (f"{SO}/A_SalesOrder", {"$top": "-1"}),
    (f"{SO}/A_SalesOrder", {"$skip": "1e3"}),
    (f"{SO}/A_SalesOrder", {"$select": "Nope"}),
    (f"{SO}/A_SalesOrder", {"$select": "SalesOrder,,"}),
    (f"{SO}/A_SalesOrder", {"$expand": "to_Nope"}),
    (f"{SO}/A_SalesOrder", {"$expand": "to_Item/to_Item/to_Item/to_Item"}),
    (f"{SO}/A_SalesOrder", {"$orderby": "SalesOrder sideways"}),
    (f"{SO}/A_SalesOrder", {"$inlinecount": "some"}),
    (f"{SO}/A_SalesOrder", {"$format": "xml"}),
    (f"{SO}/A_SalesOrder", {"$search": "x"}),
    (f"{SO}/{ORDER}", {"$top": "1"}),                      # paging on a single entity
    (f"{BP}/A_BusinessPartner('C-99999')", {}),
]


@pytest.mark.parametrize(("path", "query"), BAD_READS)
def test_a_bad_read_gets_a_4xx_in_sap_shape(router, order, path, query):
    reply = router.dispatch("GET", path.replace("{order}", order), query)
    assert 400 <= reply.status < 500
    sap_refusal(reply, reply.status)


BAD_WRITES = [
    ("PATCH", ORDER, {}, ["not", "an", "object"]),
    ("PATCH", ORDER, {}, {"YY1_LogisticsStatus_SDH": "NOPE"}),
    ("PATCH", ORDER, {}, {"YY1_LogisticsStatus_SDH": 3}),
    ("PATCH", ORDER, {}, {"YY1_LogisticsStatus_SDH": "PCK", "NoSuchProperty": 1}),
    ("PATCH", ORDER, {}, {"YY1_LogisticsStatus_SDH": "PCK", "TotalNetAmount": "1.000"}),
    ("PATCH", ORDER, {}, {"YY1_LogisticsStatus_SDH": "PCK", "YY1_ETA_SDH": "tomorrow"}),
    ("PATCH", ORDER, {}, {"YY1_LogisticsStatus_SDH": "PCK",
                          "YY1_ETA_SDH": "/Date(999999999999999)/"}),
    ("PATCH", ORDER, {}, {"YY1_LogisticsStatus_SDH": "PCK", "YY1_ShipmentID_SDH": "x" * 21}),
    ("PATCH", ORDER, {}, {"YY1_LogisticsStatus_SDH": "PCK",
                          "YY1_LogisticsStatusClass_SDH": "MAYBE"}),
    ("PATCH", ORDER, {}, {"YY1_LogisticsStatus_SDH": "PCK", "YY1_ETA_SDH": 1e400}),
    ("PATCH", "A_SalesOrderItem(SalesOrder='{order}',SalesOrderItem='10')", {},
     {"YY1_LogisticsStatus_SDH": "PCK"}),
    ("POST", f"{ORDER}/to_PricingElement", {}, {"YY1_FreightStatement_PEL": "ST-1"}),
    ("POST", f"{ORDER}/to_PricingElement", {}, {"ConditionAmount": "ten",
                                                 "YY1_FreightStatement_PEL": "ST-1"}),
    ("POST", f"{ORDER}/to_PricingElement", {}, {"ConditionAmount": "1.0001",
                                                 "YY1_FreightStatement_PEL": "ST-1"}),
    ("POST", f"{ORDER}/to_PricingElement", {}, {"ConditionAmount": "9999999999999.000",
                                                 "YY1_FreightStatement_PEL": "ST-1"}),
    ("POST", f"{ORDER}/to_PricingElement", {}, {"ConditionAmount": "5000000000",
                                                 "YY1_FreightStatement_PEL": "ST-1"}),
    ("POST", f"{ORDER}/to_PricingElement", {}, {"ConditionAmount": "NaN",
                                                 "YY1_FreightStatement_PEL": "ST-1"}),
    ("POST", f"{ORDER}/to_PricingElement", {}, {"ConditionAmount": "1.00"}),
    ("POST", f"{ORDER}/to_PricingElement", {}, {"ConditionAmount": "1.00",
                                                 "YY1_FreightStatement_PEL": "ST-1",
                                                 "ConditionCurrency": "USD"}),
    ("POST", f"{ORDER}/to_PricingElement", {}, {"ConditionAmount": "1.00",
                                                 "YY1_FreightStatement_PEL": "ST-1",
                                                 "PricingProcedureCounter": "001"}),
    ("POST", "CreateBillingDocument", {}, None),
    ("POST", "CreateBillingDocument", {"SalesOrder": "{order}"}, None),  # not quoted
    ("POST", "CreateBillingDocument", {"SalesOrder": "'SO-999999'"}, None),
    ("DELETE", ORDER, {}, None),
]


@pytest.mark.parametrize(("method", "segment", "query", "body"), BAD_WRITES)
def test_a_bad_write_gets_a_4xx_in_sap_shape(router, order, method, segment, query, body):
    headers = {**session(router), "if-match": "*"}
    path = f"{SO}/{segment}".replace("{order}", order)
    query = {k: v.replace("{order}", order) for k, v in query.items()}
    reply = router.dispatch(method, path, query, body, headers)
    assert 400 <= reply.status < 500, reply.body
    sap_refusal(reply, reply.status)


BAD_BATCHES = [
    ("multipart/mixed", b"--b1--"),                                   # no boundary
    ("application/json", b"{}"),
    ("multipart/mixed; boundary=b1", b"--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b1--"),
    ("multipart/mixed; boundary=b1", b"--b1\r\nno headers at all\r\n--b1--"),
    ("multipart/mixed; boundary=b1", b"--b1\r\nContent-Type: application/http\r\n\r\n"
                                     b"FETCH me please\r\n--b1--"),
    ("multipart/mixed; boundary=b1", b"--b1\r\n"),                    # never closed
    ("multipart/mixed; boundary=b1", b"\xff\xfe--b1--"),
    ("multipart/mixed; boundary=b1", _batch(_changeset(
        "Content-Type: application/http\r\n\r\nGET A_SalesOrder HTTP/1.1\r\n\r\n"))),
    ("multipart/mixed; boundary=b1", _batch(*[
        "Content-Type: application/http\r\n\r\nGET A_SalesOrder HTTP/1.1\r\n\r\n"] * 101)),
]


@pytest.mark.parametrize(("content_type", "content"), BAD_BATCHES)
def test_a_bad_batch_gets_a_4xx_in_sap_shape(router, content_type, content):
    reply = router.dispatch("POST", f"{SO}/$batch", headers={
        **session(router), "content-type": content_type}, content=content)
    sap_refusal(reply, 400)


def test_bad_parts_of_a_good_batch_are_answered_each_in_sap_shape(router):
    reply = post_batch(router, session(router), _batch(
        _request("GET", "A_SalesOrder('nope')"),
        _request("POST", "$batch"),
        "Content-Type: application/http\r\n\r\nPOST A_SalesOrder('x')/to_PricingElement "
        "HTTP/1.1\r\n\r\n{not json"))
    assert reply.status == 202
    text = reply.body.decode()
    assert text.count('{"error":') == 3 and "HTTP/1.1 404" in text and "HTTP/1.1 400" in text


# --- the ledger's meaning, and events ----------------------------------------------------------


def test_each_route_names_its_canonical_operation_and_order(router, order):
    path = f"{SO}/A_SalesOrder('{order}')"
    assert router.meaning(router.match("PATCH", path), {}) == (
        "erp.write_logistics_status", {"order_id": order})
    assert router.meaning(router.match("POST", f"{path}/to_PricingElement"), {}) == (
        "erp.post_freight_charges", {"order_id": order})
    item = f"{SO}/A_SalesOrderItem(SalesOrder='{order}',SalesOrderItem='10')"
    assert router.meaning(router.match("GET", item), None) == (
        "erp.get_order", {"order_id": order})
    assert router.meaning(router.match("GET", f"{BP}/A_BusinessPartner('C-00001')"), None) == (
        "erp.get_customer", {"customer_id": "C-00001"})


@pytest.mark.parametrize(("canonical", "sap"), [
    ("order.released", "sap.s4.beh.salesorder.v1.SalesOrder.Created.v1"),
    ("order.changed", "sap.s4.beh.salesorder.v1.SalesOrder.Changed.v1"),
    ("order.cancelled", "sap.s4.beh.salesorder.v1.SalesOrder.Changed.v1"),
    ("order.poisoned_thing", "sap.s4.beh.salesorder.v1.SalesOrder.PoisonedThing.v1"),
])
def test_events_are_thin_cloudevents_signed_the_standard_webhooks_way(canonical, sap):
    event = Event("evt_erp_7", canonical, "erp", 7, to_datetime(60), to_datetime(60), "ACT",
                  "corr-SO-000001", order_id="SO-000001", payload={"reason": "x"})
    body = events.render_event(event)
    cloud = json.loads(body)
    assert cloud["specversion"] == "1.0" and cloud["type"] == sap
    assert cloud["source"].startswith("/default/sap.s4.beh/")
    assert cloud["id"] == event.event_id and cloud["time"].endswith("Z")
    assert cloud["data"] == {"SalesOrder": "SO-000001"}  # keys only: read the order back
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    headers = events.sign_webhook(secret, event, 1_700_000_000, body)
    assert headers["content-type"] == "application/cloudevents+json"
    assert headers["webhook-id"] == event.event_id
    assert headers["webhook-signature"] == sign(secret, event.event_id, 1_700_000_000, body)
    forged = events.sign_webhook(secret, event, 1_700_000_000, body, "bad_signature")
    assert forged["webhook-signature"] != headers["webhook-signature"]


# --- what the dialect's faults change ---------------------------------------------------------


def test_head_on_the_service_root_fetches_a_token(router):
    reply = router.dispatch("HEAD", SO, headers={"x-csrf-token": "Fetch"})
    assert reply.status == 200 and reply.headers["x-csrf-token"] and reply.set_cookie


def test_a_concurrent_change_makes_the_etag_read_before_it_stale(router, order):
    headers = session(router)
    before = etag(router, order)
    router.core.changed(order)
    reply = router.dispatch("PATCH", f"{SO}/A_SalesOrder('{order}')",
                            body={"YY1_LogisticsStatus_SDH": "PLN"},
                            headers={**headers, "if-match": before})
    sap_refusal(reply, 412)


def test_an_order_hidden_until_later_is_not_found_until_then(router, world, order):
    router.core.hide(order, world.env.now + 60.0)
    sap_refusal(router.dispatch("GET", f"{SO}/A_SalesOrder('{order}')"), 404)
    listed = router.dispatch("GET", f"{SO}/A_SalesOrder", {"$filter": f"SalesOrder eq '{order}'"})
    assert listed.body["d"]["results"] == []
    world.env.run(until=world.env.now + 61.0)
    assert router.dispatch("GET", f"{SO}/A_SalesOrder('{order}')").status == 200


def test_a_changeset_made_to_fail_changes_nothing_and_says_so(router, world, order):
    router.core.failing_changesets = 1
    headers = session(router)
    changeset = _batch(_changeset(
        _request("PATCH", f"A_SalesOrder('{order}')", {"YY1_LogisticsStatus_SDH": "PCK"},
                 If_Match="*"),
        _request("POST", f"A_SalesOrder('{order}')/to_PricingElement",
                 {"ConditionAmount": "10.00", "YY1_FreightStatement_PEL": "ST-1"})))
    failed = post_batch(router, headers, changeset)
    assert "HTTP/1.1 409 Conflict" in failed.body.decode()
    assert world.erp.orders[order].status == "REL" and not world.erp.charge_postings
    assert "HTTP/1.1 201" in post_batch(router, headers, changeset).body.decode()  # once only
    assert world.erp.orders[order].status == "PCK"
