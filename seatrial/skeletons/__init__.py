"""Files `seatrial init` writes into a team's project as they are (read as text, never imported
by Seatrial): real modules here, so ruff and the tests read them as code, not as strings."""
