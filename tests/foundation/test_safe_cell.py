"""``cells.safe_cell``: no cell of a CSV or spreadsheet export can be run as a formula."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exercises.documents.cells import FORMULA_STARTS, safe_cell

TRIGGERS = "=+-@"
PIECES = re.compile(r"[;,]")


def runs_as_formula(cell: str) -> bool:
    """Would some spreadsheet, splitting on ``;`` or ``,`` and trimming spaces, start a formula?"""
    if cell.startswith(FORMULA_STARTS) or cell.startswith("\n"):
        return True
    return any(piece.lstrip()[:1] in TRIGGERS and piece.lstrip() != "" for piece in PIECES.split(cell))


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("  =cmd|' /C calc'!A0", "'  =cmd|' /C calc'!A0"),
        ("\n=1", "'\n=1"),
        ("a;=1+1", "a;'=1+1"),
        ("a, -2+cmd", "a, '-2+cmd"),
        ("a\x00b", "ab"),
        ("\x00=1", "'=1"),
        ("plain text, with commas; and semicolons", "plain text, with commas; and semicolons"),
        ("", ""),
    ],
)
def test_safe_cell(cell: str, safe: str) -> None:
    assert safe_cell(cell) == safe


def test_separators_off_for_cells_never_re_split() -> None:
    assert safe_cell("a;=1+1", separators=False) == "a;=1+1"
    assert safe_cell("=1", separators=False) == "'=1"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("=+-@;, \t\r\n\x00ab1'\u00a0\u2003"), max_size=24) | st.text(max_size=24))
def test_no_cell_runs_as_a_formula(cell: str) -> None:
    safe = safe_cell(cell)
    assert "\x00" not in safe
    assert not runs_as_formula(safe), repr(safe)
    # Only quotes were added: the text a reader sees is the text typed.
    assert safe.replace("'", "") == cell.replace("\x00", "").replace("'", "")
