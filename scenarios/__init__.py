"""The scenario catalogue: one YAML file per scenario. `seatrial list` shows them."""
