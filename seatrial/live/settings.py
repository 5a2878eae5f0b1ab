"""The settings a SUT is told (docs/live-protocol.md), named in one place for both sides."""

from __future__ import annotations

from seatrial.model.envelope import SYSTEMS


def url_setting(system: str) -> str:
    return f"SEATRIAL_{system.upper()}_URL"


def secret_setting(system: str) -> str:
    return f"SEATRIAL_{system.upper()}_WEBHOOK_SECRET"


SETTINGS = (*map(url_setting, SYSTEMS), "SEATRIAL_CLIENT_ID", "SEATRIAL_CLIENT_SECRET",
            *map(secret_setting, SYSTEMS), "SEATRIAL_TIME_SCALE")

# Not settings (never in a configure body): the secrets of the control endpoints, sent as
# `Authorization: Bearer <secret>` on every request that changes state (seatrial.live.control).
# A SUT's POST /seatrial/configure: in the environment of a command Seatrial starts, and read
# from Seatrial's own environment by the commands that configure a SUT already running.
CONTROL_SECRET = "SEATRIAL_CONTROL_SECRET"
# The load service's POST /start, /orders and /finish (`seatrial load-service`).
LOAD_SECRET = "SEATRIAL_LOAD_SECRET"


def sut_settings(urls: dict[str, str], client_id: str, client_secret: str,
                 secrets: dict[str, str], scale: str) -> dict[str, str]:
    """The settings by name, as a live run, `seatrial serve` and the contract tests tell a SUT."""
    return {**{url_setting(s): urls[s] for s in SYSTEMS},
            "SEATRIAL_CLIENT_ID": client_id, "SEATRIAL_CLIENT_SECRET": client_secret,
            **{secret_setting(s): secrets[s] for s in SYSTEMS},
            "SEATRIAL_TIME_SCALE": scale}
