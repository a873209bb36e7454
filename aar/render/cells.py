"""Table rows that never outgrow a page: a row whose text is taller than a row may be continues in
the rows below it (reportlab cannot split one row across pages, and stops with a LayoutError).

The cut is measured, not guessed: each cell's paragraph is wrapped at its real width with its real
fonts and cut between lines, so any text of any shape (many short lines, one long word, wide
script) lands in rows a page can hold. Nothing is dropped: the pieces, read in order, are the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.platypus import Paragraph

ROW_HEIGHT = 200.0
"""Tallest text in one table row, in points (about 20 lines): under a third of a US Letter page's
text frame, so a row and a repeated header row always fit on a page, and a row moved to the next
page leaves little blank behind it."""


def paragraph_pieces(para: Paragraph, width: float, height: float = ROW_HEIGHT) -> list[Paragraph]:
    """``para`` cut between lines into paragraphs no taller than ``height`` at ``width``."""
    pieces: list[Paragraph] = []
    rest = para
    while rest.wrap(width, height)[1] > height:
        parts = rest.split(width, height)
        if len(parts) < 2:  # a single line taller than a row: reportlab shrinks nothing, keep it
            break
        pieces.append(parts[0])
        rest = parts[1]
    pieces.append(rest)
    return pieces


def continued_rows(
    row: Sequence[Sequence[Any]], widths: Sequence[float], padding: float, height: float = ROW_HEIGHT
) -> list[list[Any]]:
    """One table row as one or more rows. Each cell is given as the flowables it holds, read in
    order (a long text may come as several paragraphs); each paragraph is cut to ``height``, the
    pieces of each column go one under the other, and a column that has run out gets empty
    cells. ``padding`` is a cell's left plus right padding (a paragraph wraps inside it)."""
    columns = [
        [piece for part in cell for piece in _pieces(part, width - padding, height)]
        for cell, width in zip(row, widths, strict=True)
    ]
    depth = max(max(len(pieces) for pieces in columns), 1)
    return [[pieces[k] if k < len(pieces) else "" for pieces in columns] for k in range(depth)]


def _pieces(part: Any, width: float, height: float) -> list[Any]:
    return paragraph_pieces(part, width, height) if isinstance(part, Paragraph) else [part]
