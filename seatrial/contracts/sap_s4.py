"""What a sync implementation expects of the ERP speaking SAP S/4HANA's OData V2 (the `sap-s4`
dialect, docs/dialects.md#sap-s4): the reference's calls and the business events it consumes,
as `expectations` declares them for the canonical API.

The journey is the canonical one in SAP's words. Events are thin CloudEvents (`Created` for a
release, `Changed` for an address change and for a cancellation), so the reference reads the
sales order back (`$expand=to_Item,to_Partner`) on each, and again before it bills: the same
request, answered as released until the cancellation (`LATER`: from then on rejected,
OverallSDDocumentRejectionSts C). Its writes fetch a CSRF token first (a HEAD of the service
root with `X-CSRF-Token: Fetch`) and carry it with the session cookie: the status as a PATCH
of the `YY1_*_SDH` fields with If-Match, freight charges as a pricing element, the invoice as
the `CreateBillingDocument` function import. Credentials: HTTP Basic, the communication user.

The pacts are written from the reference with its writes sent one request each
(`WritesOneByOne`): by default its SAP connector sends the status and the charges as
changesets of a `$batch`, whose multipart body carries a boundary and an If-Match ETag inside
it that Pact can only match as exact text. The pacts record the single writes those
changesets are made of; the `$batch` path is judged by the scenarios (sap-batch-failures).

The token and session cookie are the ones the Gateway hands out first in an empty world (its
tokens are counters run through SHA-256), so that the provider state `a CSRF token was
fetched` gets the simulators to exactly this session.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pact import Pact, match

from seatrial.contracts.expectations import (
    ADDRESS,
    CHARGE_TOTAL,
    CORRELATION,
    ISO_TIME,
    NEW_ADDRESS,
    ORDER,
    RELEASED,
    SHIPMENT,
    SIGNATURE,
    STATEMENT,
    Message,
    State,
    at,
    call,
    of_order,
    one_of,
    text,
)
from seatrial.model.envelope import EPOCH
from seatrial.model.vocabulary import ERP_LIFECYCLE, ERP_RETURNED
from seatrial.sync_implementations.connectors import Connectors, speaking
from seatrial.sync_implementations.connectors.erp_sap_s4 import SapErp
from seatrial.sync_implementations.reference import ReferenceSync


class _OneWriteEach(SapErp):
    batched = False


class WritesOneByOne(ReferenceSync):
    """The reference, its SAP writes one request each rather than `$batch` changesets."""

    def connectors(self) -> Connectors:
        return speaking("erp", "sap-s4", _OneWriteEach)

SERVICE = "/sap/opu/odata/sap/API_SALES_ORDER_SRV"
ORDER_PATH = f"{SERVICE}/A_SalesOrder('{ORDER}')"
ORDER_PATTERN = rf"^{SERVICE}/A_SalesOrder\('[^']+'\)"
BASIC = ("Basic c2VhdHJpYWwtc3V0OmNvbnRyYWN0LWNsaWVudC1zZWNyZXQ=",
         r"^Basic [A-Za-z0-9+/]+={0,2}$")
TOKEN, SESSION = "Lae4bLUPwDY8WVYHK+XJng==", "918d7aeddb3052a304f66d1f9e9cec7a"
COOKIE = "SAP_SESSIONID_S4H_100"
FETCHED: State = ("a CSRF token was fetched", {"token": TOKEN, "session": SESSION})
ETAG = "W/\"datetime'2026-01-05T00%3A00%3A00.0000000'\""
ETAG_PATTERN = r"^W/\"datetime'[0-9A-Za-z%.\-]+'\"$"
DECIMAL = r"^-?\d+\.\d+$"
EVENT_TYPE = "sap.s4.beh.salesorder.v1.SalesOrder.{}.v1"
CANCELLED_EVENT = "evt_erp_0000003"  # from its delivery on, the order reads as rejected


def _session(interaction: Any) -> Any:
    """A write's CSRF token and the session cookie it is bound to."""
    interaction.with_header("x-csrf-token", text(TOKEN))
    interaction.with_header("Cookie", match.regex(f"{COOKIE}={SESSION}",
                                                  regex=rf"(^|; ){COOKIE}=\w+"))
    return interaction


def _write(pact: Pact, description: str, method: str, path: str, pattern: str,
           **options: Any) -> Any:
    return _session(call(pact, description, [RELEASED, FETCHED], method, path, pattern,
                         authorization=BASIC, **options))


def _read(pact: Pact, description: str, states: list[State], rejection: str,
          address: dict[str, str]) -> None:
    """The sales order read back with its items and partners, and its ETag."""
    (call(pact, description, states, "GET", ORDER_PATH, f"{ORDER_PATTERN}$",
          authorization=BASIC)
     .with_query_parameter("$expand", "to_Item,to_Partner")
     .will_respond_with(200)
     .with_header("etag", match.regex(ETAG, regex=ETAG_PATTERN))
     .with_body({"d": {
         "__metadata": {"etag": match.regex(ETAG, regex=ETAG_PATTERN)},
         "SalesOrder": text(ORDER),
         "OverallSDDocumentRejectionSts": one_of(rejection, ("", "A", "B", "C")),
         "YY1_ShipmentID_SDH": text(""),
         "to_Item": {"results": match.each_like({
             "SalesOrderItem": match.regex("10", regex=r"^\d+$"), "Material": text("SKU-00042"),
             "RequestedQuantity": match.regex("2.000", regex=DECIMAL),
             "NetAmount": match.regex("99.000", regex=DECIMAL)})},
         "to_Partner": {"results": match.each_like({
             "PartnerFunction": text("WE"), "StreetName": text(address["street"]),
             "CityName": text(address["city"]), "PostalCode": text(address["postcode"]),
             "Country": text(address["country"])})}}},
         content_type="application/json"))


def api(pact: Pact) -> None:
    (call(pact, "a CSRF token fetch", [], "HEAD", SERVICE, f"^{SERVICE}$",
          authorization=BASIC)
     .with_header("x-csrf-token", "Fetch")
     .will_respond_with(200)
     .with_header("x-csrf-token", text(TOKEN))
     # by type: Pact matches a Set-Cookie value part by part (name=value, path, flags)
     .with_header("set-cookie", text(f"{COOKIE}={SESSION}; path=/; HttpOnly")))
    _read(pact, "a read of a released sales order", [RELEASED], "A", ADDRESS)
    writable = (*ERP_LIFECYCLE, ERP_RETURNED)
    status = one_of("PLN", writable)
    for description, key, body in (
            ("an actual logistics status", f"status-{ORDER}-PLN",
             {"YY1_LogisticsStatus_SDH": status, "YY1_LogisticsStatusClass_SDH": "ACT",
              "YY1_ShipmentID_SDH": text(SHIPMENT), "YY1_LogisticsEventTime_SDH": at(0)}),
            ("an estimated logistics status", "eta-evt_tms_0000001",
             {"YY1_LogisticsStatus_SDH": status, "YY1_LogisticsStatusClass_SDH": "EST",
              "YY1_ETA_SDH": at(540), "YY1_LogisticsEventTime_SDH": at(540)})):
        (_write(pact, description, "PATCH", ORDER_PATH, f"{ORDER_PATTERN}$", key=key,
                body=body)
         .with_header("If-Match", match.regex(ETAG, regex=ETAG_PATTERN))
         .will_respond_with(204)
         .with_header("etag", match.regex(ETAG, regex=ETAG_PATTERN)))
    (_write(pact, "final freight charges", "POST", f"{ORDER_PATH}/to_PricingElement",
            rf"{ORDER_PATTERN}/to_PricingElement$", key=f"charges-{STATEMENT}",
            body={"ConditionType": "ZFRT",
                  "ConditionAmount": match.regex(f"{CHARGE_TOTAL:.2f}", regex=DECIMAL),
                  "YY1_FreightStatement_PEL": text(STATEMENT),
                  "YY1_ShipmentID_PEL": text(SHIPMENT)})
     .will_respond_with(201))
    (_write(pact, "an invoice release", "POST", f"{SERVICE}/CreateBillingDocument",
            rf"^{SERVICE}/CreateBillingDocument$", key=f"invoice-{ORDER}")
     .with_query_parameter("SalesOrder", match.regex(f"'{ORDER}'", regex=r"^'[^']+'$"))
     .will_respond_with(200))


def cancelled(pact: Pact) -> None:
    """After the cancellation: the order read back is rejected."""
    _read(pact, "a read of a cancelled sales order",
          [RELEASED, of_order("the order is cancelled")], "C", NEW_ADDRESS)


LATER = ((CANCELLED_EVENT, cancelled),)


def _event(seq: int, description: str, states: tuple[State, ...], word: str,
           minutes: float) -> Message:
    """A thin CloudEvent: the order's key, and the correlation id as an extension."""
    event_id = f"evt_erp_{seq:07d}"
    when = (EPOCH + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
    body = {"specversion": "1.0", "type": EVENT_TYPE.format(word),
            "source": text("/default/sap.s4.beh/S4HCLNT100"), "id": text(event_id),
            "time": match.regex(when, regex=ISO_TIME),
            "correlationid": text(CORRELATION), "data": {"SalesOrder": text(ORDER)}}
    metadata = {"webhook-id": text(event_id),
                "webhook-timestamp": match.regex(str(int(EPOCH.timestamp())), regex=r"^\d+$"),
                "webhook-signature": match.regex("v1," + "A" * 43 + "=", regex=SIGNATURE)}
    return Message("erp", description, states, body, metadata)


# In the order the ERP records them (minutes into the journey, as the canonical ones).
MESSAGES = (
    _event(1, "an order released", (RELEASED,), "Created", 0),
    _event(2, "a delivery address change", (RELEASED, of_order("the delivery address changed")),
           "Changed", 330),
    _event(3, "an order cancelled", (RELEASED, of_order("the order is cancelled")), "Changed",
           780),
)
