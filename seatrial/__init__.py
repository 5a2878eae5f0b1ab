"""Seatrial: sea trials for logistics sync implementations.

The public surface for sync implementations is `seatrial.sdk`; everything else is the harness.
"""

__version__ = "0.1.0"
