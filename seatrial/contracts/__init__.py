"""Pact contracts between a sync implementation and the three simulated systems.

A sync implementation is the consumer of each system's API (HTTP pacts) and of its webhooks
(message pacts, one provider per source so HTTP and messages verify separately).
`consumer` writes the canonical pacts from the reference implementation's real behaviour;
`verify` checks the simulators against them (docs/contracts.md).
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")  # Pact reports usage online unless told not

CONSUMER = "seatrial-sync"
PACT_DIR = Path(__file__).resolve().parents[2] / "contracts" / "pacts"


def api_provider(system: str) -> str:
    return f"seatrial-{system}-api"


def webhook_provider(system: str) -> str:
    return f"seatrial-{system}-webhooks"
