"""Sync implementations shipped with Seatrial. Each imports `seatrial.sdk` and nothing else of it,
exactly as a user's implementation would."""

# Every implementation shipped with Seatrial, by target name. `reference` must hold every
# invariant; each other one carries a documented defect that the catalogue must catch.
SHIPPED = {
    "reference": "seatrial.sync_implementations.reference:ReferenceSync",
    "naive": "seatrial.sync_implementations.naive:NaiveSync",
    "faulty-dedupe-business-key": "seatrial.sync_implementations.faulty:DedupeByBusinessKey",
    "faulty-retry-without-key": "seatrial.sync_implementations.faulty:RetryWithoutKey",
    "faulty-ignore-retry-after": "seatrial.sync_implementations.faulty:IgnoresRetryAfter",
    "faulty-arrival-order": "seatrial.sync_implementations.faulty:ArrivalOrder",
    "faulty-estimate-moves-status": "seatrial.sync_implementations.faulty:EstimateMovesStatus",
    "faulty-invoice-on-completion": "seatrial.sync_implementations.faulty:InvoiceOnCompletion",
    "faulty-no-task-cancel": "seatrial.sync_implementations.faulty:NoTaskCancel",
    "faulty-no-retry-503": "seatrial.sync_implementations.faulty:NoRetryOn503",
    "faulty-unvalidated-payload": "seatrial.sync_implementations.faulty:UnvalidatedPayload",
    "faulty-unsigned-accepted": "seatrial.sync_implementations.faulty:TrustsGateway",
    "faulty-charges-no-key": "seatrial.sync_implementations.faulty:ChargesWithoutKey",
    "faulty-correlation-per-message": "seatrial.sync_implementations.faulty:CorrelationPerMessage",
    "faulty-retraction-undoes": "seatrial.sync_implementations.faulty:RetractionUndoes",
    "faulty-schema-v1-only": "seatrial.sync_implementations.faulty:SchemaV1Only",
    "faulty-raw-event-time": "seatrial.sync_implementations.faulty:RawEventTimeOrder",
    "faulty-latest-change-wins": "seatrial.sync_implementations.faulty:LatestChangeWins",
    "faulty-eta-as-delivered": "seatrial.sync_implementations.faulty:EtaAsDelivered",
    "faulty-any-photo-is-proof": "seatrial.sync_implementations.faulty:AnyPhotoIsProof",
    "faulty-local-time-as-utc": "seatrial.sync_implementations.faulty:LocalTimeAsUtc",
    "faulty-day-long-replay-window":
        "seatrial.sync_implementations.faulty:DayLongReplayWindow",
    "faulty-retry-drops-correlation":
        "seatrial.sync_implementations.faulty:RetryDropsCorrelation",
    "faulty-dedupe-by-scanning": "seatrial.sync_implementations.faulty:DedupeByScanning",
    "faulty-retry-after-seconds-only":
        "seatrial.sync_implementations.faulty:RetryAfterSecondsOnly",
    "faulty-x12-stops-at-copy":
        "seatrial.sync_implementations.faulty_x12:StopsAtDuplicateInterchange",
    "faulty-x12-deletes-unreadable":
        "seatrial.sync_implementations.faulty_x12:DeletesUnreadableFile",
    "faulty-x12-first-set-only": "seatrial.sync_implementations.faulty_x12:ReadsFirstSetOnly",
    "faulty-x12-no-997": "seatrial.sync_implementations.faulty_x12:SendsNo997",
    "faulty-x12-rejection-is-final":
        "seatrial.sync_implementations.faulty_x12:TakesRejectionAsFinal",
    "faulty-x12-poller-dies": "seatrial.sync_implementations.faulty_x12:PollerDiesWhenRefused",
    "faulty-x12-gives-up-late-tenders":
        "seatrial.sync_implementations.faulty_x12:GivesUpLateTenders",
    "faulty-x12-keeps-its-key": "seatrial.sync_implementations.faulty_x12:KeepsItsKey",
    "faulty-sap-keeps-its-token": "seatrial.sync_implementations.faulty_sap_s4:KeepsItsToken",
    "faulty-sap-trusts-its-etag": "seatrial.sync_implementations.faulty_sap_s4:TrustsItsEtag",
    "faulty-sap-reads-again-once":
        "seatrial.sync_implementations.faulty_sap_s4:ReadsAgainOnce",
    "faulty-sap-trusts-the-batch": "seatrial.sync_implementations.faulty_sap_s4:TrustsTheBatch",
    "faulty-sap-gives-up-on-locks": "seatrial.sync_implementations.faulty_sap_s4:GivesUpOnLocks",
    "faulty-sap-not-found-is-gone":
        "seatrial.sync_implementations.faulty_sap_s4:TakesNotFoundAsGone",
    "faulty-onfleet-refusal-is-final":
        "seatrial.sync_implementations.faulty_onfleet:TakesRefusalAsFinal",
    "faulty-onfleet-misses-disabled-webhooks":
        "seatrial.sync_implementations.faulty_onfleet:MissesDisabledWebhooks",
    "faulty-onfleet-reads-nothing-back":
        "seatrial.sync_implementations.faulty_onfleet:ReadsNothingBack",
    "faulty-onfleet-hammers": "seatrial.sync_implementations.faulty_onfleet:HammersOnfleet",
    "faulty-requeue-forever": "seatrial.sync_implementations.faulty_amqp:RequeuesPoison",
    "faulty-ack-before-durable": "seatrial.sync_implementations.faulty_amqp:AcksBeforeDurable",
}
