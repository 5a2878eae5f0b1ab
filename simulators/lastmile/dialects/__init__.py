"""The dialects this system speaks: one module each, with its `DIALECT`
(seatrial.simulators.dialect)."""
