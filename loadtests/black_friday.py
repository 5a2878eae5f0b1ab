"""Black Friday: about 2.4x a normal day (EU parcel data), rehearsed at 150 % of last year's
peak. The morning ramps up, the evening promotion peaks, the night tails off.

    locust -f loadtests/black_friday.py --headless --target-cmd "seatrial sut reference"
"""

from seatrial.load.locustfile import OrderArrivals, ProfileShape, use  # noqa: F401
from seatrial.load.plan import CALENDAR, HEADROOM, LoadProfile, Stage

use(LoadProfile(
    name="black-friday",
    calendar=CALENDAR["black-friday"],
    multiplier=HEADROOM,
    stages=(Stage(0.25, 0.6), Stage(0.75, 1.0), Stage(1.0, 0.7)),
))
