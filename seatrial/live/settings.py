"""The settings a SUT is told (docs/live-protocol.md), named in one place for both sides."""

from __future__ import annotations

from seatrial.model.envelope import SYSTEMS
from seatrial.model.wire import CANONICAL


def url_setting(system: str) -> str:
    return f"SEATRIAL_{system.upper()}_URL"


def secret_setting(system: str) -> str:
    return f"SEATRIAL_{system.upper()}_WEBHOOK_SECRET"


def dialect_setting(system: str) -> str:
    return f"SEATRIAL_{system.upper()}_DIALECT"


#: The SFTP mailbox of a system whose dialect's events are files (x12's TMS), each setting's
#: name after SEATRIAL_<SYSTEM>_SFTP_: where it listens, the run's login (a user name with a
#: password, or the private key in the file at KEY_PATH) and the known_hosts line of its
#: host key. Given only when the system speaks such a dialect.
SFTP_PARTS = ("HOST", "PORT", "USERNAME", "PASSWORD", "KEY_PATH", "KNOWN_HOSTS")


def sftp_setting(system: str, part: str) -> str:
    return f"SEATRIAL_{system.upper()}_SFTP_{part}"


SETTINGS = (*map(url_setting, SYSTEMS), "SEATRIAL_CLIENT_ID", "SEATRIAL_CLIENT_SECRET",
            *map(secret_setting, SYSTEMS), "SEATRIAL_TIME_SCALE")
#: The base URL at which Seatrial reaches the SUT (its webhooks at <url>/webhooks/<system>).
SUT_URL = "SEATRIAL_SUT_URL"
#: The AMQP URL of a run's broker, with the run's credentials and virtual host
#: (seatrial.live.broker); in a live run on the amqp channel, the consumer-facing proxy's
#: (seatrial.live.amqp_proxy).
AMQP_URL = "SEATRIAL_AMQP_URL"


def amqp_queue_setting(system: str) -> str:
    return f"SEATRIAL_{system.upper()}_AMQP_QUEUE"


#: Settings a SUT may go without (an older harness did not send them): the dialect each system
#: speaks (`canonical` when absent) and the SUT's own base URL; and the SFTP mailbox's, given
#: only when the TMS speaks x12 (then a SUT needs them all); and the broker's, given only when
#: the run's events travel on the amqp channel (then a SUT consumes its queues instead of
#: taking webhooks).
OPTIONAL_SETTINGS = (*map(dialect_setting, SYSTEMS), SUT_URL,
                     *(sftp_setting("tms", part) for part in SFTP_PARTS),
                     AMQP_URL, *map(amqp_queue_setting, SYSTEMS))


# Not settings (never in a configure body): the secrets of the control endpoints, sent as
# `Authorization: Bearer <secret>` on every request that changes state (seatrial.live.control).
# A SUT's POST /seatrial/configure: in the environment of a command Seatrial starts, and read
# from Seatrial's own environment by the commands that configure a SUT already running.
CONTROL_SECRET = "SEATRIAL_CONTROL_SECRET"
# The load service's POST /start, /orders and /finish (`seatrial load-service`).
LOAD_SECRET = "SEATRIAL_LOAD_SECRET"


def sut_settings(urls: dict[str, str], client_id: str, client_secret: str,
                 secrets: dict[str, str], scale: str,
                 dialects: dict[str, str] | None = None,
                 mailboxes: dict[str, dict[str, str]] | None = None) -> dict[str, str]:
    """The settings by name, as a live run, `seatrial serve` and the contract tests tell a SUT
    (the SUT's own URL is added by whoever knows where it is: `with_sut_url`); `mailboxes`:
    per system with an SFTP mailbox, its settings by part (SFTP_PARTS)."""
    return {**{url_setting(s): urls[s] for s in SYSTEMS},
            "SEATRIAL_CLIENT_ID": client_id, "SEATRIAL_CLIENT_SECRET": client_secret,
            **{secret_setting(s): secrets[s] for s in SYSTEMS},
            "SEATRIAL_TIME_SCALE": scale,
            **{dialect_setting(s): (dialects or {}).get(s, CANONICAL) for s in SYSTEMS},
            **{sftp_setting(s, part): value for s, login in (mailboxes or {}).items()
               for part, value in login.items()}}


def with_sut_url(settings: dict[str, str], url: str) -> dict[str, str]:
    """`settings` for the SUT Seatrial reaches at `url`."""
    return {**settings, SUT_URL: url.rstrip("/")}


def amqp_settings(url: str, queues: dict[str, str]) -> dict[str, str]:
    """The settings of a run on the amqp channel: the AMQP URL the SUT logs in with and the
    queue each system's events are in (docs/live-protocol.md#the-amqp-channel)."""
    return {AMQP_URL: url, **{amqp_queue_setting(s): queues[s] for s in SYSTEMS}}
