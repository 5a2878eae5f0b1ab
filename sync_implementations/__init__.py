"""Sync implementations shipped with Seatrial. Each imports `seatrial.sdk` and nothing else of it,
exactly as a user's implementation would."""

# Every implementation shipped with Seatrial, by target name. `reference` must hold every
# invariant; each other one carries a documented defect that the catalogue must catch.
SHIPPED = {
    "reference": "sync_implementations.reference:ReferenceSync",
    "naive": "sync_implementations.naive:NaiveSync",
    "faulty-dedupe-business-key": "sync_implementations.faulty:DedupeByBusinessKey",
    "faulty-retry-without-key": "sync_implementations.faulty:RetryWithoutKey",
    "faulty-ignore-retry-after": "sync_implementations.faulty:IgnoresRetryAfter",
    "faulty-arrival-order": "sync_implementations.faulty:ArrivalOrder",
    "faulty-estimate-moves-status": "sync_implementations.faulty:EstimateMovesStatus",
    "faulty-invoice-on-completion": "sync_implementations.faulty:InvoiceOnCompletion",
    "faulty-no-task-cancel": "sync_implementations.faulty:NoTaskCancel",
    "faulty-no-retry-503": "sync_implementations.faulty:NoRetryOn503",
    "faulty-unvalidated-payload": "sync_implementations.faulty:UnvalidatedPayload",
    "faulty-unsigned-accepted": "sync_implementations.faulty:TrustsGateway",
    "faulty-charges-no-key": "sync_implementations.faulty:ChargesWithoutKey",
    "faulty-correlation-per-message": "sync_implementations.faulty:CorrelationPerMessage",
    "faulty-retraction-undoes": "sync_implementations.faulty:RetractionUndoes",
    "faulty-schema-v1-only": "sync_implementations.faulty:SchemaV1Only",
    "faulty-raw-event-time": "sync_implementations.faulty:RawEventTimeOrder",
}
