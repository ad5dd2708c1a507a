"""Generated documentation pages: write the rendering, or with --check say that the page is stale."""

from __future__ import annotations

import sys
from pathlib import Path


def sync_page(path: Path, wanted: str, check: bool, stale: str) -> int:
    """Exit status of a page generator: with `check`, 1 (and `stale` on stderr) when the page differs from
    `wanted`; otherwise write `wanted` where it differs."""
    current = path.read_text(encoding="utf-8") if path.exists() else None
    if check:
        if current != wanted:
            print(stale, file=sys.stderr)
            return 1
        return 0
    if current != wanted:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(wanted, encoding="utf-8")
    return 0
