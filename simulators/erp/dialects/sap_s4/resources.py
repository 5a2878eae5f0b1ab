"""The ERP's records as the two services' entities: each record a dict of property values
(str, Decimal-ready float, datetime), and each entity in OData V2 JSON with its `__metadata`
(uri, type, and etag for a sales order), its navigation properties deferred or, with
`$expand`, inline as `{"results": [...]}`.

How the canonical order maps (departures from SAP in the package docstring): the order's id
is the SalesOrder key as it is (SO-000001, not a numeric range); its lines are items 10, 20,
...; its customer is the sold-to party (AG) and its delivery address the ship-to party (WE),
whose address sits on the partner entity itself; the logistics status, its class, the
shipment and the ETA are the custom `YY1_*_SDH` fields; a cancelled order is rejected as a
whole (OverallSDDocumentRejectionSts C); each freight posting is one header pricing element
(condition type ZFRT by convention) carrying the statement id in `YY1_FreightStatement_PEL`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from seatrial.model.envelope import to_datetime
from seatrial.simulators.domain import NotFound
from seatrial.simulators.erp.core import Customer, Order
from seatrial.simulators.erp.dialects.sap_s4.gateway import TICKS, Gateway
from seatrial.simulators.erp.dialects.sap_s4.model import (
    EMAIL_ADDRESS,
    PARTNER,
    PARTNER_ADDRESS,
    PRICING_ELEMENT,
    SALES_ORDER,
    SALES_ORDER_ITEM,
    SALES_ORDER_PARTNER,
    EntityType,
    Service,
)
from seatrial.simulators.erp.dialects.sap_s4.query import Record
from seatrial.simulators.erp.dialects.sap_s4.values import key_segment, write_value

ETAG = "@etag"  # a record's ETag rides along under a name no property can have


def _moment(text: str | None) -> datetime | None:
    """An ISO 8601 time the API stored (it writes nothing else), as a datetime."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def order_record(gateway: Gateway, order: Order) -> Record:
    released = to_datetime(order.released_at)
    cancelled = order.cancelled_at is not None
    extra = gateway.extras.get(order.id, {})
    return {
        "SalesOrder": order.id, "SalesOrderType": "OR", "SoldToParty": order.customer_id,
        "CreationDate": released.replace(hour=0, minute=0, second=0, microsecond=0),
        "LastChangeDateTime": to_datetime(
            (round(gateway.last_change(order) * TICKS) + gateway.changes(order)) / TICKS),
        "TotalNetAmount": order.value, "TransactionCurrency": order.currency,
        "OverallSDProcessStatus": "C" if cancelled or order.status == "DLV"
        else "A" if order.status == "REL" else "B",
        "OverallSDDocumentRejectionSts": "C" if cancelled else "A",
        # C fully billed (CreateBillingDocument ran), A not yet: what a SUT reads before it
        # bills again after a lost answer
        "OverallOrdReltdBillgStatus": "C" if order.id in gateway.erp.invoiced_orders else "A",
        "YY1_LogisticsStatus_SDH": order.status,
        "YY1_LogisticsStatusClass_SDH": extra.get("classifier", ""),
        "YY1_ShipmentID_SDH": order.shipment_id or "",
        "YY1_ETA_SDH": _moment(order.eta),
        "YY1_LogisticsEventTime_SDH": _moment(extra.get("event_time")),
        ETAG: gateway.etag(order),
    }


def _items(gateway: Gateway, record: Record) -> list[Record]:
    order = gateway.erp.get_order(record["SalesOrder"])
    return [{"SalesOrder": order.id, "SalesOrderItem": str(line["line"] * 10),
             "Material": line["sku"], "RequestedQuantity": line["quantity"],
             "RequestedQuantityUnit": "PC",
             "NetAmount": round(line["quantity"] * line["unit_price"], 2),
             "TransactionCurrency": order.currency} for line in order.lines]


def _address(address: dict[str, str]) -> Record:
    return {"StreetName": address.get("street", ""), "CityName": address.get("city", ""),
            "PostalCode": address.get("postcode", ""), "Country": address.get("country", "")}


def _partners(gateway: Gateway, record: Record) -> list[Record]:
    order = gateway.erp.get_order(record["SalesOrder"])
    customer = gateway.erp.customers.get(order.customer_id)
    name = customer.name if customer else ""
    sold_to = {"SalesOrder": order.id, "PartnerFunction": "AG", "Customer": order.customer_id,
               "FullName": name, **_address(customer.address if customer else {})}
    ship_to = {"SalesOrder": order.id, "PartnerFunction": "WE", "Customer": order.customer_id,
               "FullName": order.ship_to.get("name", name), **_address(order.ship_to)}
    return [sold_to, ship_to]


def _pricing(gateway: Gateway, record: Record) -> list[Record]:
    return list(gateway.elements.get(record["SalesOrder"], ()))


def partner_record(customer: Customer) -> Record:
    return {"BusinessPartner": customer.id, "Customer": customer.id,
            "BusinessPartnerCategory": "1", "BusinessPartnerFullName": customer.name}


def _partner_addresses(gateway: Gateway, record: Record) -> list[Record]:
    customer = gateway.erp.get_customer(record["BusinessPartner"])
    return [{"BusinessPartner": customer.id, "AddressID": customer.id,
             **_address(customer.address)}]


def _emails(gateway: Gateway, record: Record) -> list[Record]:
    customer = gateway.erp.get_customer(record["AddressID"])
    return [{"AddressID": customer.id, "Person": "", "OrdinalNumber": "1",
             "EmailAddress": customer.email}]


#: (entity type, navigation property) -> the records it leads to.
NAVIGATION: dict[tuple[str, str], Callable[[Gateway, Record], list[Record]]] = {
    (SALES_ORDER.name, "to_Item"): _items,
    (SALES_ORDER.name, "to_Partner"): _partners,
    (SALES_ORDER.name, "to_PricingElement"): _pricing,
    (PARTNER.name, "to_BusinessPartnerAddress"): _partner_addresses,
    (PARTNER_ADDRESS.name, "to_EmailAddress"): _emails,
}

#: Entity types read only through navigation: their parent's key and the navigation.
CHILDREN: dict[str, tuple[EntityType, str, str]] = {
    SALES_ORDER_ITEM.name: (SALES_ORDER, "SalesOrder", "to_Item"),
    SALES_ORDER_PARTNER.name: (SALES_ORDER, "SalesOrder", "to_Partner"),
    PRICING_ELEMENT.name: (SALES_ORDER, "SalesOrder", "to_PricingElement"),
    PARTNER_ADDRESS.name: (PARTNER, "BusinessPartner", "to_BusinessPartnerAddress"),
    EMAIL_ADDRESS.name: (PARTNER_ADDRESS, "AddressID", "to_EmailAddress"),
}


def parent_record(gateway: Gateway, entity: EntityType, key: str) -> Record:
    """The record of a top-level entity by its key (NotFound from the core)."""
    if entity is SALES_ORDER:
        if not gateway.readable(key):
            raise NotFound("order", key)
        return order_record(gateway, gateway.erp.get_order(key))
    if entity is PARTNER:
        return partner_record(gateway.erp.get_customer(key))
    # an address: its parent is the business partner whose id it carries
    customer = gateway.erp.get_customer(key)
    return {"BusinessPartner": customer.id, "AddressID": customer.id}


def entity_json(gateway: Gateway, service: Service, entity: EntityType, record: Record,
                base: str, select: tuple[str, ...] = (),
                expand: tuple[tuple[str, ...], ...] = ()) -> dict[str, Any]:
    """One entity in OData V2 JSON; `base` is the service's URL (absolute when the request
    named its host, as Gateway writes `__metadata.uri`)."""
    uri = f"{base}/{key_segment(entity, record)}"
    metadata = {"id": uri, "uri": uri, "type": service.qualified(entity.name)}
    if ETAG in record:
        metadata["etag"] = record[ETAG]
    out: dict[str, Any] = {"__metadata": metadata}
    chosen = set(select)
    for prop in entity.props:
        if not chosen or prop.name in chosen:
            out[prop.name] = write_value(prop, record.get(prop.name))
    for nav in entity.navs:
        deeper = tuple(path[1:] for path in expand if path[0] == nav.name)
        if deeper:
            target = service.by_type(nav.target)
            found = NAVIGATION[(entity.name, nav.name)](gateway, record)
            out[nav.name] = {"results": [
                entity_json(gateway, service, target, child, base, (),
                            tuple(path for path in deeper if path))
                for child in found]}
        elif not chosen or nav.name in chosen:
            out[nav.name] = {"__deferred": {"uri": f"{uri}/{nav.name}"}}
    return out
