"""Pact contracts between a sync implementation and the three simulated systems.

A sync implementation is the consumer of each system's API (HTTP pacts) and of its webhooks
(message pacts, one provider per source so HTTP and messages verify separately).
`consumer` writes the canonical pacts from the reference implementation's real behaviour;
`verify` checks the simulators against them. The other way round, each source's webhook sender
is the consumer of the sync implementation's webhook endpoints (`webhook_pacts` writes those
pacts, `verify_sut` checks a running implementation); `user_pacts` verifies the simulators
against a team's own pacts (docs/contracts.md).
"""

from __future__ import annotations

import os

from seatrial import contract_files

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")  # Pact reports usage online unless told not

CONSUMER = "seatrial-sync"
PACT_DIR = contract_files.pacts()
# The pacts a sync implementation must honour as a provider, apart from the simulators' own.
SUT_PACT_DIR = contract_files.sut_pacts()
SUT_PROVIDER = "seatrial-sync-webhooks"


def api_provider(system: str) -> str:
    return f"seatrial-{system}-api"


def webhook_provider(system: str) -> str:
    return f"seatrial-{system}-webhooks"
