"""Recorded event logs: write a run's events down, read a log, play it into a world."""
