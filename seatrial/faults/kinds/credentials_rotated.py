"""`credentials_rotated`: the TMS's trading partner rotates its SFTP mailbox's login mid-run, as
partners do on a schedule or after a leak: a new key and a new password, the old ones refused
from then on. The new private key is written where the SUT reads its key (live: over
`SEATRIAL_TMS_SFTP_KEY_PATH`, a temporary file renamed into place, mode 0600; in process: the
world's credential, `io.mailbox.login()`); no new password is sent, since a running process's
settings cannot change. A call with the old credential is refused 403 (live, a login with it
too): a SUT that reads the key again when refused loses nothing, the TMS's files wait in
`outbound/`; one that keeps the key it read at start is shut out for good. Only the `x12` TMS
has a mailbox."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from seatrial.faults.base import Effect, Fault, Kind, Systems

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from seatrial.explore.strategies import Space
    from seatrial.faults.reach import Trace

LOGIN_REFUSED = 403  # as the mailbox refuses a stale credential (x12 dialect's endpoints)


class CredentialsRotated(Fault):
    """The mailbox's password and key change at `at` (once; `for` changes nothing: a rotated
    login is not rotated back)."""

    needs: ClassVar[tuple[str, str] | None] = ("tms", "x12")
    transports: ClassVar[frozenset[str]] = frozenset({"sftp"})
    kind: Literal["credentials_rotated"] = "credentials_rotated"

    def lag(self) -> float:
        return 0.0  # a correct SUT reads the key again at the first refusal


class CredentialsRotatedEffect(Effect[CredentialsRotated]):
    __slots__ = ()

    def on_systems(self, systems: Systems) -> None:
        login = systems.served("tms").mailbox.login
        systems.at(self.start, login.rotate)


def explore(space: Space) -> SearchStrategy[CredentialsRotated]:
    from hypothesis import strategies as st

    return st.builds(CredentialsRotated, at=space.at)


def reached(fault: CredentialsRotated, trace: Trace) -> bool:
    """A mailbox call refused for its credential after the rotation: a run in which the SUT
    used no old credential tests no recovery."""
    return any(entry.system == "tms" and entry.data.get("status") == LOGIN_REFUSED
               and entry.time >= fault.at for entry in trace.by_kind["response"])


KIND = Kind(model=CredentialsRotated, effect=CredentialsRotatedEffect, explore=explore,
            reached=reached, listed=27, explored=27)
