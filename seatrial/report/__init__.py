"""Reports of a batch of runs: terminal summary, JSON, JUnit XML."""
