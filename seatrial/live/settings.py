"""The settings a SUT is told (docs/live-protocol.md), named in one place for both sides."""

from __future__ import annotations

SYSTEMS = ("erp", "tms", "lastmile")


def url_setting(system: str) -> str:
    return f"SEATRIAL_{system.upper()}_URL"


def secret_setting(system: str) -> str:
    return f"SEATRIAL_{system.upper()}_WEBHOOK_SECRET"


SETTINGS = (*map(url_setting, SYSTEMS), "SEATRIAL_CLIENT_ID", "SEATRIAL_CLIENT_SECRET",
            *map(secret_setting, SYSTEMS), "SEATRIAL_TIME_SCALE")
