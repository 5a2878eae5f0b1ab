"""What a forger sends to an Onfleet receiver (`Dialect.forgeries`, for the `forged` fault).

A bad or missing `X-Onfleet-Signature` goes with the forger's own message, as in any dialect.
Onfleet signs no timestamp, so a stale delivery cannot be a correctly signed message with an
old time: it is a replay, the genuine delivery's very bytes and signature sent again
`REPLAY_AFTER` later, when the genuine one has long been taken (so only what went to a
registered webhook can be replayed). A receiver can refuse it only by knowing it has taken
that body before.
"""

from __future__ import annotations

from seatrial.model.envelope import Event

REPLAY_AFTER = 3600.0


def forgeries(genuine: Event, forged: Event, mode: str,
              delivered: bool) -> tuple[Event, float] | None:
    """A replay for `stale_timestamp` (none when the genuine event went to no webhook: there
    was nothing to capture); the forger's own message otherwise."""
    if mode != "stale_timestamp":
        return forged, 0.0
    if not delivered:
        return None
    return genuine._replace(event_id=forged.event_id), REPLAY_AFTER
