"""Spreadsheet safety for every cell Hotwash writes (CSV and .xlsx): text that a spreadsheet would
run as a formula is shown as text instead. Kept apart from ``csv_io`` so that the MSEL sheet and
the command line can use it without the database layer."""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP's list): a leading ``=``, ``+``, ``-``
or ``@`` (also after leading spaces, which some spreadsheets trim), TAB or CR."""

_TRIGGER = re.compile(r"[=+\-@\t\r]")
_AFTER_SEPARATOR = re.compile(r"([;,]\s*)(?=[=+\-@])")
"""A formula start after ``;`` or ``,``: a spreadsheet whose locale splits on that separator
starts a new cell there."""


def safe_cell(value: object, *, separators: bool = True) -> str:
    """The text of one CSV or spreadsheet cell, such that no spreadsheet runs any of it as a formula.

    NUL characters are removed (no spreadsheet, CSV reader or database keeps them). A cell whose
    first character, or first after leading whitespace, starts a formula gets a leading ``'``,
    which spreadsheets show as text. With ``separators`` (for CSV, which a spreadsheet may split
    on ``;`` or ``,`` by its locale), a formula start right after such a separator (and optional
    whitespace) gets a ``'`` too. A spreadsheet file whose cells are never re-split (.xlsx)
    passes ``separators=False`` so its cells read back exactly, bar the leading ``'``."""
    text = "" if value is None else str(value)
    text = text.replace("\x00", "")
    if separators:
        text = _AFTER_SEPARATOR.sub(r"\1'", text)
    stripped = text.lstrip()
    if text.startswith(("\t", "\r", "\n")) or (stripped and _TRIGGER.match(stripped)):
        return "'" + text
    return text


def neutralise(cell: str) -> str:
    """A CSV cell a spreadsheet shows as text rather than evaluates (``safe_cell``)."""
    return safe_cell(cell)
