"""Shared set-up for the spreadsheet and ICS tests: scenario folders copied to a temporary place."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
EXAMPLE = ROOT / "docs" / "example"
BUNDLED = sorted((DATA / "scenarios").glob("*.yaml"))


def copy_folder(source: Path, tmp: Path) -> Path:
    """A copy of a data folder (scenarios/ and plans/) that tests may write into."""
    target = tmp / source.name
    shutil.copytree(source, target)
    return target


def workbook_bytes(wb: Any) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
