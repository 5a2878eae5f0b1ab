"""`$metadata`: each service's EDMX (OData V2 CSDL) from the model, in SAP Gateway's form
(the `sap:` annotations a Fiori or pyodata client reads, associations for every navigation
property, the function import with `m:HttpMethod` and `sap:action-for`).

Exported to `contracts/edmx/<service>.xml` (export.py).
"""

from __future__ import annotations

from functools import cache
from xml.etree import ElementTree as ET

from seatrial.simulators.erp.dialects.sap_s4.model import (
    SERVICES,
    EntityType,
    Nav,
    Prop,
    Service,
)

EDMX = "http://schemas.microsoft.com/ado/2007/06/edmx"
EDM = "http://schemas.microsoft.com/ado/2008/09/edm"
META = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"
SAP = "http://www.sap.com/Protocols/SAPData"
XML = "application/xml"
#: The property whose value is the ETag (SAP's on the sales order header).
CONCURRENCY = "LastChangeDateTime"

for _prefix, _uri in (("edmx", EDMX), ("m", META), ("sap", SAP), ("", EDM)):
    ET.register_namespace(_prefix, _uri)


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _property(parent: ET.Element, prop: Prop, entity: EntityType | None) -> None:
    attrs = {"Name": prop.name, "Type": prop.type}
    if not prop.nullable:
        attrs["Nullable"] = "false"
    if prop.max_length is not None:
        attrs["MaxLength"] = str(prop.max_length)
    if prop.precision is not None:
        attrs["Precision"] = str(prop.precision)
    if prop.scale is not None:
        attrs["Scale"] = str(prop.scale)
    if entity is not None and entity.etag and prop.name == CONCURRENCY:
        attrs["ConcurrencyMode"] = "Fixed"
    element = ET.SubElement(parent, _q(EDM, "Property"), attrs)
    if prop.label:
        element.set(_q(SAP, "label"), prop.label)
    if entity is not None and not prop.updatable:
        element.set(_q(SAP, "updatable"), "false")


def _association(entity: EntityType, nav: Nav) -> str:
    return f"assoc_{entity.name}_{nav.name}"


def _entity_type(schema: ET.Element, service: Service, entity: EntityType) -> None:
    element = ET.SubElement(schema, _q(EDM, "EntityType"), {"Name": entity.name})
    element.set(_q(SAP, "content-version"), "1")
    key = ET.SubElement(element, _q(EDM, "Key"))
    for name in entity.keys:
        ET.SubElement(key, _q(EDM, "PropertyRef"), {"Name": name})
    for prop in entity.props:
        _property(element, prop, entity)
    for nav in entity.navs:
        name = _association(entity, nav)
        ET.SubElement(element, _q(EDM, "NavigationProperty"), {
            "Name": nav.name, "Relationship": service.qualified(name),
            "FromRole": f"FromRole_{name}", "ToRole": f"ToRole_{name}"})


def _associations(schema: ET.Element, container: ET.Element, service: Service) -> None:
    for entity in service.types:
        for nav in entity.navs:
            name = _association(entity, nav)
            target = service.by_type(nav.target)
            association = ET.SubElement(schema, _q(EDM, "Association"), {"Name": name})
            association.set(_q(SAP, "content-version"), "1")
            ET.SubElement(association, _q(EDM, "End"), {
                "Type": service.qualified(entity.name), "Multiplicity": "1",
                "Role": f"FromRole_{name}"})
            ET.SubElement(association, _q(EDM, "End"), {
                "Type": service.qualified(target.name),
                "Multiplicity": "*" if nav.many else "0..1", "Role": f"ToRole_{name}"})
            pair = ET.SubElement(container, _q(EDM, "AssociationSet"), {
                "Name": f"{name}Set", "Association": service.qualified(name)})
            for flag in ("creatable", "updatable", "deletable"):
                pair.set(_q(SAP, flag), "false")
            ET.SubElement(pair, _q(EDM, "End"), {"EntitySet": entity.entity_set,
                                                  "Role": f"FromRole_{name}"})
            ET.SubElement(pair, _q(EDM, "End"), {"EntitySet": target.entity_set,
                                                  "Role": f"ToRole_{name}"})


def render(service: Service) -> bytes:
    """The EDMX document of one service, UTF-8, with its XML declaration."""
    root = ET.Element(_q(EDMX, "Edmx"), {"Version": "1.0"})
    services = ET.SubElement(root, _q(EDMX, "DataServices"))
    services.set(_q(META, "DataServiceVersion"), "2.0")
    schema = ET.SubElement(services, _q(EDM, "Schema"), {"Namespace": service.name})
    schema.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    schema.set(_q(SAP, "schema-version"), "1")
    for entity in service.types:
        _entity_type(schema, service, entity)
    for name, props in service.complex_types:
        complex_type = ET.SubElement(schema, _q(EDM, "ComplexType"), {"Name": name})
        for prop in props:
            _property(complex_type, prop, None)
    container = ET.SubElement(schema, _q(EDM, "EntityContainer"),
                              {"Name": f"{service.name}_Entities"})
    container.set(_q(META, "IsDefaultEntityContainer"), "true")
    container.set(_q(SAP, "supported-formats"), "atom json")
    for entity in service.types:
        entity_set = ET.SubElement(container, _q(EDM, "EntitySet"), {
            "Name": entity.entity_set, "EntityType": service.qualified(entity.name)})
        entity_set.set(_q(SAP, "content-version"), "1")
    _associations(schema, container, service)
    for function in service.functions:
        element = ET.SubElement(container, _q(EDM, "FunctionImport"), {
            "Name": function.name, "ReturnType": service.qualified(function.returns)})
        element.set(_q(META, "HttpMethod"), function.http_method)
        element.set(_q(SAP, "action-for"), service.qualified(function.action_for))
        for parameter in function.parameters:
            attrs = {"Name": parameter.name, "Type": parameter.type, "Mode": "In"}
            if parameter.max_length is not None:
                attrs["MaxLength"] = str(parameter.max_length)
            ET.SubElement(element, _q(EDM, "Parameter"), attrs)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


@cache
def document(service_name: str) -> bytes:
    """The EDMX of a service by name (built once: it never changes in a run)."""
    return render(next(s for s in SERVICES if s.name == service_name))
