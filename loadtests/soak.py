"""Soak: half an hour at the baseline with Locust's own closed-model users, for what only time
shows (a growing dedupe table, a leak, a token that expires). The lifecycles run at 600x so
the half hour stays within the simulators' 30-day horizon.

    locust -f loadtests/soak.py --headless --target-cmd "seatrial sut reference"
"""

from seatrial.load.locustfile import OrderReleaser, ProfileShape, use  # noqa: F401
from seatrial.load.plan import CALENDAR, LoadProfile

use(LoadProfile(
    name="soak",
    calendar=CALENDAR["normal-day"],
    duration=1800.0,
    time_scale=600.0,
))
