"""Outage under load: Black Friday volume, and the TMS answers 503 (and sends no webhooks) for
a tenth of the run, starting 30 % in. Orders pile up behind it; the gate holds how long the
shipment backlog takes to get back to its pre-outage level once the TMS is back.

    locust -f loadtests/tms_outage_under_load.py --headless --target-cmd "seatrial sut reference"
"""

from seatrial.load.locustfile import OrderArrivals, ProfileShape, use  # noqa: F401
from seatrial.load.plan import CALENDAR, HEADROOM, LoadProfile, OutageUnderLoad, Thresholds

use(LoadProfile(
    name="tms-outage-under-load",
    calendar=CALENDAR["black-friday"],
    multiplier=HEADROOM,
    outage=OutageUnderLoad("tms", at=0.3, lasting=0.1),
    thresholds=Thresholds(p95_ms={
        "POST release order": 500.0,
        "WEBHOOK *": 1000.0,
        "FLOW *": 60_000.0,  # orders released during the outage wait for the TMS
        "BACKLOG *": 30_000.0,
    }),
))
