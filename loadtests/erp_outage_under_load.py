"""Outage under load: Black Friday volume, and the ERP answers 503 (and sends no webhooks) for
a tenth of the run, starting 30 % in. Released orders reach the SUT only when it is back, and
status writes and invoices wait behind it; the gate holds how long the shipment backlog takes
to get back to its pre-outage level once the ERP is back.

    locust -f loadtests/erp_outage_under_load.py --headless --target-cmd "seatrial sut reference"
"""

from seatrial.load.locustfile import OrderArrivals, ProfileShape, use  # noqa: F401
from seatrial.load.plan import outage_under_load

use(outage_under_load("erp"))
