"""Export each service's EDMX to `contracts/edmx/<service>.xml`, where contract tooling and
people read it without a running simulator; `tests/test_dialect_sap_contracts.py` fails when a
committed file differs from a fresh export. Regenerate with
`python -m seatrial.simulators.erp.dialects.sap_s4.export`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from seatrial import contract_files
from seatrial.simulators.erp.dialects.sap_s4.edmx import document
from seatrial.simulators.erp.dialects.sap_s4.model import SERVICES


def directory() -> Path:
    return contract_files.directory() / "edmx"


def write_all(target: Path) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for service in SERVICES:
        path = target / f"{service.name}.xml"
        path.write_bytes(document(service.name))
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    for path in write_all(Path(args[0]) if args else directory()):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
