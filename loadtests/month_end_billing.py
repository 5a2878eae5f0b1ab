"""Month-end billing burst: the month's last shipments go out in a rush (6x the baseline for
the first tenth of the run); while new orders trickle in at half the baseline, their
deliveries, proofs of delivery, final freight charges and invoices land together. The gate
holds POD -> invoice to the same limit as a quiet day.

    locust -f loadtests/month_end_billing.py --headless --target-cmd "seatrial sut reference"
"""

from seatrial.load.locustfile import OrderArrivals, ProfileShape, use  # noqa: F401
from seatrial.load.plan import CALENDAR, LoadProfile, Stage

use(LoadProfile(
    name="month-end-billing",
    calendar=CALENDAR["normal-day"],
    stages=(Stage(0.1, 6.0), Stage(1.0, 0.5)),
))
