"""The ERP in SAP S/4HANA's dialect (`sap-s4`): OData V2 in the style of the public
API_SALES_ORDER_SRV and API_BUSINESS_PARTNER, as a sync implementation meets them at an
S/4HANA customer. A scenario picks it with `dialects: {erp: sap-s4}`.

The parts, each its own module: model (the entity model, declared once), edmx (`$metadata`),
values (OData V2 JSON values and keys), query (`$filter` and the other options), gateway (CSRF
sessions and ETags), resources (the ERP's records as entities), batch (`$batch` wire form),
endpoints (the routes over the core's operations), errors (SAP's error body), auth (Basic),
events (CloudEvents in SAP's style), document (its OpenAPI description).

How an S/4HANA customer does the lifecycle's writes, and so how this dialect takes them:
- the logistics status write-back: PATCH (or MERGE, PUT) of the sales order header's custom
  fields `YY1_LogisticsStatus_SDH`, `YY1_LogisticsStatusClass_SDH`, `YY1_ShipmentID_SDH`,
  `YY1_ETA_SDH`, `YY1_LogisticsEventTime_SDH` (key-user extensibility), with If-Match
  (428 without one, as S/4HANA Cloud answers; 412 when stale; `*` is taken);
- freight charges: POST of one header pricing element per statement to
  `A_SalesOrder('<order>')/to_PricingElement`, condition type ZFRT, the statement's total as
  ConditionAmount and its id in the custom field `YY1_FreightStatement_PEL`;
- invoice release: the function import `CreateBillingDocument?SalesOrder='<order>'` (POST).

Where this departs from SAP (said again in docs/dialects.md, `## sap-s4`): keys are Seatrial's
ids (SO-000001, C-00001), not SAP's number ranges; the ship-to address sits on the partner
entity (SAP has a `to_Address` below it); the business partner's address id is the partner's
id; SAP's public sales order API has no billing action (S/4HANA bills through the billing due
list), so `CreateBillingDocument` is a customer-style function import in SAP's conventions;
error codes are SAP-shaped but ours; a CSRF refusal carries SAP's JSON error body where
Gateway answers plain text; `$select` applies to the top level only; `$filter` takes `eq` and
`ne` on string properties with and / or; no Atom, no deep insert, no `$count` segment, no
Content-ID references in `$batch`. In the ledger, `$metadata` and the service documents are
recorded with no operation; the collection queries as the read they serve (`erp.get_order`,
`erp.get_customer`) with no keys; the billing function import as `erp.release_invoice` with
the order of its query; a `$batch` with no operation of its own, each of its parts beside it
as its own call (its operation, order and answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seatrial.simulators.api import Router
from seatrial.simulators.dialect import Dialect
from seatrial.simulators.erp.dialects.sap_s4 import auth, batch, document, endpoints, events
from seatrial.simulators.erp.dialects.sap_s4.errors import sap_error
from seatrial.simulators.erp.dialects.sap_s4.gateway import Gateway


@dataclass(frozen=True, eq=False)
class ODataDialect(Dialect):
    """A dialect whose handlers need Gateway state beside the core (sessions, ETags): its
    router serves a `Gateway` over the core (`router.core.erp` is the core)."""

    def router(self, core: Any, mailbox: Any = None) -> Router:
        return Router(self.table, Gateway(core), self.errors)


DIALECT = ODataDialect(
    "sap-s4", "erp", "ERP", endpoints.ENDPOINTS, document.SCHEMAS, document.describe,
    errors=sap_error, auth=auth.AUTH, render_event=events.render_event,
    sign_webhook=events.sign_webhook, raw_media_types=frozenset({batch.MULTIPART}))
