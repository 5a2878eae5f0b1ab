"""Black Week: about 1.9x a normal day for the whole week (EU parcel data), rehearsed at 150 %
of last year's peak. Steadier than Black Friday: the volume is high all day long.

    locust -f loadtests/black_week.py --headless --target-cmd "seatrial sut reference"
"""

from seatrial.load.locustfile import OrderArrivals, ProfileShape, use  # noqa: F401
from seatrial.load.plan import CALENDAR, HEADROOM, LoadProfile, Stage

use(LoadProfile(
    name="black-week",
    calendar=CALENDAR["black-week"],
    multiplier=HEADROOM,
    stages=(Stage(0.15, 0.8), Stage(1.0, 1.0)),
))
