"""Sync implementations shipped with Seatrial. Each imports `seatrial.sdk` and nothing else of it,
exactly as a user's implementation would."""

# Every implementation shipped with Seatrial, by target name. `reference` must hold every
# invariant; each other one carries a documented defect that the catalogue must catch.
SHIPPED = {
    "reference": "sync_implementations.reference:ReferenceSync",
    "naive": "sync_implementations.naive:NaiveSync",
}
