"""The SFTP mailbox, with standard clients over a real loopback socket: OpenSSH's sftp in batch
mode and paramiko log in with the run's password and with its key, list, download, upload and
rename; a wrong password or key is refused; nothing outside the root is reachable; after the
mailbox stops its port is closed.

These need real sockets but judge nothing on the wall clock (no deadline, no pace), so they are
not marked wall_clock and run with the in-process tests.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paramiko
import pytest
import sftp_batch

from seatrial.live.mailbox import LOOPBACK, Mailbox, MailboxCredentials


@contextmanager
def running(root: Path, credentials: MailboxCredentials) -> Iterator[Mailbox]:
    """The mailbox served from an event loop on its own thread, as blocking clients need."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    mailbox = Mailbox(root, credentials)
    try:
        asyncio.run_coroutine_threadsafe(mailbox.__aenter__(), loop).result(30)
        yield mailbox
    finally:
        asyncio.run_coroutine_threadsafe(mailbox.__aexit__(None, None, None), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()


@pytest.fixture
def credentials() -> MailboxCredentials:
    return MailboxCredentials.generate()


@pytest.fixture
def mailbox(tmp_path: Path, credentials: MailboxCredentials) -> Iterator[Mailbox]:
    with running(tmp_path / "box", credentials) as started:
        started.write_atomically("outbound", "214-0001.x12", b"ISA*00*...~")
        yield started


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((LOOPBACK, port)) == 0


# ------------------------------------------------------------------------- OpenSSH's sftp


def openssh_sftp(mailbox: Mailbox, tmp_path: Path, commands: str, *, key: Path | None = None,
                 password: str | None = None) -> subprocess.CompletedProcess:
    return sftp_batch.openssh_sftp(
        LOOPBACK, mailbox.port, mailbox.credentials.username,
        mailbox.credentials.known_hosts_line(mailbox.port), tmp_path, commands, key=key,
        password=password)


@pytest.mark.parametrize("login", ["key", "password"])
def test_openssh_sftp_lists_downloads_uploads_and_renames(mailbox, tmp_path, login):
    upload = tmp_path / "204-0001.x12"
    upload.write_bytes(b"ISA*00*204~")
    credentials = mailbox.credentials
    login_with = ({"key": credentials.write_client_key(tmp_path / "id_ed25519")}
                  if login == "key" else {"password": credentials.password})
    done = openssh_sftp(mailbox, tmp_path, f"""ls outbound
get outbound/214-0001.x12 {tmp_path / "got.x12"}
put {upload} inbound/.204-0001.x12.part
rename inbound/.204-0001.x12.part inbound/204-0001.x12
ls inbound
""", **login_with)
    assert done.returncode == 0, done.stderr
    assert "outbound/214-0001.x12" in done.stdout
    assert (tmp_path / "got.x12").read_bytes() == b"ISA*00*...~"
    assert sorted(os.listdir(mailbox.folder("inbound"))) == ["204-0001.x12"]
    assert (mailbox.folder("inbound") / "204-0001.x12").read_bytes() == b"ISA*00*204~"


def test_openssh_sftp_with_a_wrong_password_or_key_is_refused(mailbox, tmp_path):
    wrong_password = openssh_sftp(mailbox, tmp_path, "ls\n", password="not-the-password")
    assert wrong_password.returncode != 0
    assert "Permission denied" in wrong_password.stderr
    other = MailboxCredentials.generate().write_client_key(tmp_path / "other_key")
    wrong_key = openssh_sftp(mailbox, tmp_path, "ls\n", key=other)
    assert wrong_key.returncode != 0
    assert "Permission denied" in wrong_key.stderr


# ------------------------------------------------------------------------------- paramiko


@contextmanager
def paramiko_sftp(mailbox: Mailbox, tmp_path: Path, **login) -> Iterator[paramiko.SFTPClient]:
    known = tmp_path / "paramiko_known_hosts"
    known.write_text(mailbox.credentials.known_hosts_line(mailbox.port))
    client = paramiko.SSHClient()
    client.load_host_keys(str(known))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(LOOPBACK, mailbox.port, mailbox.credentials.username,
                       allow_agent=False, look_for_keys=False, timeout=30, **login)
        with client.open_sftp() as sftp:
            yield sftp
    finally:
        client.close()


def paramiko_key(credentials: MailboxCredentials, path: Path) -> paramiko.PKey:
    return paramiko.Ed25519Key.from_private_key_file(str(credentials.write_client_key(path)))


@pytest.mark.parametrize("login", ["key", "password"])
def test_paramiko_lists_downloads_uploads_and_renames(mailbox, tmp_path, login):
    credentials = mailbox.credentials
    login_with = ({"pkey": paramiko_key(credentials, tmp_path / "id")} if login == "key"
                  else {"password": credentials.password})
    with paramiko_sftp(mailbox, tmp_path, **login_with) as sftp:
        assert sorted(sftp.listdir("/")) == ["inbound", "outbound"]
        assert sftp.listdir("outbound") == ["214-0001.x12"]
        with sftp.open("outbound/214-0001.x12") as remote:
            assert remote.read() == b"ISA*00*...~"
        with sftp.open("inbound/.997.part", "w") as remote:
            remote.write(b"ISA*997~")
        sftp.rename("inbound/.997.part", "inbound/997-0001.x12")
        assert sftp.listdir("inbound") == ["997-0001.x12"]
        sftp.remove("outbound/214-0001.x12")
    assert (mailbox.folder("inbound") / "997-0001.x12").read_bytes() == b"ISA*997~"
    assert os.listdir(mailbox.folder("outbound")) == []


def test_paramiko_with_a_wrong_password_or_key_is_refused(mailbox, tmp_path):
    with pytest.raises(paramiko.AuthenticationException), \
            paramiko_sftp(mailbox, tmp_path, password=mailbox.credentials.password + "x"):
        pass
    other = paramiko_key(MailboxCredentials.generate(), tmp_path / "other")
    with pytest.raises(paramiko.AuthenticationException), \
            paramiko_sftp(mailbox, tmp_path, pkey=other):
        pass
    wrong_user = MailboxCredentials("someone", mailbox.credentials.password,
                                    mailbox.credentials.client_key,
                                    mailbox.credentials.host_key)
    impostor = Mailbox(mailbox.root, wrong_user, mailbox.port)
    with pytest.raises(paramiko.AuthenticationException), \
            paramiko_sftp(impostor, tmp_path, password=wrong_user.password):
        pass


def test_a_client_that_knows_another_host_key_refuses_the_mailbox(mailbox, tmp_path):
    stranger = Mailbox(mailbox.root, MailboxCredentials.generate(), mailbox.port)
    with pytest.raises(paramiko.SSHException), \
            paramiko_sftp(stranger, tmp_path, password=mailbox.credentials.password):
        pass


def test_nothing_outside_the_root_is_reachable(mailbox, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("outside")
    (mailbox.root / "outbound" / "escape").symlink_to(secret)
    with paramiko_sftp(mailbox, tmp_path, password=mailbox.credentials.password) as sftp:
        assert sftp.normalize("../../..") == "/"
        assert sorted(sftp.listdir("../..")) == ["inbound", "outbound"]
        for path in ("../secret.txt", "/../secret.txt", f"../../{secret}", str(secret)):
            with pytest.raises(FileNotFoundError):
                sftp.open(path)
        with pytest.raises(PermissionError):
            sftp.open("outbound/escape")
        with pytest.raises(PermissionError):
            sftp.symlink(str(secret), "inbound/link")
        with pytest.raises(PermissionError):
            sftp.open("outbound/escape", "w")
        with sftp.open("../../planted.txt", "w") as planted:  # `..` stops at the root
            planted.write(b"x")
    assert secret.read_text() == "outside"
    assert (mailbox.root / "planted.txt").exists()
    assert not (tmp_path / "planted.txt").exists()


def test_no_shell_and_no_command_are_served(mailbox, tmp_path):
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    try:
        client.connect(LOOPBACK, mailbox.port, mailbox.credentials.username,
                       password=mailbox.credentials.password, allow_agent=False,
                       look_for_keys=False, timeout=30)
        with pytest.raises(paramiko.SSHException, match="Channel closed"):
            client.exec_command("cat /etc/passwd", timeout=30)
        with pytest.raises(paramiko.SSHException, match="Channel closed"):
            client.invoke_shell()
    finally:
        client.close()


# --------------------------------------------------------------------------- lifecycle


def test_after_stop_the_port_is_closed_and_open_sessions_end(tmp_path, credentials):
    with running(tmp_path / "box", credentials) as mailbox:
        port = mailbox.port
        assert port_open(port)
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        client.connect(LOOPBACK, port, credentials.username, password=credentials.password,
                       allow_agent=False, look_for_keys=False, timeout=30)
        sftp = client.open_sftp()
        assert sorted(sftp.listdir(".")) == ["inbound", "outbound"]
    try:
        assert not port_open(port)
        # the session ended: paramiko says so as OSError once its transport knows it is
        # closed, as SSHException ("Server connection dropped") when it learns it mid-request
        with pytest.raises((OSError, paramiko.SSHException)):
            sftp.listdir(".")
    finally:
        client.close()


def test_a_failure_inside_the_block_still_stops_the_mailbox(tmp_path, credentials):
    async def fail_inside() -> int:
        async with Mailbox(tmp_path / "box", credentials) as mailbox:
            port = mailbox.port
            assert port_open(port)
            raise RuntimeError(port)

    with pytest.raises(RuntimeError) as caught:
        asyncio.run(fail_inside())
    assert not port_open(caught.value.args[0])


# ------------------------------------------------------------------------ server side


def test_the_server_side_writes_atomically_under_a_temporary_name(tmp_path, credentials):
    mailbox = Mailbox(tmp_path / "box", credentials)
    (tmp_path / "box" / "outbound").mkdir(parents=True)
    written = mailbox.write_atomically("outbound", "990-0001.x12", b"ISA*990~")
    assert written == tmp_path / "box" / "outbound" / "990-0001.x12"
    assert os.listdir(written.parent) == ["990-0001.x12"]
    for name in ("../escape.x12", ".hidden", "a/b.x12", ""):
        with pytest.raises(ValueError, match="plain name"):
            mailbox.write_atomically("outbound", name, b"x")
    with pytest.raises(ValueError, match="inbound, outbound"):
        mailbox.write_atomically("elsewhere", "x.x12", b"x")


def test_each_run_has_its_own_credentials_and_the_key_file_is_private(tmp_path):
    first, second = MailboxCredentials.generate(), MailboxCredentials.generate()
    assert first.password != second.password and len(first.password) >= 32
    assert first.client_key.public_data != second.client_key.public_data
    assert first.host_key.public_data != second.host_key.public_data
    key = first.write_client_key(tmp_path / "id")
    assert key.stat().st_mode & 0o777 == 0o600
    assert key.read_bytes().startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----")
    assert first.known_hosts_line(2222).startswith(f"[{LOOPBACK}]:2222 ssh-ed25519 ")


# ------------------------------------------------------------------------ the SDK's client


class SlowLists:
    """An exchange whose list answers after a while, counting the lists in flight at once."""

    def __init__(self, wait: float) -> None:
        self.wait, self.in_flight, self.most = wait, 0, 0

    async def list(self, folder: str, *, login: object = None) -> None:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            await asyncio.sleep(self.wait)
        finally:
            self.in_flight -= 1

    async def get(self, folder: str, name: str, *, login: object = None) -> None:
        return None


def test_calls_made_at_once_are_answered_at_once_as_in_process(tmp_path, credentials):
    """An SFTP server answers one session's requests in turn: on one connection, a slow answer
    would queue every Call behind it (a lost answer waited out, a simulated latency), which in
    process are answered side by side. Each Call in flight has a connection of its own."""
    from seatrial.live.sftp_client import SESSIONS, Login, SftpMailbox
    from seatrial.sdk.messages import Call

    async def play() -> tuple[list[int], int, int]:
        slow = SlowLists(0.2)
        async with Mailbox(tmp_path / "box", credentials, exchange=slow) as mailbox:
            key = credentials.write_client_key(tmp_path / "key")
            client = SftpMailbox("tms", Login(LOOPBACK, mailbox.port, credentials.username,
                                              credentials.password, str(key),
                                              credentials.known_hosts_line(mailbox.port)))
            look = Call("tms", "GET", "/mailbox/outbound")
            try:
                answers = await asyncio.gather(*(client.send(look, 30.0) for _ in range(4)))
                again = await client.send(look, 30.0)  # an idle connection is used again
                return [a.status_code for a in [*answers, again]], slow.most, len(client._open)
            finally:
                await client.close()

    statuses, most, connections = asyncio.run(play())
    assert statuses == [200] * 5
    assert most == 4 <= SESSIONS
    assert connections == 4
