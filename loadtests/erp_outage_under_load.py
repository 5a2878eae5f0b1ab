"""Outage under load: Black Friday volume, and the ERP answers 503 (and sends no webhooks) for
a tenth of the run, starting 30 % in. Released orders reach the SUT only when it is back, and
status writes and invoices wait behind it; the gate holds how long the shipment backlog takes
to get back to its pre-outage level once the ERP is back.

    locust -f loadtests/erp_outage_under_load.py --headless --target-cmd "seatrial sut reference"
"""

from seatrial.load.locustfile import OrderArrivals, ProfileShape, use  # noqa: F401
from seatrial.load.plan import CALENDAR, HEADROOM, LoadProfile, OutageUnderLoad, Thresholds

use(LoadProfile(
    name="erp-outage-under-load",
    calendar=CALENDAR["black-friday"],
    multiplier=HEADROOM,
    outage=OutageUnderLoad("erp", at=0.3, lasting=0.1),
    thresholds=Thresholds(p95_ms={
        "POST release order": 500.0,
        "WEBHOOK *": 1000.0,
        "FLOW *": 60_000.0,  # orders released during the outage reach the SUT late
        "BACKLOG *": 30_000.0,
    }),
))
