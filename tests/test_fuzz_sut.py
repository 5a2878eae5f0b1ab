"""`seatrial fuzz-sut` against running SUTs: the reference holds every rule, a SUT that skips
signature checks is caught, bad targets are input errors."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from suts import SEATRIAL, started, with_control

EXAMPLES = "8"  # per endpoint and mode: a handful of seconds against a loopback SUT


@pytest.fixture
def reference() -> Iterator[str]:
    yield from started("reference")


@pytest.fixture
def unsigned_accepted() -> Iterator[str]:
    yield from started("faulty-unsigned-accepted")


def fuzz_sut(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([SEATRIAL, "fuzz-sut", *args], capture_output=True, text=True,
                          timeout=120, env=with_control())


def test_the_reference_holds_every_rule(reference):
    done = fuzz_sut("--target", reference, "--examples", EXAMPLES)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "every rule held" in done.stdout
    for rule in ("signed-never-fails", "signed-not-refused", "unsigned-refused",
                 "bad-signature-refused", "stale-refused"):
        assert f"held    {rule}" in done.stdout


def test_a_sut_that_skips_signature_checks_is_caught(unsigned_accepted):
    done = fuzz_sut("--target", unsigned_accepted, "--examples", EXAMPLES)
    assert done.returncode == 1, done.stdout + done.stderr
    for rule in ("unsigned-refused", "bad-signature-refused", "stale-refused"):
        assert f"BROKEN  {rule}" in done.stdout
    assert "held    signed-never-fails" in done.stdout
    # the failing request and the answer are shown: no signature, and a 2xx
    assert "webhook-signature" not in done.stdout.split("BROKEN  unsigned-refused")[1].split(
        "BROKEN")[0]
    assert "-> 204" in done.stdout


@pytest.mark.parametrize(("target", "says"), [
    ("reference", "http://HOST:PORT"),
    ("ftp://127.0.0.1:21", "http://HOST:PORT"),
    ("http://127.0.0.1:9/webhooks", "http://HOST:PORT"),
    ("http://127.0.0.1:9", "cannot reach it"),
])
def test_bad_targets_are_input_errors(target, says):
    done = fuzz_sut("--target", target)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--target" in done.stderr and says in done.stderr
    assert "Traceback" not in done.stderr
