"""Programs from outside Python that some tests drive (Chromium, OpenSSH's sftp): found on PATH,
or the test is skipped on a developer's machine, saying how to get one, and fails in CI (`CI`
set), where .ci/run installs them."""

from __future__ import annotations

import os
import shutil

import pytest


def required(program: str, how: str) -> str:
    """The path of `program`, or skip (fail in CI) naming `how` to install it."""
    found = shutil.which(program)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"CI is set and no {program} is on PATH: {how}", pytrace=False)
    pytest.skip(f"no {program} on PATH: {how}")
