"""A normal weekday at the team's baseline: a morning ramp, the working day, a quieter evening.
The profile every other one is a multiple of; run it first to learn the baseline's latencies.

    locust -f loadtests/normal_day.py --headless --target-cmd "seatrial sut reference"
"""

from seatrial.load.locustfile import OrderArrivals, ProfileShape, use  # noqa: F401
from seatrial.load.plan import CALENDAR, LoadProfile, Stage

use(LoadProfile(
    name="normal-day",
    calendar=CALENDAR["normal-day"],
    stages=(Stage(0.2, 0.5), Stage(0.7, 1.0), Stage(1.0, 0.8)),
))
