"""Outage under load: Black Friday volume, and the TMS answers 503 (and sends no webhooks) for
a tenth of the run, starting 30 % in. Orders pile up behind it; the gate holds how long the
shipment backlog takes to get back to its pre-outage level once the TMS is back.

    locust -f loadtests/tms_outage_under_load.py --headless --target-cmd "seatrial sut reference"
"""

from seatrial.load.locustfile import OrderArrivals, ProfileShape, use  # noqa: F401
from seatrial.load.plan import outage_under_load

use(outage_under_load("tms"))
