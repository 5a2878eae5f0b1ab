"""Cyber Monday: about 3.5x a normal day (EU parcel data), the year's top, rehearsed at 150 %
of last year's peak: a steep climb to a lunchtime and an evening spike.

    locust -f loadtests/cyber_monday.py --headless --target-cmd "seatrial sut reference"
"""

from seatrial.load.locustfile import OrderArrivals, ProfileShape, use  # noqa: F401
from seatrial.load.plan import CALENDAR, HEADROOM, LoadProfile, Stage

use(LoadProfile(
    name="cyber-monday",
    calendar=CALENDAR["cyber-monday"],
    multiplier=HEADROOM,
    stages=(Stage(0.2, 0.5), Stage(0.4, 1.0), Stage(0.6, 0.7), Stage(0.85, 1.0),
            Stage(1.0, 0.6)),
))
