"""Starting Seatrial's own commands from tests, as a user starts them from a shell."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from seatrial.live.runner import free_port
from seatrial.live.settings import CONTROL_SECRET

SEATRIAL = str(Path(sys.executable).with_name("seatrial"))
# The control secret every `started` SUT takes POST /seatrial/configure with, as a user gives
# the same $SEATRIAL_CONTROL_SECRET to the SUT and to the commands that configure it.
CONTROL = secrets.token_urlsafe(16)


def with_control() -> dict[str, str]:
    """The environment for a command that configures a `started` SUT (run --target, serve
    --webhook-url, fuzz-sut, contracts verify-sut)."""
    return {**os.environ, CONTROL_SECRET: CONTROL}


def started(name: str) -> Iterator[str]:
    """`seatrial sut NAME` running, unconfigured, as a user starts it (with the control secret
    CONTROL); stopped afterwards. Yields its base URL once it accepts connections (use with
    `yield from` in a fixture)."""
    port = free_port()
    server = subprocess.Popen([SEATRIAL, "sut", name, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env=with_control())
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)
