"""A count in a narrow column of the Word copy is never broken over two lines ("460" over "5"):
Word's text is narrower than the PDF's, so the Word copy sets a one-word cell smaller where it
would not fit, in cells with the PDF's narrow margins."""

from __future__ import annotations

import io

import docx
from docx.oxml.ns import qn
from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.pdfbase.pdfmetrics import stringWidth

from aar.document import Frontis, Run, Table
from aar.render.fonts import fonts
from aar.render.word import CELL_MARGINS_PT, TEXT_WIDTH, render_blocks_docx

# The shares of the report's traffic-by-agency table: the counts' columns are the narrowest.
WIDTHS = (0.17, 0.06, 0.09, 0.07, 0.13, 0.06, 0.08, 0.34)


def _cells(data: bytes) -> list[tuple[str, float, float]]:
    """Each one-word body cell: its text, the size it is set in (pt) and its column's width (pt)."""
    table = docx.Document(io.BytesIO(data)).tables[0]
    found = []
    for row in table.rows[1:]:
        for i, cell in enumerate(row.cells):
            runs = cell.paragraphs[0].runs
            if len(runs) == 1 and runs[0].text and " " not in runs[0].text:
                size = runs[0]._r.find(qn("w:rPr")).find(qn("w:sz"))
                found.append((runs[0].text, int(size.get(qn("w:val"))) / 2, TEXT_WIDTH.pt * WIDTHS[i]))
    return found


@settings(max_examples=30, deadline=None)
# Up to five digits (99,999 messages from one agency is past any exercise): the floor of 5 pt holds
# seven digits in no column this narrow.
@given(st.lists(st.integers(min_value=0, max_value=99_999), min_size=7, max_size=7))
def test_every_count_fits_its_column_in_the_word_copy(counts: list[int]) -> None:
    row = ((Run("Harbor County EMS"),), *((Run(str(n)),) for n in counts[:6]), (Run("why it matters"),))
    block = Table(("Agency", "Sent", "Received", "Lost", "Requests", "Load", "Relay", "Why"), (tuple(row),), WIDTHS)
    for text, size, width in _cells(render_blocks_docx([block], Frontis("Counts"))):
        assert stringWidth(text, fonts().body, size) <= width - CELL_MARGINS_PT + 0.01, (text, size, width)
        assert size >= 5


def test_a_count_keeps_its_size_where_the_column_holds_it() -> None:
    block = Table(("Agency", "Sent", "Received", "Lost", "Requests", "Load", "Relay", "Why"),
                  (((Run("EMS"),), (Run("4605"),), (Run("561"),), (Run("0"),), (Run("451 / 100"),), (Run("1980"),),
                    (Run("0.43"),), (Run("Lies on 43% of the shortest paths"),)),), WIDTHS)
    sizes = {text: size for text, size, _ in _cells(render_blocks_docx([block], Frontis("Counts")))}
    assert sizes["561"] == sizes["0.43"] == 8.0
    assert 7.5 <= sizes["4605"] <= 8.0
