"""Generated parts of hand-written docs: a page says in prose why, and the facts the code holds
(numbers, tables, mappings) come from the code, so the page cannot drift from it.

A generated part sits between `<!-- generated: KEY -->` and `<!-- end generated -->`, each on a
line of its own; a page's reference module renders each KEY (seatrial.catalogue_reference,
seatrial.protocol_reference), `make docs` writes them and a test fails while one is stale.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

BLOCK = re.compile(r"<!-- generated: (?P<key>[^>]*?) -->\n.*?<!-- end generated -->\n",
                   re.DOTALL)


def refresh(page: str, render: Callable[[str], str]) -> str:
    """`page` with every generated part written anew by `render(KEY)`."""
    return BLOCK.sub(lambda match: f"<!-- generated: {match['key']} -->\n"
                                   f"{render(match['key'])}<!-- end generated -->\n", page)


def keys(page: str) -> list[str]:
    """The generated parts `page` holds, in order."""
    return [match["key"] for match in BLOCK.finditer(page)]


def main(argv: list[str], usage: str, render: Callable[[str], str]) -> int:
    """Rewrites the page named in `argv` in place."""
    if len(argv) != 1:
        print(f"usage: {usage}", file=sys.stderr)
        return 2
    path = Path(argv[0])
    path.write_text(refresh(path.read_text(encoding="utf-8"), render), encoding="utf-8")
    print(f"wrote {path}")
    return 0
