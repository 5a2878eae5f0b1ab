"""Ports for listeners another process binds: a SUT command's `$PORT`, the broker's.

A port the kernel picks for a probe socket (a bind to port 0) is free once the probe closes,
and the kernel may hand it out again at once to the next bind to port 0: to one of Seatrial's
own listeners (a simulator, the AMQP proxy, the SFTP mailbox), started between the probe and
the command binding it. That race made a correct SUT fail to start under load ("address
already in use": the AMQP proxy had taken its port). So a port meant for another process is
drawn below the kernel's ephemeral range, where no bind to port 0 lands, and checked free.
"""

from __future__ import annotations

import random
import socket
from collections.abc import Collection
from pathlib import Path

#: Linux's ephemeral range (ip_local_port_range); elsewhere the defaults below stand
EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")
#: below Linux's (32768) and macOS's (49152) default ephemeral ranges, above common services
OUTSIDE = (20000, 32768)
TRIES = 200


def ephemeral() -> tuple[int, int]:
    """The kernel's range for binds to port 0, first and last."""
    try:
        first, last = EPHEMERAL.read_text().split()
        return int(first), int(last)
    except (OSError, ValueError):
        return 32768, 65535


def for_a_command(host: str = "127.0.0.1", taken: Collection[int] = ()) -> int:
    """A port nobody listens on now on `host`, none of `taken`, outside the kernel's ephemeral
    range (so none of Seatrial's own listeners can take it before the command binds it).
    Where that range leaves no room below or above it, the kernel's own pick."""
    first, last = ephemeral()
    low, high = OUTSIDE
    room = range(low, min(high, first)) if first > low else range(last + 1, 65536)
    draw = random.SystemRandom()
    for _ in range(TRIES if room else 0):
        port = draw.choice(room)
        if port not in taken and _free(host, port):
            return port
    for _ in range(TRIES):
        with socket.socket() as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
        if port not in taken:
            return port
    raise OSError(f"no free port on {host}")


def _free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True
