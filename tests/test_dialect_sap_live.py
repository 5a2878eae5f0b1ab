"""SAP's own OData client, unmodified, against the `sap-s4` dialect served live: pyodata over a
`requests.Session` with Basic auth loads `$metadata`, reads orders with `$filter` and
`$expand`, writes the logistics status with the order's ETag, sends a `$batch` whose changeset
fails as a whole, releases the invoice through the function import and reads the customer from
the business partner service. The CSRF token is
fetched on the session the way pyodata's documentation does it (a GET with
`X-CSRF-Token: Fetch`; pyodata itself sends what the session carries)."""

from __future__ import annotations

import time
from decimal import Decimal

import pyodata
import pytest
import requests
import yaml
from pyodata.exceptions import HttpError
from test_serve import serving

from seatrial.live.settings import url_setting

pytestmark = pytest.mark.wall_clock

SALES = "/sap/opu/odata/sap/API_SALES_ORDER_SRV/"
PARTNERS = "/sap/opu/odata/sap/API_BUSINESS_PARTNER/"
WAIT = 30.0  # wall seconds for the first orders to be released


def _session(env: dict[str, str], erp: str) -> requests.Session:
    """A session of the communication user with a CSRF token fetched on it."""
    session = requests.Session()
    session.auth = (env["SEATRIAL_CLIENT_ID"], env["SEATRIAL_CLIENT_SECRET"])
    fetched = session.get(erp + SALES, headers={"x-csrf-token": "Fetch"}, timeout=10)
    assert fetched.status_code == 200, fetched.text
    session.headers["x-csrf-token"] = fetched.headers["x-csrf-token"]
    assert "SAP_SESSIONID_S4H_100" in session.cookies
    return session


def test_pyodata_reads_and_writes_the_order_lifecycle(tmp_path):
    scenario = tmp_path / "sap.yaml"
    scenario.write_text(yaml.safe_dump({"name": "sap-live", "dialects": {"erp": "sap-s4"}}))
    with serving(str(scenario), "--time-scale", "600") as (_proc, env, _lines):
        erp = env[url_setting("erp")]
        anonymous = requests.get(erp + SALES + "A_SalesOrder", timeout=10)
        assert anonymous.status_code == 401
        assert anonymous.json()["error"]["message"]["value"]
        assert anonymous.headers["www-authenticate"].startswith("Basic")

        head = requests.head(erp + SALES, auth=(env["SEATRIAL_CLIENT_ID"],
                                                env["SEATRIAL_CLIENT_SECRET"]),
                             headers={"x-csrf-token": "Fetch"}, timeout=10)
        assert head.status_code == 200 and head.headers["x-csrf-token"] and not head.content
        session = _session(env, erp)
        client = pyodata.Client(erp + SALES, session)
        orders = client.entity_sets.A_SalesOrder
        deadline = time.monotonic() + WAIT
        released = []
        while not released and time.monotonic() < deadline:
            released = orders.get_entities().filter(
                "YY1_LogisticsStatus_SDH eq 'REL' and OverallSDDocumentRejectionSts eq 'A'"
            ).expand("to_Item").top(5).execute()
            if not released:
                time.sleep(0.5)
        assert released, "no order released within the wait"
        first = released[0]
        assert first.to_Item and first.to_Item[0].SalesOrder == first.SalesOrder
        assert Decimal(first.TotalNetAmount) > 0  # Edm.Decimal: a string on the wire

        order = orders.get_entity(SalesOrder=first.SalesOrder).execute()
        assert order.etag and order.etag.startswith('W/"datetime')
        update = orders.update_entity(SalesOrder=order.SalesOrder)
        update.set(YY1_LogisticsStatus_SDH="PLN", YY1_LogisticsStatusClass_SDH="ACT",
                   YY1_ShipmentID_SDH="SH-000001")
        update.add_headers({"If-Match": order.etag})
        update.execute()
        again = orders.get_entity(SalesOrder=order.SalesOrder).execute()
        assert again.YY1_LogisticsStatus_SDH == "PLN" and again.YY1_ShipmentID_SDH == "SH-000001"
        assert again.etag != order.etag

        stale = orders.update_entity(SalesOrder=order.SalesOrder)
        stale.set(YY1_LogisticsStatus_SDH="PCK")
        stale.add_headers({"If-Match": order.etag})
        with pytest.raises(HttpError) as refused:
            stale.execute()
        assert refused.value.response.status_code == 412
        assert refused.value.response.json()["error"]["code"]

        batch = (f"--b1\r\nContent-Type: multipart/mixed; boundary=c1\r\n\r\n--c1\r\n"
                 "Content-Type: application/http\r\n\r\n"
                 f"PATCH A_SalesOrder('{order.SalesOrder}') HTTP/1.1\r\n"
                 f"Content-Type: application/json\r\nIf-Match: {again.etag}\r\n\r\n"
                 '{"YY1_LogisticsStatus_SDH": "PCK"}\r\n--c1\r\n'
                 "Content-Type: application/http\r\n\r\n"
                 f"PATCH A_SalesOrder('{order.SalesOrder}') HTTP/1.1\r\n"
                 f"Content-Type: application/json\r\nIf-Match: {order.etag}\r\n\r\n"
                 '{"YY1_LogisticsStatus_SDH": "ITR"}\r\n--c1--\r\n--b1--\r\n')
        answered = session.post(erp + SALES + "$batch", data=batch.encode(), timeout=10,
                                headers={"content-type": "multipart/mixed; boundary=b1"})
        assert answered.status_code == 202, answered.text
        assert answered.headers["content-type"].startswith("multipart/mixed")
        assert "HTTP/1.1 412" in answered.text and "HTTP/1.1 204" not in answered.text
        unchanged = orders.get_entity(SalesOrder=order.SalesOrder).execute()
        assert unchanged.YY1_LogisticsStatus_SDH == "PLN" and unchanged.etag == again.etag

        billed = client.functions.CreateBillingDocument.parameter(
            "SalesOrder", order.SalesOrder).execute()
        assert billed["CreateBillingDocument"]["SalesOrder"] == order.SalesOrder

        partners = pyodata.Client(erp + PARTNERS, session)
        customer = partners.entity_sets.A_BusinessPartner.get_entity(
            BusinessPartner=order.SoldToParty).expand("to_BusinessPartnerAddress").execute()
        assert customer.BusinessPartnerFullName
        assert customer.to_BusinessPartnerAddress[0].PostalCode

        no_token = requests.Session()
        no_token.auth = session.auth
        tokenless = pyodata.Client(erp + SALES, no_token).entity_sets.A_SalesOrder.update_entity(
            SalesOrder=order.SalesOrder)
        tokenless.set(YY1_LogisticsStatus_SDH="PCK")
        tokenless.add_headers({"If-Match": "*"})
        with pytest.raises(HttpError) as forbidden:
            tokenless.execute()
        assert forbidden.value.response.status_code == 403
        assert forbidden.value.response.headers["x-csrf-token"] == "Required"
