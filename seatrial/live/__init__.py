"""Live mode: the simulators as real HTTP services, a sync implementation over the wire."""
