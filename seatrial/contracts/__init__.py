"""Pact contracts between a sync implementation and the three simulated systems.

A sync implementation is the consumer of each system's API (HTTP pacts) and of its webhooks
(message pacts, one provider per source so HTTP and messages verify separately).
`consumer` writes the canonical pacts from the reference implementation's real behaviour,
and those of each vendor dialect (`DIALECTS`: the reference speaking a vendor's API, its
expectations in a module of that dialect's name, e.g. `onfleet`); `verify` checks the
simulators against them. The other way round, each source's webhook sender is the consumer
of the sync implementation's webhook endpoints (`webhook_pacts` writes those pacts,
`verify_sut` checks a running implementation); `user_pacts` verifies the simulators against a
team's own pacts (docs/contracts.md).
"""

from __future__ import annotations

import os

from seatrial import contract_files
from seatrial.model.wire import CANONICAL

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")  # Pact reports usage online unless told not

CONSUMER = "seatrial-sync"
PACT_DIR = contract_files.pacts()
# The pacts a sync implementation must honour as a provider, apart from the simulators' own.
SUT_PACT_DIR = contract_files.sut_pacts()
SUT_PROVIDER = "seatrial-sync-webhooks"
# The vendor dialects the reference's pacts are written in, each a run of its own (the other
# systems canonical), its pacts only for the system it changes: contracts/pacts/dialects/.
DIALECTS: dict[str, str] = {"lastmile": "onfleet", "erp": "sap-s4"}
DIALECT_PACT_DIR = contract_files.dialect_pacts()
# The broker channel's message pacts (amqp_pacts).
AMQP_PACT_DIR = contract_files.amqp_pacts()


def _named(system: str, dialect: str) -> str:
    return system if dialect == CANONICAL else f"{system}-{dialect}"


def api_provider(system: str, dialect: str = CANONICAL) -> str:
    """seatrial-lastmile-api; in a vendor dialect seatrial-lastmile-onfleet-api."""
    return f"seatrial-{_named(system, dialect)}-api"


def webhook_provider(system: str, dialect: str = CANONICAL) -> str:
    return f"seatrial-{_named(system, dialect)}-webhooks"


def amqp_provider(system: str) -> str:
    """seatrial-tms-amqp: a system's messages on the broker channel (canonical only: a vendor
    dialect's events never travel on it)."""
    return f"seatrial-{system}-amqp"
