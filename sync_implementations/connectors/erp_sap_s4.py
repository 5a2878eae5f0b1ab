"""The ERP in SAP S/4HANA's OData V2 (API_SALES_ORDER_SRV), as an S/4HANA customer exposes
the logistics write-backs (docs/dialects.md#sap-s4).

- Session: a CSRF token bound to the session cookie, fetched with `X-CSRF-Token: Fetch` (on
  the first read, or a `HEAD` of the service root) and kept in the durable store with the
  cookies; a write refused 403 `x-csrf-token: Required` (the session ended) fetches a new
  one and is sent again.
- ETags: the logistics status is a PATCH of the order's `YY1_*_SDH` fields with `If-Match`
  the ETag of the last read (kept per order); 412 (changed meanwhile) or 428 re-reads the
  order and writes again. After a lost answer the order is read first: written already, the
  write is done (sent again, its ETag would be stale: the write itself changed it).
- `$batch`: the status write-back and the freight charges go as a changeset of one write each
  in a `$batch` (`batched`; the invoice, a function import, goes on its own). The batch
  answers 202 whatever became of its changesets: each changeset's own answer is read
  (`odata_batch`), a 403 or 412 in it handled as above, and a changeset that failed as a
  whole (409: the document is being processed by another user) is sent again after
  `LOCKED_WAIT` seconds.
- Thin events: an event carries the order's key only (`thin`); the order is read back, and an
  order that is not readable yet (404) is read again for up to `readable_within` seconds.
- No Idempotency-Key is honoured, so a write whose answer was lost is looked up before it is
  sent again: a freight posting by `$filter` on its statement id among the order's pricing
  elements, an invoice by the order's billing status (`OverallOrdReltdBillgStatus` C).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from seatrial.sdk import Call, Cookies, Handler, Response
from seatrial.sync_implementations.connectors import odata_batch
from seatrial.sync_implementations.connectors.base import Order, Parked
from seatrial.sync_implementations.connectors.erp import Erp

SERVICE = "/sap/opu/odata/sap/API_SALES_ORDER_SRV"
SESSION = "sap-s4/session"  # {"token": ..., "cookies": [[name, value], ...]}
TOKEN = "x-csrf-token"
READ_AGAIN = 60.0
#: a changeset refused as a whole (the document locked), and the wait before sending it again
LOCKED, LOCKED_WAIT = 409, 5.0
FIELDS = {"status": "YY1_LogisticsStatus_SDH", "classifier": "YY1_LogisticsStatusClass_SDH",
          "shipment_id": "YY1_ShipmentID_SDH", "eta": "YY1_ETA_SDH",
          "event_time": "YY1_LogisticsEventTime_SDH"}


def _order(order_id: str) -> str:
    return f"{SERVICE}/A_SalesOrder('{_literal(order_id)}')"


def _literal(text: str) -> str:
    return text.replace("'", "''")


def _etag_key(order_id: str) -> str:
    return f"sap-s4/etag/{order_id}"


def _ship_to(partners: list[dict[str, Any]]) -> dict[str, Any]:
    """The ship-to partner's (WE) address, in the canonical shape."""
    for partner in partners:
        if partner.get("PartnerFunction") == "WE":
            address = {"street": partner.get("StreetName"), "city": partner.get("CityName"),
                       "postcode": partner.get("PostalCode")}
            if partner.get("Country"):
                address["country"] = partner["Country"]
            return address
    raise Parked("the sales order has no ship-to partner (WE)")


def _lines(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lines = []
    for item in items:
        quantity = Decimal(item["RequestedQuantity"])
        unit = Decimal(item["NetAmount"]) / quantity if quantity else Decimal(0)
        lines.append({"line": int(item["SalesOrderItem"]) // 10, "sku": item["Material"],
                      "quantity": int(quantity), "unit_price": float(round(unit, 2))})
    return lines


class SapErp(Erp):
    thin = True
    #: CSRF refetches and ETag re-reads for one write, before it is parked: other users may
    #: keep changing a busy order (sap-etag-conflicts: 3 reads in 10 go stale at once, so 5
    #: tries lost one write in some 400)
    write_attempts = 20
    #: seconds an order a thin event announced is read again while it answers 404
    readable_within = 3600.0
    #: the status write-back and the charges go through `$batch` changesets
    batched = True

    # --- the session ------------------------------------------------------------------------

    def _session(self) -> dict[str, Any]:
        return self.io.store.get(SESSION) or {}

    def _headers(self, etag: str | None = None) -> dict[str, str]:
        session = self._session()
        cookies = Cookies(tuple((name, value) for name, value in session.get("cookies", ())))
        headers = {**cookies.headers(), TOKEN: session.get("token") or "Fetch"}
        if etag is not None:
            headers["if-match"] = etag
        return headers

    def _keep(self, response: Response) -> None:
        """The session an answer hands out: its token and cookies, kept durably."""
        session = self._session()
        jar = Cookies(tuple((n, v) for n, v in session.get("cookies", ()))).take(response)
        token = response.headers.get(TOKEN)
        if token and token.lower() != "required":
            session = {**session, "token": token}
        self.io.store.put(SESSION, {**session, "cookies": [list(pair) for pair in jar.pairs]})

    def _fetch(self, corr: str | None) -> Handler:
        """A new token (and session): HEAD of the service root, as SAP's Cloud SDK does."""
        self.io.store.put(SESSION, {**self._session(), "token": None})
        self._keep((yield from self.send(self.io.erp.request(
            "HEAD", SERVICE, headers=self._headers(), correlation_id=corr))))

    # --- reads ------------------------------------------------------------------------------

    def _read(self, order_id: str, corr: str | None) -> Handler:
        """The sales order with its items and partners (`d`), its ETag kept for the next
        write; an order not readable yet is read again, up to `readable_within`."""
        waited = 0.0
        while True:
            response = yield from self.send(self.io.erp.request(
                "GET", _order(order_id), params={"$expand": "to_Item,to_Partner"},
                headers=self._headers(), correlation_id=corr), accept=(404,))
            if response.status_code != 404:
                break
            if waited >= self.readable_within:
                raise Parked(f"sales order {order_id} not readable for {waited:.0f} s")
            yield self.io.sleep(READ_AGAIN)
            waited += READ_AGAIN
        self._keep(response)
        record = response.json()["d"]
        etag = response.headers.get("etag") or record["__metadata"].get("etag")
        self.io.store.put(_etag_key(order_id), etag)
        return record

    def read_order(self, order_id: str, corr: str | None) -> Handler:
        record = yield from self._read(order_id, corr)
        return Order(record["OverallSDDocumentRejectionSts"] == "C",
                     _ship_to(record["to_Partner"]["results"]),
                     _lines(record["to_Item"]["results"]),
                     record.get("YY1_ShipmentID_SDH") or None)

    # --- writes -----------------------------------------------------------------------------

    def _write(self, method: str, path: str, order_id: str, corr: str | None, *,
               json: Any = None, params: dict[str, str] | None = None,
               key: str | None = None, recheck: Any = None) -> Handler:
        """One write with the session's token (and, for a PATCH, the order's ETag): a stale
        token is fetched anew, a stale ETag read anew, and the write sent again."""
        for _attempt in range(self.write_attempts):
            if not self._session().get("token"):
                yield from self._fetch(corr)
            etag = None
            if method == "PATCH":
                if self.io.store.get(_etag_key(order_id)) is None:
                    yield from self._read(order_id, corr)
                etag = self.io.store.get(_etag_key(order_id))
            call = self.io.erp.request(method, path, json=json, params=params,
                                       headers=self._headers(etag), idempotency_key=key,
                                       correlation_id=corr)
            response = yield from self._exchange(call, recheck)
            status = response.status_code
            if status == LOCKED:
                yield self.io.sleep(LOCKED_WAIT)
            elif status == 403 and response.headers.get(TOKEN, "").lower() == "required":
                self.io.store.put(SESSION, {**self._session(), "token": None})
            elif status in (412, 428):
                self.io.store.delete(_etag_key(order_id))
            elif response.ok:
                if response.headers.get("etag"):
                    self.io.store.put(_etag_key(order_id), response.headers["etag"])
                return response
            else:
                raise Parked(f"{method} {path} answered {status}: {response.text[:200]}")
        raise Parked(f"{method} {path}: CSRF token, ETag or lock refused {self.write_attempts} "
                     "times")

    def _exchange(self, call: Call, recheck: Any) -> Handler:
        """The write's answer: sent as it is, or (`batched`, a write to an entity) as the one
        write of a changeset in a `$batch`, its answer the changeset's, not the batch's."""
        refusals = (403, 412, 428, LOCKED)
        if not self.batched or call.params:
            return (yield from self.send(call, accept=refusals, recheck=recheck))
        content, kind = odata_batch.changeset(call, SERVICE)
        answer = yield from self.send(self.io.erp.request(
            "POST", f"{SERVICE}/$batch", content=content,
            headers={**self._headers(), "content-type": kind},
            idempotency_key=call.idempotency_key, correlation_id=call.correlation_id),
            accept=refusals, recheck=recheck)
        return odata_batch.answer(answer) if answer.status_code == 202 else answer

    def write_status(self, order_id: str, fields: dict[str, Any], key: str | None,
                     corr: str | None) -> Handler:
        body = {FIELDS[name]: value for name, value in fields.items()
                if name in FIELDS and value is not None}
        settled = ("YY1_LogisticsStatus_SDH", "YY1_LogisticsStatusClass_SDH",
                   "YY1_ShipmentID_SDH")

        def recheck() -> Handler:  # the order as written already (its new ETag kept)?
            record = yield from self._read(order_id, corr)
            wanted = {"YY1_LogisticsStatusClass_SDH": "ACT", **body}
            return Response(204, None) if all(
                record.get(name) == wanted[name] for name in settled if name in wanted) \
                else None

        yield from self._write("PATCH", _order(order_id), order_id, corr, json=body, key=key,
                               recheck=recheck)

    def post_charges(self, order_id: str, statement: dict[str, Any], key: str | None,
                     corr: str | None) -> Handler:
        path = f"{_order(order_id)}/to_PricingElement"
        statement_id = statement["statement_id"]
        body = {"ConditionType": "ZFRT", "ConditionAmount": f"{statement['total']:.2f}",
                "YY1_FreightStatement_PEL": statement_id}
        if statement.get("shipment_id"):
            body["YY1_ShipmentID_PEL"] = statement["shipment_id"]

        def recheck() -> Handler:
            found = (yield from self.send(self.io.erp.request(
                "GET", path, params={
                    "$filter": f"YY1_FreightStatement_PEL eq '{_literal(statement_id)}'"},
                headers=self._headers(), correlation_id=corr))).json()["d"]["results"]
            return Response(201, {"d": found[0]}) if found else None

        yield from self._write("POST", path, order_id, corr, json=body, key=key,
                               recheck=recheck)

    def release_invoice(self, order_id: str, proof: dict[str, Any], key: str | None,
                        corr: str | None) -> Handler:
        def recheck() -> Handler:
            record = yield from self._read(order_id, corr)
            return Response(200, {"d": record}) if \
                record.get("OverallOrdReltdBillgStatus") == "C" else None

        yield from self._write("POST", f"{SERVICE}/CreateBillingDocument", order_id, corr,
                               params={"SalesOrder": f"'{_literal(order_id)}'"}, key=key,
                               recheck=recheck)
