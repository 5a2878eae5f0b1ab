"""The `sap-s4` dialect's routes, each over one canonical ERP operation (what the ledger
records and the checks read), with the keys it concerns from its path.

Under `/sap/opu/odata/sap/API_SALES_ORDER_SRV`: `$metadata`, the service document, the
A_SalesOrder collection, any entity by key (`A_SalesOrder('SO-000001')`, an item, a partner
or a pricing element by its keys) and its navigation properties; PATCH, MERGE or PUT on a
sales order (the logistics status write-back, If-Match required); POST to its
`to_PricingElement` (a freight-charge posting); the function import `CreateBillingDocument`
(invoice release); `$batch`. Under `/sap/opu/odata/sap/API_BUSINESS_PARTNER`: `$metadata`,
the service document, A_BusinessPartner, any entity by key and its navigation properties.

Every GET hands out a CSRF token when asked (`X-CSRF-Token: Fetch`); every write is checked
for one (gateway.py). The metadata and service-document routes perform no operation (the
ledger records them with none); a collection query is recorded as the read it serves
(`erp.get_order`, `erp.get_customer`), with no keys; `CreateBillingDocument` with the order of
its query. A `$batch` performs none itself: it carries its parts (`carries`), and the ledger
records each as its own call, with its operation, its order and its answer, so that the
checks see a write inside a batch as they see one sent alone.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import wraps
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, unquote

import orjson

from seatrial.model.envelope import CLASSIFIERS
from seatrial.model.vocabulary import ERP_LIFECYCLE, RANK
from seatrial.simulators.api import (
    ApiRequest,
    Endpoint,
    Endpoints,
    Inner,
    Reply,
    Router,
    amount,
)
from seatrial.simulators.domain import Conflict, Invalid, NotFound
from seatrial.simulators.erp.core import ErpCore, Order
from seatrial.simulators.erp.dialects.sap_s4 import batch, edmx, query
from seatrial.simulators.erp.dialects.sap_s4.errors import JSON, sap_error
from seatrial.simulators.erp.dialects.sap_s4.gateway import COOKIE, TOKEN_HEADER, Gateway
from seatrial.simulators.erp.dialects.sap_s4.model import (
    PARTNER,
    PARTNERS,
    PRICING_ELEMENT,
    SALES,
    SALES_ORDER,
    EntityType,
    Service,
)
from seatrial.simulators.erp.dialects.sap_s4.resources import (
    CHILDREN,
    ETAG,
    NAVIGATION,
    entity_json,
    order_record,
    parent_record,
    partner_record,
)
from seatrial.simulators.erp.dialects.sap_s4.values import (
    decimal_json,
    parse_key,
    parse_literal,
    read_value,
)

SO, BP = SALES.path, PARTNERS.path
WRITES = frozenset({"POST", "PUT", "PATCH", "MERGE", "DELETE"})
V2 = {"dataserviceversion": "2.0"}
FREIGHT = "ZFRT"  # the freight condition type, by convention (customer conditions start with Z)
PRICING_STEP = "900"
MAX_ELEMENTS = 999  # PricingProcedureCounter has three digits
_HOST = re.compile(r"^[A-Za-z0-9.\-:\[\]]{1,255}$")


# --- what every route shares ------------------------------------------------------------------


def _session(request: ApiRequest) -> str | None:
    text = request.headers.get("cookie")
    if not text:
        return None
    try:
        jar = SimpleCookie(text)
    except CookieError:
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None else None


def csrf(handle: Callable[[Gateway, ApiRequest], Reply]) -> Callable[[Gateway, ApiRequest], Reply]:
    """A write needs the session's token (else 403, `x-csrf-token: Required`); a read that
    asks `X-CSRF-Token: Fetch` gets one, and a session cookie when it has none."""

    @wraps(handle)
    def checked(gateway: Gateway, request: ApiRequest) -> Reply:
        token = request.headers.get(TOKEN_HEADER)
        if request.method in WRITES:
            why = gateway.refuses(_session(request), token)
            if why is not None:
                reply = sap_error(403, "csrf-token-required", "Forbidden", why)
                reply.headers[TOKEN_HEADER] = "Required"
                return reply
            return handle(gateway, request)
        reply = handle(gateway, request)
        if token is not None and token.lower() == "fetch":
            value, new = gateway.fetch(_session(request))
            reply.headers[TOKEN_HEADER] = value
            if new is not None:
                reply.set_cookie = (*reply.set_cookie, f"{COOKIE}={new}; path=/; HttpOnly")
        return reply
    return checked


def _base(request: ApiRequest, service: Service) -> str:
    """The service URL `__metadata.uri` starts with: absolute when the request named its
    host, as Gateway writes it."""
    host = request.headers.get("host", "")
    return f"http://{host}{service.path}" if _HOST.match(host) else service.path


def _ok(d: Any, status: int = 200, **headers: str) -> Reply:
    return Reply(status, {"d": d}, {"content-type": JSON, **V2, **headers})


def _entity(service: Service, segment: str) -> tuple[EntityType, dict[str, str]]:
    """The entity type and key values of a path segment such as A_SalesOrder('SO-1')."""
    entity = service.by_set(segment.split("(", 1)[0])
    if entity is None or "(" not in segment:
        raise NotFound("resource for segment", segment[:80])
    return entity, parse_key(segment, entity)


def _record(gateway: Gateway, entity: EntityType, key: dict[str, str]) -> dict[str, Any]:
    """One entity's record by its key values (NotFound naming the entity when none)."""
    if entity.name in CHILDREN:
        parent, parent_key, nav = CHILDREN[entity.name]
        found = NAVIGATION[(parent.name, nav)](gateway, parent_record(
            gateway, parent, key[parent_key]))
        for child in found:
            if all(child.get(name) == value for name, value in key.items()):
                return child
        raise NotFound(entity.entity_set, ",".join(key.values()))
    return parent_record(gateway, entity, key[entity.keys[0]])


def order_subject(params: dict[str, str], _body: Any, _query: dict[str, str]
                  ) -> dict[str, str]:
    """The order a sales-order route concerns: the SalesOrder key of its path."""
    try:
        _entity_type, key = _entity(SALES, params.get("entity", ""))
    except (Invalid, NotFound):
        return {}
    return {"order_id": key["SalesOrder"]} if "SalesOrder" in key else {}


def partner_subject(params: dict[str, str], _body: Any, _query: dict[str, str]
                    ) -> dict[str, str]:
    """The customer a business-partner route concerns: its BusinessPartner key."""
    try:
        _entity_type, key = _entity(PARTNERS, params.get("entity", ""))
    except (Invalid, NotFound):
        return {}
    found = key.get("BusinessPartner")
    return {"customer_id": found} if found else {}


def no_subject(_params: dict[str, str], _body: Any, _query: dict[str, str]) -> dict[str, str]:
    return {}


def billing_subject(_params: dict[str, str], _body: Any, query: dict[str, str]
                    ) -> dict[str, str]:
    """The order a billing document is created for: the SalesOrder parameter of its query."""
    try:
        return {"order_id": parse_literal(query["SalesOrder"], "SalesOrder")}
    except (KeyError, Invalid):
        return {}


# --- reads ------------------------------------------------------------------------------------


def _metadata(service: Service) -> Reply:
    return Reply(200, edmx.document(service.name), {"content-type": edmx.XML, **V2})


def _service_document(service: Service) -> Reply:
    return _ok({"EntitySets": [entity.entity_set for entity in service.types]})


def _collection(gateway: Gateway, request: ApiRequest, service: Service, entity: EntityType,
                records: list[dict[str, Any]]) -> Reply:
    options = query.parse(request.query, service, entity, collection=True)
    page, total = query.apply(records, options)
    base = _base(request, service)
    d: dict[str, Any] = {"results": [entity_json(gateway, service, entity, record, base,
                                                 options.select, options.expand)
                                     for record in page]}
    if options.inlinecount:
        d["__count"] = str(total)
    return _ok(d)


def _single(gateway: Gateway, request: ApiRequest, service: Service) -> Reply:
    entity, key = _entity(service, request.params["entity"])
    record = _record(gateway, entity, key)
    options = query.parse(request.query, service, entity, collection=False)
    body = entity_json(gateway, service, entity, record, _base(request, service),
                       options.select, options.expand)
    if entity is SALES_ORDER:
        gateway.read(key["SalesOrder"])
    return _ok(body, **({"etag": record[ETAG]} if ETAG in record else {}))


def _navigation(gateway: Gateway, request: ApiRequest, service: Service) -> Reply:
    entity, key = _entity(service, request.params["entity"])
    record = _record(gateway, entity, key)
    nav = entity.nav(request.params["navigation"])
    if nav is None:
        raise NotFound("resource for segment", request.params["navigation"][:80])
    target = service.by_type(nav.target)
    return _collection(gateway, request, service, target,
                       NAVIGATION[(entity.name, nav.name)](gateway, record))


@csrf
def get_sales_metadata(_gateway: Gateway, _request: ApiRequest) -> Reply:
    return _metadata(SALES)


@csrf
def get_sales_service(_gateway: Gateway, _request: ApiRequest) -> Reply:
    return _service_document(SALES)


@csrf
def head_sales_service(_gateway: Gateway, _request: ApiRequest) -> Reply:
    """HEAD of the service root: where SAP's Cloud SDK fetches its CSRF token."""
    return _service_document(SALES)


@csrf
def list_sales_orders(gateway: Gateway, request: ApiRequest) -> Reply:
    return _collection(gateway, request, SALES, SALES_ORDER,
                       [order_record(gateway, order) for order in gateway.erp.orders.values()
                        if gateway.readable(order.id)])


@csrf
def get_sales_entity(gateway: Gateway, request: ApiRequest) -> Reply:
    return _single(gateway, request, SALES)


@csrf
def get_sales_navigation(gateway: Gateway, request: ApiRequest) -> Reply:
    return _navigation(gateway, request, SALES)


@csrf
def get_partner_metadata(_gateway: Gateway, _request: ApiRequest) -> Reply:
    return _metadata(PARTNERS)


@csrf
def get_partner_service(_gateway: Gateway, _request: ApiRequest) -> Reply:
    return _service_document(PARTNERS)


@csrf
def list_business_partners(gateway: Gateway, request: ApiRequest) -> Reply:
    return _collection(gateway, request, PARTNERS, PARTNER,
                       [partner_record(c) for c in gateway.erp.customers.values()])


@csrf
def get_partner_entity(gateway: Gateway, request: ApiRequest) -> Reply:
    return _single(gateway, request, PARTNERS)


@csrf
def get_partner_navigation(gateway: Gateway, request: ApiRequest) -> Reply:
    return _navigation(gateway, request, PARTNERS)


# --- writes -----------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _properties(entity: EntityType, body: Any, allowed: set[str]) -> dict[str, Any]:
    """The body's properties, read by their Edm types; `Invalid` names an unknown one, one
    this API does not take, or a value of the wrong type."""
    if not isinstance(body, dict):
        raise Invalid("body", f"a JSON object of {entity.name} properties")
    values = {}
    for name, value in body.items():
        if name == "__metadata":
            continue
        prop = entity.prop(name)
        if prop is None:
            raise Invalid(name, f"Property '{name}' is invalid: {entity.name} has no such "
                                "property")
        if name not in allowed:
            raise Invalid(name, f"not writable through this API; send only "
                                f"{', '.join(sorted(allowed))}")
        values[name] = read_value(prop, value)
    return values


def _sales_order(gateway: Gateway, request: ApiRequest) -> Order:
    entity, key = _entity(SALES, request.params["entity"])
    if entity is not SALES_ORDER:
        raise Invalid("key", "A_SalesOrder('<order>'): only sales order headers take this")
    return gateway.erp.get_order(key["SalesOrder"])


UPDATABLE = {p.name for p in SALES_ORDER.props if p.updatable}


@csrf
def update_sales_order(gateway: Gateway, request: ApiRequest) -> Reply:
    """The logistics status write-back: the YY1 custom fields of the sales order header."""
    order = _sales_order(gateway, request)
    if_match = request.headers.get("if-match")
    if if_match is None:
        return sap_error(428, "precondition-required", "Precondition required",
                         "send If-Match with the ETag of your last read of "
                         f"A_SalesOrder('{order.id}') (or *)", field="If-Match")
    if not gateway.matches(order, if_match):
        return sap_error(412, "precondition-failed", "Precondition failed",
                         f"A_SalesOrder('{order.id}') has changed since its ETag {if_match} "
                         "was read: read it again, then write", field="If-Match")
    values = _properties(SALES_ORDER, request.body, UPDATABLE)
    status = values.get("YY1_LogisticsStatus_SDH")
    if status not in RANK:
        raise Invalid("YY1_LogisticsStatus_SDH", f"the logistics status, one of "
                      f"{', '.join(ERP_LIFECYCLE)} (map TMS and last-mile codes first)")
    classifier = values.get("YY1_LogisticsStatusClass_SDH") or "ACT"
    if classifier not in CLASSIFIERS:
        raise Invalid("YY1_LogisticsStatusClass_SDH", f"one of {', '.join(CLASSIFIERS)}")
    event_time = _iso(values.get("YY1_LogisticsEventTime_SDH"))
    gateway.erp.write_logistics_status(
        order, status, classifier, values.get("YY1_ShipmentID_SDH") or None,
        _iso(values.get("YY1_ETA_SDH")), event_time, request.correlation_id)
    gateway.changed(order.id)
    gateway.extras[order.id] = {"classifier": classifier, "event_time": event_time or ""}
    # no content; the content-type only because a raw body must say what it is (api.raw_body)
    return Reply(204, b"", {"etag": gateway.etag(order), "content-type": JSON, **V2})


PRICING_WRITABLE = {"SalesOrder", "ConditionType", "ConditionAmount", "ConditionCurrency",
                    "YY1_FreightStatement_PEL", "YY1_ShipmentID_PEL"}


@csrf
def create_pricing_element(gateway: Gateway, request: ApiRequest) -> Reply:
    """A freight-charge posting: one header pricing element for the statement's total."""
    order = _sales_order(gateway, request)
    values = _properties(PRICING_ELEMENT, request.body, PRICING_WRITABLE)
    if values.get("SalesOrder", order.id) != order.id:
        raise Invalid("SalesOrder", f"{order.id}, the order of the path, or leave it out")
    if values.get("ConditionAmount") is None:
        raise Invalid("ConditionAmount", "the statement's total, a decimal string")
    total = amount(float(values["ConditionAmount"]), "ConditionAmount", "the statement's total")
    statement = values.get("YY1_FreightStatement_PEL")
    if not statement:
        raise Invalid("YY1_FreightStatement_PEL", "the TMS charge statement id")
    if values.get("ConditionCurrency", order.currency) != order.currency:
        raise Invalid("ConditionCurrency", f"{order.currency}, the order's currency")
    elements = gateway.elements.setdefault(order.id, [])
    if len(elements) >= MAX_ELEMENTS:
        raise Conflict(f"A_SalesOrder('{order.id}') holds {MAX_ELEMENTS} pricing elements, "
                       "as many as a pricing procedure counts")
    condition = values.get("ConditionType") or FREIGHT
    shipment = values.get("YY1_ShipmentID_PEL") or None
    posting = gateway.erp.post_freight_charges(
        order, statement, [{"code": condition, "amount": total}], total, shipment,
        request.correlation_id)
    record = {"SalesOrder": order.id, "PricingProcedureStep": PRICING_STEP,
              "PricingProcedureCounter": f"{len(elements) + 1:03d}", "ConditionType": condition,
              "ConditionAmount": posting.total, "ConditionCurrency": order.currency,
              "YY1_FreightStatement_PEL": statement, "YY1_ShipmentID_PEL": shipment or ""}
    elements.append(record)
    gateway.changed(order.id)
    body = entity_json(gateway, SALES, PRICING_ELEMENT, record, _base(request, SALES))
    return _ok(body, 201, location=body["__metadata"]["uri"])


@csrf
def create_billing_document(gateway: Gateway, request: ApiRequest) -> Reply:
    """Invoice release, as a function import: SalesOrder='<order>' in the query."""
    given = request.query.get("SalesOrder")
    if given is None:
        raise Invalid("SalesOrder", "the parameter SalesOrder='<order>' in the query")
    order = gateway.erp.get_order(parse_literal(given, "SalesOrder"))
    invoice = gateway.erp.release_invoice(order, request.correlation_id)
    return _ok({"CreateBillingDocument": {
        "__metadata": {"type": SALES.qualified("BillingDocumentResult")},
        "BillingDocument": invoice.id, "SalesOrder": order.id,
        "TotalNetAmount": decimal_json(invoice.amount, 3),
        "FreightAmount": decimal_json(invoice.freight, 3),
        "TransactionCurrency": order.currency}})


# --- $batch -----------------------------------------------------------------------------------

#: What each part of a batch inherits from the batch request (its session, above all).
INHERITED = ("cookie", TOKEN_HEADER, "host", "x-correlation-id")


def _target(part: batch.Part) -> tuple[str, dict[str, str]]:
    """A part's path (its URL is relative to the service root) and query."""
    path, _, text = part.url.partition("?")
    return unquote(path if path.startswith("/") else f"{SO}/{path}"), dict(parse_qsl(text))


def _json(part: batch.Part) -> Any:
    """A part's body as JSON (None without one), or orjson.JSONDecodeError."""
    return orjson.loads(part.body) if part.body else None


def _inherited(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: headers[k] for k in INHERITED if k in headers}


def carries(content: bytes | None, headers: Mapping[str, str]) -> list[Inner]:
    """A batch's requests, changesets' included, in the order `post_batch` runs them (none
    when the batch cannot be read: it is answered 400 as a whole). A part whose body is not
    JSON carries none (it is answered 400 on its own)."""
    try:
        parts = batch.parse(content or b"", headers.get("content-type"))
    except Invalid:
        return []
    inherited = _inherited(headers)
    found = []
    for part in (p for item in parts for p in (item if isinstance(item, list) else [item])):
        path, query_ = _target(part)
        try:
            body = _json(part)
        except orjson.JSONDecodeError:
            body = None
        found.append(Inner(part.method, path, query_, body, {**inherited, **part.headers}))
    return found


def _run(router: Router, part: batch.Part, inherited: dict[str, str]) -> Reply:
    path, query_ = _target(part)
    if path.rstrip("/").endswith("$batch"):
        return sap_error(400, "invalid-field", "Invalid batch part", "a $batch inside a $batch",
                         field="body")
    try:
        body = _json(part)
    except orjson.JSONDecodeError as error:
        return sap_error(400, "malformed-json", "Malformed JSON body",
                         f"a batch part's body is not JSON ({error})", field="body")
    return router.dispatch(part.method, path, query_, body, {**inherited, **part.headers})


def _order(router: Router, part: batch.Part) -> str | None:
    """The order a batch part concerns, as the ledger records it (None for a part that names
    none, or whose body is not JSON: it is refused before it writes)."""
    path, query_ = _target(part)
    try:
        body = _json(part)
    except orjson.JSONDecodeError:
        return None
    return router.meaning(router.match(part.method, path), body, query_)[1].get("order_id")


def _answer(reply: Reply) -> batch.Answer:
    """A reply as a batch part answers it."""
    kept = {k: v for k, v in reply.headers.items() if k in ("content-type", "etag", "location")}
    payload = reply.body if isinstance(reply.body, bytes) else orjson.dumps(reply.body)
    return batch.Answer(reply.status, kept, payload)


def _changeset(gateway: Gateway, router: Router, part: list[batch.Part],
               inherited: dict[str, str]) -> tuple[Reply | None, list[Reply]]:
    """(the failure that answers for the whole changeset, or None; what each part answered)."""
    restore = gateway.savepoint({_order(router, inner) for inner in part} - {None})
    done: list[Reply] = []
    for inner in part:
        reply = _run(router, inner, inherited)
        if reply.status < 400 and len(done) == len(part) - 1 and gateway.failing_changesets:
            gateway.failing_changesets -= 1
            reply = sap_error(409, "locked", "Conflict", "the sales document is currently "
                              "being processed by another user: the changeset was not "
                              "applied; retry it")
        if reply.status >= 400:
            restore()
            return reply, [reply] * len(part)
        done.append(reply)
    return None, done


@csrf
def post_batch(gateway: Gateway, request: ApiRequest) -> Reply:
    """Each part through this dialect's own routes; a changeset all or nothing: the first
    part that fails undoes the ones before it and answers for the whole changeset (for each
    of its parts, in the reply's `inner`)."""
    if request.content is None:
        raise Invalid("Content-Type", "multipart/mixed; boundary=<batch boundary>, with the "
                                      "batch as its body")
    parts = batch.parse(request.content, request.headers.get("content-type"))
    router = Router(TABLE, gateway, sap_error)
    inherited = _inherited(request.headers)
    answers: list[batch.Answer | list[batch.Answer]] = []
    replies: list[Reply] = []
    for part in parts:
        if isinstance(part, batch.Part):
            reply = _run(router, part, inherited)
            answers.append(_answer(reply))
            replies.append(reply)
            continue
        failed, each = _changeset(gateway, router, part, inherited)
        answers.append([_answer(r) for r in each] if failed is None else _answer(failed))
        replies.extend(each)
    mark = "batchresponse_" + hashlib.sha256(request.content).hexdigest()[:24]
    return Reply(202, batch.render(answers, mark),
                 {"content-type": f"{batch.MULTIPART}; boundary={mark}", **V2},
                 inner=tuple(replies))


# --- the table --------------------------------------------------------------------------------

_ORDER = "{entity}"
ENDPOINTS = (
    Endpoint("GET", f"{SO}/$metadata", get_sales_metadata, None,
             "The sales order service's EDMX", 200, "Edmx", subject=no_subject),
    Endpoint("GET", SO, get_sales_service, None,
             "The sales order service document (fetch a CSRF token here)", 200,
             "ServiceDocument", subject=no_subject),
    Endpoint("HEAD", SO, head_sales_service, None,
             "The sales order service root, headers only (fetch a CSRF token here)", 200,
             "ServiceDocument", subject=no_subject),
    Endpoint("GET", f"{SO}/A_SalesOrder", list_sales_orders, ErpCore.get_order,
             "Query sales orders ($filter, $select, $expand, $orderby, $top, $skip, "
             "$inlinecount)", 200, "EntityCollection", subject=no_subject),
    Endpoint("POST", f"{SO}/$batch", post_batch, None,
             "A batch of requests and changesets (multipart/mixed)", 202, "Batch",
             "Batch", subject=no_subject, carries=carries),
    Endpoint("POST", f"{SO}/CreateBillingDocument", create_billing_document,
             ErpCore.release_invoice, "Release the invoice (function import)", 200,
             "BillingDocumentResult", subject=billing_subject),
    Endpoint("GET", f"{SO}/{_ORDER}", get_sales_entity, ErpCore.get_order,
             "Read a sales order (or an item, partner or pricing element) by key", 200,
             "Entity", subject=order_subject),
    Endpoint("GET", f"{SO}/{_ORDER}/{{navigation}}", get_sales_navigation, ErpCore.get_order,
             "Read a navigation property of a sales order", 200, "EntityCollection",
             subject=order_subject),
    *(Endpoint(method, f"{SO}/{_ORDER}", update_sales_order, ErpCore.write_logistics_status,
               "Write back the logistics status (custom fields), If-Match required", 204,
               "Empty", "SalesOrderUpdate", subject=order_subject)
      for method in ("PATCH", "MERGE", "PUT")),
    Endpoint("POST", f"{SO}/{_ORDER}/to_PricingElement", create_pricing_element,
             ErpCore.post_freight_charges, "Post freight charges (a pricing element)", 201,
             "Entity", "PricingElementCreate", subject=order_subject),
    Endpoint("GET", f"{BP}/$metadata", get_partner_metadata, None,
             "The business partner service's EDMX", 200, "Edmx", subject=no_subject),
    Endpoint("GET", BP, get_partner_service, None,
             "The business partner service document", 200, "ServiceDocument",
             subject=no_subject),
    Endpoint("GET", f"{BP}/A_BusinessPartner", list_business_partners, ErpCore.get_customer,
             "Query business partners", 200, "EntityCollection", subject=no_subject),
    Endpoint("GET", f"{BP}/{_ORDER}", get_partner_entity, ErpCore.get_customer,
             "Read a business partner (or its address or email) by key", 200, "Entity",
             subject=partner_subject),
    Endpoint("GET", f"{BP}/{_ORDER}/{{navigation}}", get_partner_navigation,
             ErpCore.get_customer, "Read a navigation property of a business partner", 200,
             "EntityCollection", subject=partner_subject),
)

TABLE = Endpoints("erp", ENDPOINTS)
