"""The contract files Seatrial ships: the canonical pacts (pacts/, with the webhook senders' in
pacts/sut/, the vendor dialects' in pacts/dialects/ and the broker channel's in pacts/amqp/),
the OpenAPI documents (openapi/) and the broker channel's AsyncAPI document (asyncapi/).
This folder installs as the package `seatrial.contract_files`, its files as package data (the
code is `seatrial.contracts`).

Whatever reads or writes them asks here where they are: in a checkout (an editable install)
that is this folder, in an installed wheel the installed copy.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def directory() -> Path:
    """The folder the contract files are in."""
    found = resources.files(__name__)
    if not isinstance(found, Path):  # a zipped install: nothing Seatrial supports
        raise RuntimeError(f"{__name__} is not installed as files on disk ({found!r})")
    return found


def pacts() -> Path:
    """The canonical pacts: a sync implementation as the consumer of each simulator."""
    return directory() / "pacts"


def sut_pacts() -> Path:
    """The webhook senders' pacts with a sync implementation as their provider."""
    return pacts() / "sut"


def dialect_pacts() -> Path:
    """The pacts of a sync implementation speaking the vendor dialects (docs/dialects.md)."""
    return pacts() / "dialects"


def amqp_pacts() -> Path:
    """The pacts of a sync implementation consuming the broker channel (docs/contracts.md)."""
    return pacts() / "amqp"


def openapi() -> Path:
    """The OpenAPI documents of the three simulated systems' APIs and of the SUT's endpoints."""
    return directory() / "openapi"


def asyncapi() -> Path:
    """The AsyncAPI document of the broker channel: what a SUT consumes from RabbitMQ."""
    return directory() / "asyncapi"
