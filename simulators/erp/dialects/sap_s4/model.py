"""The two OData V2 services' entity model, declared once: what `$metadata` (edmx.py) says,
what `$select`, `$filter` and `$expand` accept (query.py), and how each property is written on
the wire (values.py).

A subset of SAP's public API_SALES_ORDER_SRV and API_BUSINESS_PARTNER: the entity types, key
and property names, Edm types and navigation names are SAP's, limited to what the order
lifecycle needs. The `YY1_*_SDH` fields are what an S/4HANA customer adds to the sales order
header with key-user extensibility (Custom Fields app, business context Sales Document Header),
the `YY1_*_PEL` field what it adds to a pricing element; they are ours, in SAP's naming.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SALES_ORDER_SRV = "API_SALES_ORDER_SRV"
BUSINESS_PARTNER = "API_BUSINESS_PARTNER"
ROOT = "/sap/opu/odata/sap/"


@dataclass(frozen=True, slots=True)
class Prop:
    """One property: its Edm type and facets, as `$metadata` declares them."""

    name: str
    type: str = "Edm.String"
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None
    nullable: bool = True
    label: str = ""
    updatable: bool = False  # sap:updatable: a PATCH may change it


@dataclass(frozen=True, slots=True)
class Nav:
    """A navigation property: to one or to many of `target` (an entity type)."""

    name: str
    target: str
    many: bool


@dataclass(frozen=True, slots=True)
class EntityType:
    name: str                    # e.g. A_SalesOrderType
    entity_set: str              # e.g. A_SalesOrder
    keys: tuple[str, ...]
    props: tuple[Prop, ...]
    navs: tuple[Nav, ...] = ()
    etag: bool = False           # m:etag on its entity set: writes need If-Match

    def prop(self, name: str) -> Prop | None:
        return next((p for p in self.props if p.name == name), None)

    def nav(self, name: str) -> Nav | None:
        return next((n for n in self.navs if n.name == name), None)


@dataclass(frozen=True, slots=True)
class FunctionImport:
    name: str
    http_method: str
    parameters: tuple[Prop, ...]
    returns: str                 # a complex type of the service
    action_for: str              # sap:action-for: the entity type it acts on


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    types: tuple[EntityType, ...]
    complex_types: tuple[tuple[str, tuple[Prop, ...]], ...] = ()
    functions: tuple[FunctionImport, ...] = ()

    @property
    def path(self) -> str:
        return ROOT + self.name

    def by_set(self, entity_set: str) -> EntityType | None:
        return next((t for t in self.types if t.entity_set == entity_set), None)

    def by_type(self, name: str) -> EntityType:
        return next(t for t in self.types if t.name == name)

    def qualified(self, name: str) -> str:
        return f"{self.name}.{name}"


def _s(name: str, length: int, label: str = "", **more: Any) -> Prop:
    return Prop(name, "Edm.String", max_length=length, label=label, **more)


def _amount(name: str, label: str) -> Prop:
    return Prop(name, "Edm.Decimal", precision=16, scale=3, label=label)


SALES_ORDER = EntityType(
    "A_SalesOrderType", "A_SalesOrder", ("SalesOrder",), (
        _s("SalesOrder", 10, "Sales Document", nullable=False),
        _s("SalesOrderType", 4, "Sales Document Type"),
        _s("SoldToParty", 10, "Sold-to Party"),
        Prop("CreationDate", "Edm.DateTime", precision=0, label="Created On"),
        Prop("LastChangeDateTime", "Edm.DateTimeOffset", precision=7,
             label="Last Changed On"),
        _amount("TotalNetAmount", "Net Value"),
        _s("TransactionCurrency", 5, "Document Currency"),
        _s("OverallSDProcessStatus", 1, "Overall Status"),
        _s("OverallSDDocumentRejectionSts", 1, "Rejection Status"),
        _s("OverallOrdReltdBillgStatus", 1, "Order-Related Billing Status"),
        _s("YY1_LogisticsStatus_SDH", 3, "Logistics Status", updatable=True),
        _s("YY1_LogisticsStatusClass_SDH", 3, "Logistics Status Class", updatable=True),
        _s("YY1_ShipmentID_SDH", 20, "TMS Shipment", updatable=True),
        Prop("YY1_ETA_SDH", "Edm.DateTimeOffset", precision=0, label="Estimated Delivery",
             updatable=True),
        Prop("YY1_LogisticsEventTime_SDH", "Edm.DateTimeOffset", precision=0,
             label="Logistics Event Time", updatable=True),
    ), (Nav("to_Item", "A_SalesOrderItemType", True),
        Nav("to_Partner", "A_SalesOrderHeaderPartnerType", True),
        Nav("to_PricingElement", "A_SalesOrderHeaderPrElementType", True)),
    etag=True)

SALES_ORDER_ITEM = EntityType(
    "A_SalesOrderItemType", "A_SalesOrderItem", ("SalesOrder", "SalesOrderItem"), (
        _s("SalesOrder", 10, "Sales Document", nullable=False),
        _s("SalesOrderItem", 6, "Sales Document Item", nullable=False),
        _s("Material", 40, "Material"),
        Prop("RequestedQuantity", "Edm.Decimal", precision=15, scale=3,
             label="Order Quantity"),
        _s("RequestedQuantityUnit", 3, "Sales Unit"),
        _amount("NetAmount", "Net Value"),
        _s("TransactionCurrency", 5, "Document Currency"),
    ))

SALES_ORDER_PARTNER = EntityType(
    "A_SalesOrderHeaderPartnerType", "A_SalesOrderHeaderPartner",
    ("SalesOrder", "PartnerFunction"), (
        _s("SalesOrder", 10, "Sales Document", nullable=False),
        _s("PartnerFunction", 2, "Partner Function", nullable=False),
        _s("Customer", 10, "Customer"),
        _s("FullName", 80, "Name"),
        _s("StreetName", 60, "Street"),
        _s("CityName", 40, "City"),
        _s("PostalCode", 10, "Postal Code"),
        _s("Country", 3, "Country/Region Key"),
    ))

PRICING_ELEMENT = EntityType(
    "A_SalesOrderHeaderPrElementType", "A_SalesOrderHeaderPrElement",
    ("SalesOrder", "PricingProcedureStep", "PricingProcedureCounter"), (
        _s("SalesOrder", 10, "Sales Document", nullable=False),
        _s("PricingProcedureStep", 3, "Step Number", nullable=False),
        _s("PricingProcedureCounter", 3, "Condition Counter", nullable=False),
        _s("ConditionType", 4, "Condition Type"),
        _amount("ConditionAmount", "Condition Amount"),
        _s("ConditionCurrency", 5, "Condition Currency"),
        _s("YY1_FreightStatement_PEL", 20, "TMS Charge Statement"),
        _s("YY1_ShipmentID_PEL", 20, "TMS Shipment"),
    ))

BILLING_RESULT = ("BillingDocumentResult", (
    _s("BillingDocument", 10, "Billing Document"),
    _s("SalesOrder", 10, "Sales Document"),
    _amount("TotalNetAmount", "Net Value"),
    _amount("FreightAmount", "Freight"),
    _s("TransactionCurrency", 5, "Document Currency"),
))

CREATE_BILLING = FunctionImport(
    "CreateBillingDocument", "POST", (_s("SalesOrder", 10, "Sales Document", nullable=False),),
    "BillingDocumentResult", "A_SalesOrderType")

SALES = Service(SALES_ORDER_SRV,
                (SALES_ORDER, SALES_ORDER_ITEM, SALES_ORDER_PARTNER, PRICING_ELEMENT),
                (BILLING_RESULT,), (CREATE_BILLING,))

PARTNER = EntityType(
    "A_BusinessPartnerType", "A_BusinessPartner", ("BusinessPartner",), (
        _s("BusinessPartner", 10, "Business Partner", nullable=False),
        _s("Customer", 10, "Customer"),
        _s("BusinessPartnerCategory", 1, "Business Partner Category"),
        _s("BusinessPartnerFullName", 81, "Full Name"),
    ), (Nav("to_BusinessPartnerAddress", "A_BusinessPartnerAddressType", True),))

PARTNER_ADDRESS = EntityType(
    "A_BusinessPartnerAddressType", "A_BusinessPartnerAddress",
    ("BusinessPartner", "AddressID"), (
        _s("BusinessPartner", 10, "Business Partner", nullable=False),
        _s("AddressID", 10, "Address Number", nullable=False),
        _s("StreetName", 60, "Street"),
        _s("CityName", 40, "City"),
        _s("PostalCode", 10, "Postal Code"),
        _s("Country", 3, "Country/Region Key"),
    ), (Nav("to_EmailAddress", "A_AddressEmailAddressType", True),))

EMAIL_ADDRESS = EntityType(
    "A_AddressEmailAddressType", "A_AddressEmailAddress",
    ("AddressID", "Person", "OrdinalNumber"), (
        _s("AddressID", 10, "Address Number", nullable=False),
        _s("Person", 10, "Person Number", nullable=False),
        _s("OrdinalNumber", 3, "Sequence Number", nullable=False),
        _s("EmailAddress", 241, "Email Address"),
    ))

PARTNERS = Service(BUSINESS_PARTNER, (PARTNER, PARTNER_ADDRESS, EMAIL_ADDRESS))

SERVICES = (SALES, PARTNERS)
