"""Starting Seatrial's own commands from tests, as a user starts them from a shell."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from seatrial.live.runner import free_port

SEATRIAL = str(Path(sys.executable).with_name("seatrial"))


def started(name: str) -> Iterator[str]:
    """`seatrial sut NAME` running, unconfigured, as a user starts it; stopped afterwards.
    Yields its base URL once it accepts connections (use with `yield from` in a fixture)."""
    port = free_port()
    server = subprocess.Popen([SEATRIAL, "sut", name, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
