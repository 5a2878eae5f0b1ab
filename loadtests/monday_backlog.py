"""Monday backlog flush: the ERP's batch job releases the orders held over the weekend at 8x
the baseline for the first fifth of the run, then a normal Monday follows. Watch the shipment
backlog row: how long until it clears.

    locust -f loadtests/monday_backlog.py --headless --target-cmd "seatrial sut reference"
"""

from seatrial.load.locustfile import OrderArrivals, ProfileShape, use  # noqa: F401
from seatrial.load.plan import CALENDAR, LoadProfile, Stage

use(LoadProfile(
    name="monday-backlog",
    calendar=CALENDAR["normal-day"],
    stages=(Stage(0.2, 8.0), Stage(1.0, 1.0)),
))
