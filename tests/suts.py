"""Starting Seatrial's own commands from tests, as a user starts them from a shell."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import uvicorn

from seatrial.live.limits import SERVER_LIMITS
from seatrial.live.ports import for_a_command
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
    port = for_a_command()
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


def raw_http(url: str, head: bytes, body: Iterator[bytes] | tuple[bytes, ...] = (),
             timeout: float = 10.0) -> tuple[int, dict[str, str], bytes, float]:
    """Send `head` (and `body`, piece by piece) on a fresh connection and read until the server
    closes it: (status, headers, body, wall seconds until the answer was complete). A server
    that stops reading once it has answered may make our writes fail: that is fine."""
    parts = urlsplit(url)
    begun = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(head)
            for piece in body:
                sock.sendall(piece)
        data = b""
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                data += chunk
    took = time.monotonic() - begun
    status_line, _, rest = data.partition(b"\r\n")
    header_block, _, content = rest.partition(b"\r\n\r\n")
    headers = dict(line.decode("latin-1").lower().split(": ", 1)
                   for line in header_block.split(b"\r\n") if b": " in line)
    status = int(status_line.split()[1]) if status_line else 0
    return status, headers, content, took


def request_head(method: str, path: str, *headers: str) -> bytes:
    return "\r\n".join([f"{method} {path} HTTP/1.1", "host: 127.0.0.1", *headers,
                        "", ""]).encode("latin-1")


@contextlib.contextmanager
def serving(app: object) -> Iterator[str]:
    """`app` on uvicorn on a free loopback port, as `seatrial sut` and the load service
    serve it (SERVER_LIMITS), on a thread; its base URL."""
    port = for_a_command()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="critical", **SERVER_LIMITS))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
