"""The shipped Locust load profiles, one locustfile each (docs/load-profiles.md).

A package so that they ship with Seatrial: `seatrial load --profile black-friday` finds them
wherever Seatrial is installed. Nothing here imports Locust.
"""
