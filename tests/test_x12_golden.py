"""The golden EDI files in contracts/edi/ are what the renderer writes today, and every
document the renderer writes parses in an independent X12 reader, pyx12's X12Reader (envelope
syntax: the ISA's fixed width and delimiters, SE/GE/IEA counts, control numbers matching)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pyx12.x12file import X12Reader

from seatrial.x12.documents import read_document
from seatrial.x12.envelope import parse_interchange
from seatrial.x12.golden import GOLDEN

FOLDER = Path(__file__).resolve().parents[1] / "contracts" / "edi"
REGENERATE = "python -m seatrial.x12.golden contracts/edi"


def pyx12_read(data: bytes) -> tuple[list[list[str]], list[tuple]]:
    """Each segment as pyx12 splits it (id and elements), and the errors pyx12 found."""
    reader = X12Reader(io.StringIO(data.decode("ascii")))
    segments = [segment.format().rstrip(reader.seg_term).split(reader.ele_term)
                for segment in reader]
    return segments, reader.pop_errors()


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_the_golden_file_is_what_the_renderer_writes(name):
    committed = FOLDER / name
    assert committed.exists(), f"{committed} is missing: {REGENERATE}"
    assert committed.read_bytes() == GOLDEN[name](), f"{committed} is stale: {REGENERATE}"


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_every_rendered_document_parses_in_pyx12_as_it_does_here(name):
    data = GOLDEN[name]()
    segments, errors = pyx12_read(data)
    assert errors == []
    ours = parse_interchange(data)
    text = data.decode().replace("\n", "")
    assert segments == [piece.split("*") for piece in text.split("~")[:-1]]
    for group in ours.groups:
        for transaction in group.transactions:
            read_document(transaction)


@pytest.mark.parametrize(("old", "new", "says"), [
    (b"SE*23*1001", b"SE*22*1001", "SE count"),
    (b"GE*1*1001", b"GE*1*1002", "GE id"),
    (b"IEA*1*000001001", b"IEA*1*000001002", "IEA id"),
])
def test_pyx12_is_a_real_check_it_rejects_what_ours_rejects(old, new, says):
    """The independent reader is not a rubber stamp: a broken count or control number in the
    golden 204 is an error there too."""
    broken = GOLDEN["204-load-tender.x12"]().replace(old, new)
    _segments, errors = pyx12_read(broken)
    assert any(says in error[2] for error in errors), errors
