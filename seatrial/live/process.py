"""A SUT process Seatrial starts (`--target-cmd`): its own process group, health-checked, and
stopped on every way out (SIGTERM, then SIGKILL after a grace period)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

GRACE = 5.0  # wall seconds between SIGTERM and SIGKILL


class TargetStartError(Exception):
    """The command did not come up healthy; the message says why and shows its output."""


class SutProcess:
    """Built before it runs (a live world's receiver holds it from the start); `launch` starts
    it in its environment, `start` again after a crash (`kill`)."""

    def __init__(self, command: str, log: Path) -> None:
        self.command = command
        self.log = log
        self.env: dict[str, str] = {}
        self.proc: subprocess.Popen | None = None

    def launch(self, env: dict[str, str]) -> None:
        """The first start, with what its environment adds to Seatrial's (the settings, known
        once the simulators serve)."""
        self.env = env
        self.start()

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.command, shell=True, env={**os.environ, **self.env}, stdout=out,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    async def wait_healthy(self, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=1.0) as client:
            while True:
                if self.proc is not None and self.proc.poll() is not None:
                    raise TargetStartError(f"--target-cmd {self.command!r} exited with code "
                                           f"{self.proc.returncode} before {url}/health "
                                           f"answered{self._tail()}")
                try:
                    if (await client.get(f"{url}/health")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TargetStartError(
                        f"--target-cmd {self.command!r}: {url}/health did not answer 200 within "
                        f"{timeout:g}s; the command must listen on $PORT and serve GET /health "
                        f"(raise --health-timeout if it is slow to start){self._tail()}")
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        """Crash it: SIGKILL to the whole group, no goodbye."""
        self._signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()

    def stop(self) -> None:
        """Stop it politely, then not; safe to call more than once."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            self._signal(signal.SIGKILL)  # the leader is gone; its children may not be
            return
        self._signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(GRACE)
        self._signal(signal.SIGKILL)
        proc.wait()

    def _signal(self, sig: signal.Signals) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def _tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return ""
        return ("; its last output:\n  " + "\n  ".join(text)) if text else ""
