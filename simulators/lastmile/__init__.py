"""The last-mile platform: system of record for delivery tasks, attempts, POD and returns."""
