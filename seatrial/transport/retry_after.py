"""`Retry-After` as the simulators write it, in either form RFC 9110 (section 10.2.3) allows:
delta-seconds, or the HTTP-date the wait ends (IMF-fixdate, `Mon, 05 Jan 2026 06:02:00 GMT`).

Both forms have whole seconds only, so both are rounded up: a client that honours the header
never comes back before the wait the fault asked for. With an HTTP-date goes the answer's
`Date` (rounded down, as servers write it), so a client can count the wait from the server's
own clock (`seatrial.sdk.Response.retry_after` does).
"""

from __future__ import annotations

import math
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime

from seatrial.faults.base import RetryForm
from seatrial.model.envelope import EPOCH, to_datetime


def http_date(moment: datetime) -> str:
    """IMF-fixdate, the HTTP-date form a sender writes (GMT; a fraction of a second is cut,
    so round `moment` first the way the header needs)."""
    return format_datetime(moment, usegmt=True)


def retry_after_headers(form: RetryForm, now: float, wait: float) -> tuple[float, dict[str, str]]:
    """An answer sent at simulated `now` telling the client to wait `wait` simulated seconds:
    the wait the header allows (simulated seconds from `now`, what rate-limit-respected judges
    by) and its headers. The simulated epoch is on a whole second, so the date's whole seconds
    are the clock's. Rounded to the microsecond before rounding up: float noise (an outage's
    end, reached as now + (end - now)) must not add a second."""
    if form == "seconds":
        allowed = max(0, math.ceil(round(wait, 6)))
        return float(allowed), {"retry-after": f"{allowed:d}"}
    ends = math.ceil(round(now + max(0.0, wait), 6))
    return ends - now, {"retry-after": http_date(to_datetime(ends)),
                        "date": http_date(to_datetime(math.floor(now)))}


def simulated_date(value: str) -> float | None:
    """The simulated time a Retry-After written by `retry_after_headers` names, if it is an
    HTTP-date; None for delta-seconds (live, where the wire has the wall clock's date)."""
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return (moment - EPOCH).total_seconds()
