"""Writing a report file: whole or not at all, and a failure named, never a traceback.

A report is written to a temporary file beside its path and renamed over it, so a reader (a CI
step, a browser) never sees half a report and a failed write leaves an earlier file as it was.
A path that is not a regular file (a pipe, /dev/stdout, /dev/full) is written directly: renaming
over a device would replace it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


class ReportWriteError(Exception):
    """A report that could not be written; the message names the path and the reason."""


def write_report(path: Path, text: str) -> None:
    data = text.encode("utf-8")
    try:
        if path.exists() and not path.is_file():
            with path.open("wb") as stream:
                stream.write(data)
            return
        mode = path.stat().st_mode & 0o777 if path.exists() else _default_mode()
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                                 dir=path.parent)
        try:
            os.fchmod(descriptor, mode)  # mkstemp makes it 0600; a report is for reading
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(data)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as error:
        raise ReportWriteError(f"{path}: cannot write it ({error.strerror or error}); choose "
                               "a path on a writable disk with free space") from None


def _default_mode() -> int:
    """What open() would give a new file: 0666 less the umask (read by setting it back)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
