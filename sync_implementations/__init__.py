"""Sync implementations shipped with Seatrial. Each imports `seatrial.sdk` and nothing else of it,
exactly as a user's implementation would."""
