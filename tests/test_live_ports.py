"""A port meant for another process (a SUT command's `$PORT`, the broker's) is drawn where no
bind to port 0 lands: below the kernel's ephemeral range. A port picked by the kernel for a
probe could be handed out again to one of Seatrial's own listeners before the command bound
it, and a correct SUT then failed to start ("address already in use", seen under load when the
AMQP proxy took the SUT's port)."""

from __future__ import annotations

import socket

import pytest

from seatrial.live import ports
from seatrial.live.ports import ephemeral, for_a_command


def test_a_commands_port_is_free_and_outside_the_kernels_ephemeral_range():
    first, last = ephemeral()
    for _ in range(50):
        port = for_a_command()
        assert not first <= port <= last
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", port))  # free: a command can bind it


def test_binds_to_port_0_never_take_a_commands_port():
    port = for_a_command()
    opened = []
    try:
        for _ in range(300):  # as the simulators, the proxy and the mailbox would, after it
            listener = socket.socket()
            listener.bind(("127.0.0.1", 0))
            opened.append(listener)
        assert port not in {listener.getsockname()[1] for listener in opened}
    finally:
        for listener in opened:
            listener.close()


def test_ports_taken_are_not_given_again():
    taken: list[int] = []
    for _ in range(20):
        taken.append(for_a_command(taken=taken))
    assert len(set(taken)) == len(taken)


def _held_beside_a_free_port() -> socket.socket:
    """A listener on a port below the kernel's range whose next port is free: there, no other
    test's bind to port 0 can take the free one between this check and the assertion (a pair
    drawn from the kernel's range failed in CI when a neighbour took the second port)."""
    for busy in range(ports.OUTSIDE[0], ports.OUTSIDE[1] - 1):
        held = socket.socket()
        try:
            held.bind(("127.0.0.1", busy))
        except OSError:
            held.close()
            continue
        if ports._free("127.0.0.1", busy + 1):
            held.listen()
            return held
        held.close()
    pytest.skip("no two adjacent ports free below the kernel's range")


def test_a_port_in_use_is_not_given(monkeypatch):
    with _held_beside_a_free_port() as held:
        busy = held.getsockname()[1]
        monkeypatch.setattr(ports, "ephemeral", lambda: (busy + 2, 65535))
        monkeypatch.setattr(ports, "OUTSIDE", (busy, busy + 2))
        assert for_a_command() == busy + 1


def test_no_room_outside_the_range_falls_back_to_the_kernels_pick(monkeypatch):
    monkeypatch.setattr(ports, "ephemeral", lambda: (1024, 65535))
    port = for_a_command()
    assert 1024 <= port <= 65535


@pytest.mark.parametrize("text", ["", "not numbers", "1 2 3"])
def test_an_unreadable_range_takes_the_defaults(monkeypatch, tmp_path, text):
    (tmp_path / "range").write_text(text)
    monkeypatch.setattr(ports, "EPHEMERAL", tmp_path / "range")
    assert ephemeral() == (32768, 65535)
