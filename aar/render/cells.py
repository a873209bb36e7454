"""Table rows that never outgrow a page: a row whose text is taller than a row may be continues in
the rows below it (reportlab cannot split one row across pages, and stops with a LayoutError).

The cut is measured, not guessed: each cell's paragraph is wrapped at its real width with its real
fonts and cut between lines, so any text of any shape (many short lines, one long word, wide
script) lands in rows a page can hold. Nothing is dropped: the pieces, read in order, are the text.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph
from reportlab.platypus.paragraph import cleanBlockQuotedText, textTransformFrags
from reportlab.platypus.paraparser import ParaParser

ROW_HEIGHT = 200.0
"""Tallest text in one table row, in points (about 20 lines): under a third of a US Letter page's
text frame, so a row and a repeated header row always fit on a page, and a row moved to the next
page leaves little blank behind it."""


class MeasuredParagraph(Paragraph):
    """A paragraph that breaks its lines once per width. A table cell is wrapped to measure its row
    (``continued_rows``), by the table for the row's height, and again on every page a long table is
    split over; its lines depend on the width alone, so the later wraps reuse the first."""

    _wrapped: tuple[float, tuple[float, float]] | None = None

    def __init__(self, text: str | None, style: ParagraphStyle, **given: Any) -> None:
        parsed = _parsed(text, style) if text is not None and not given else None
        if parsed is None:  # the pieces of a split (given their fragments), or reportlab's own error
            super().__init__(text, style, **given)
            return
        cleaned, frags, bullet = parsed
        # Each paragraph its own copies of the fragments: reportlab may set attributes on them.
        own = [f.clone() for f in frags]
        super().__init__(cleaned, style, bulletText=bullet, frags=own)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        if self._wrapped is not None and self._wrapped[0] == availWidth:
            return self._wrapped[1]
        size: tuple[float, float] = super().wrap(availWidth, availHeight)
        self._wrapped = (availWidth, size)
        return size

    def split(self, availWidth: float, availHeight: float) -> list[Any]:
        self._wrapped = None  # splitting may lay the lines out again: the next wrap measures anew
        parts: list[Any] = super().split(availWidth, availHeight)
        return parts


@functools.lru_cache(maxsize=4096)
def _parsed(text: str, style: ParagraphStyle) -> tuple[str, list[Any], Any] | None:
    """A paragraph's markup parsed once per text and style: the cells of a long table repeat (a
    status, an agency, "To be set"), and parsing costs more than laying out a line."""
    cleaned = cleanBlockQuotedText(text)
    parser = ParaParser()
    parser.caseSensitive = 1
    _, frags, bullet = parser.parse(cleaned, style)
    if frags is None:
        return None
    textTransformFrags(frags, style)
    return cleaned, frags, bullet or getattr(style, "bulletText", None)


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
