"""OpenSSH's `sftp` in batch mode against a mailbox, for the tests that log in as a partner
would: the bare mailbox's (test_mailbox) and the live stack's (test_x12_live)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from machine import required


def openssh_sftp(host: str, port: int | str, username: str, known_hosts_line: str,
                 tmp_path: Path, commands: str, *, key: Path | str | None = None,
                 password: str | None = None) -> subprocess.CompletedProcess:
    """`sftp -b` with either a key file or a password (given through SSH_ASKPASS: batch mode
    alone allows no password, so BatchMode is set back to no ahead of -b); the host key is
    checked against `known_hosts_line`."""
    sftp = required("sftp", "apt-get install openssh-client (.ci/run does)")
    known = tmp_path / "known_hosts"
    known.write_text(known_hosts_line.rstrip("\n") + "\n")
    batch = tmp_path / "batch"
    batch.write_text(commands)
    options = ["-o", f"UserKnownHostsFile={known}", "-o", "StrictHostKeyChecking=yes",
               "-o", "NumberOfPasswordPrompts=1", "-o", "IdentitiesOnly=yes"]
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    if key is not None:
        options += ["-o", "PreferredAuthentications=publickey", "-i", str(key)]
    else:
        askpass = tmp_path / "askpass"
        askpass.write_text('#!/bin/sh\nprintf "%s\\n" "$MAILBOX_PASSWORD"\n')
        askpass.chmod(0o700)
        options = ["-o", "BatchMode=no", *options, "-o", "PreferredAuthentications=password"]
        env |= {"SSH_ASKPASS": str(askpass), "SSH_ASKPASS_REQUIRE": "force",
                "DISPLAY": "none", "MAILBOX_PASSWORD": password or ""}
    return subprocess.run(
        [sftp, *options, "-b", str(batch), "-P", str(port), f"{username}@{host}"],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=60)
