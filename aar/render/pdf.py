"""``render_pdf``: the after-action report drawn in the HSEEP AAR/IP layout (reportlab platypus).

The renderer only draws the report model. Every value that came from a user or a scenario file
goes through ``aar.render.fonts.markup`` (escaped, visual order, fallback fonts) before it reaches a
Paragraph; constant strings are written here. Long lists are capped in the PDF with a pointer
to the JSON export, which carries everything.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    LongTable,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    TableStyle,
)

from aar.document import (
    Block,
    Contents,
    Figure,
    Frontis,
    Heading,
    Para,
    Run,
    Table,
    build_document,
    frontis_of,
)
from aar.document import PageBreak as PageBreakBlock
from aar.model import AfterActionReport, TaskCount
from aar.render import charts, network
from aar.render.cells import MeasuredParagraph, continued_rows
from aar.render.fonts import FontSet, fitting_size, fonts, label, markup
from aar.render.trust_chart import trust_chart

PAGE = LETTER
MARGIN = 2.0 * cm
WIDTH = PAGE[0] - 2 * MARGIN
ACCENT = colors.HexColor("#1a3b5d")
LIGHT = colors.HexColor("#e8eef4")
FOOTER = colors.HexColor("#455a64")
TOTAL_FORM = "hwPageCount"
TOC_FORM = "hwTocPage"


class _Styles:
    def __init__(self, fs: FontSet) -> None:
        base = ParagraphStyle("body", fontName=fs.body, fontSize=9.5, leading=12.5, spaceAfter=4)
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=8, leading=10, spaceAfter=2)
        # A table's caption stays on the page of the table's first rows.
        self.caption = ParagraphStyle("caption", parent=self.small, keepWithNext=1)
        self.cell = ParagraphStyle("cell", parent=base, fontSize=7.8, leading=9.6, spaceAfter=0)
        self.tight = ParagraphStyle("tight", parent=self.cell, fontSize=7, leading=8.6)
        self.head = ParagraphStyle("head", parent=self.cell, fontName=fs.bold, textColor=colors.white)
        self.h1 = ParagraphStyle(
            "H1", parent=base, fontName=fs.bold, fontSize=15, leading=19, spaceBefore=6, spaceAfter=8,
            textColor=ACCENT,
        )
        self.h2 = ParagraphStyle(
            "H2", parent=base, fontName=fs.bold, fontSize=11.5, leading=14.5, spaceBefore=8, spaceAfter=4,
            textColor=ACCENT,
        )
        self.h3 = ParagraphStyle("H3", parent=base, fontName=fs.bold, fontSize=9.8, leading=12.5, spaceBefore=5)
        self.bullet = ParagraphStyle("bullet", parent=base, leftIndent=12, bulletIndent=2, spaceAfter=2)
        self.evidence = ParagraphStyle(
            "evidence", parent=self.small, leftIndent=24, textColor=colors.HexColor("#37474f")
        )
        self.title = ParagraphStyle(
            "title", parent=base, fontName=fs.bold, fontSize=24, leading=30, alignment=TA_CENTER, textColor=ACCENT
        )
        self.subtitle = ParagraphStyle("subtitle", parent=base, fontSize=14, leading=19, alignment=TA_CENTER)
        self.marking = ParagraphStyle(
            "marking", parent=base, fontName=fs.bold, fontSize=11, alignment=TA_CENTER, textColor=colors.HexColor("#b71c1c")
        )
        self.toc = [
            ParagraphStyle("toc0", parent=base, fontName=fs.bold, fontSize=10, leftIndent=0, firstLineIndent=0),
            ParagraphStyle("toc1", parent=base, fontSize=9, leftIndent=14, firstLineIndent=0, spaceAfter=1),
        ]


@dataclass
class _Contents:
    """The table of contents, filled in one pass: headings record the page they land on, TOC
    lines refer to a form for their page number, and the canvas defines the forms at the end
    (PDF forms may be used before they are defined). One pass instead of reportlab's multiBuild
    halves the PDF time, and keeps bookmarks right (a deferred-showPage canvas breaks them)."""

    entries: list[tuple[int, str]] = field(default_factory=list)
    """(level, plain text) of each heading, in story order."""
    pages: dict[int, int] = field(default_factory=dict)
    """heading index -> the page it landed on."""
    total: int = 0


class _Heading(Paragraph):
    """A section heading: a TOC entry, a bookmark and an outline entry."""

    def __init__(self, safe_text: str, style: ParagraphStyle, level: int, plain: str, index: int) -> None:
        super().__init__(safe_text, style)
        self.toc_level = level
        self.plain = plain
        self.index = index


class _TocLine(Flowable):
    """One line of the table of contents: the heading's text and dot leaders; the page number is
    written by the canvas once the heading has been placed."""

    def __init__(self, contents: _Contents, index: int, style: ParagraphStyle) -> None:
        super().__init__()
        self.contents = contents
        self.index = index
        self.level, plain = contents.entries[index]
        self.text, self.font = label(plain)
        self.style = style

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.width = availWidth
        return availWidth, self.style.leading + (3 if self.level == 0 else 0)

    def draw(self) -> None:
        size, indent = self.style.fontSize, self.style.leftIndent
        font = fonts().bold if self.level == 0 and self.font == fonts().body else self.font
        room = self.width - indent - 40
        text = self.text
        while text and stringWidth(text, font, size) > room:
            text = text[:-2] + "\u2026" if len(text) > 2 else ""
        self.canv.setFont(font, size)
        self.canv.drawString(indent, 3, text)
        end = indent + stringWidth(text, font, size) + 4
        self.canv.setFont(fonts().body, size)
        dots = max(0, int((self.width - 24 - end) / stringWidth(". ", fonts().body, size)))
        self.canv.drawString(end, 3, ". " * dots)
        self.canv.linkRect("", f"h{self.index}", (0, 0, self.width, self.style.leading), relative=1)
        self.canv.saveState()
        self.canv.translate(self.width, 3)
        self.canv.doForm(f"{TOC_FORM}{self.index}")  # the page number, known once the heading is placed
        self.canv.restoreState()


class _Doc(BaseDocTemplate):
    def __init__(self, buf: io.BytesIO, frontis: Frontis, contents: _Contents) -> None:
        super().__init__(
            buf,
            pagesize=PAGE,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN + 0.3 * cm,
            bottomMargin=MARGIN,
            title=f"{frontis.kind.split(' / ')[0]}: {frontis.title}",
            author="Hotwash",
            subject=f"{frontis.kind} (HSEEP)",
            creator="Hotwash",
        )
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        furniture = _page_furniture(frontis, fonts())
        self.addPageTemplates(
            [PageTemplate("cover", [frame], onPage=furniture), PageTemplate("body", [frame], onPage=furniture)]
        )
        self.contents = contents

    def afterFlowable(self, flowable: Flowable) -> None:
        if isinstance(flowable, _Heading):
            key = f"h{flowable.index}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.plain, key, level=flowable.toc_level, closed=True)
            self.contents.pages[flowable.index] = self.page

    def afterPage(self) -> None:
        self.contents.total = self.page


def _page_furniture(frontis: Frontis, fs: FontSet) -> Callable[[Canvas, BaseDocTemplate], None]:
    """Draws the marking, the running header and 'Page n of N' on each page as it is laid out;
    N is a form the canvas fills in when the document is saved."""
    header_text, header_font = label(frontis.title)
    if len(header_text) > 90:
        header_text = header_text[:89] + "\u2026"
    marking = label(frontis.marking) if frontis.marking else None

    def draw(canv: Canvas, doc: BaseDocTemplate) -> None:
        number = canv.getPageNumber()
        width, height = PAGE
        canv.saveState()
        if marking:
            canv.setFont(fs.bold if marking[1] == fs.body else marking[1], 8.5)
            canv.setFillColor(colors.HexColor("#b71c1c"))
            canv.drawCentredString(width / 2, height - 1.0 * cm, marking[0])
            canv.drawCentredString(width / 2, 0.7 * cm, marking[0])
        if number > 1:
            canv.setFillColor(ACCENT)
            canv.setFont(header_font, 8)
            canv.drawString(MARGIN, height - 1.45 * cm, header_text)
            canv.drawRightString(width - MARGIN, height - 1.45 * cm, frontis.kind)
            canv.setStrokeColor(ACCENT)
            canv.setLineWidth(0.5)
            canv.line(MARGIN, height - 1.6 * cm, width - MARGIN, height - 1.6 * cm)
            canv.setFillColor(FOOTER)
            canv.setFont(fs.body, 8)
            canv.drawRightString(width - MARGIN - 16, 1.2 * cm, f"Page {number} of")
            canv.translate(width - MARGIN - 13, 1.2 * cm)
            canv.doForm(TOTAL_FORM)
        canv.restoreState()
        if number > 1:
            canv.saveState()
            canv.setFillColor(FOOTER)
            canv.setFont(fs.body, 8)
            canv.drawString(MARGIN, 1.2 * cm, frontis.footer)
            canv.restoreState()

    return draw


def _canvas_class(contents: _Contents, fs: FontSet) -> type[Canvas]:
    """A canvas that, when saved, defines the forms pages refer to: the page count and the table
    of contents' page numbers."""

    class ReportCanvas(Canvas):
        def save(self) -> None:
            self.beginForm(TOTAL_FORM, lowerx=-5, lowery=-5, upperx=60, uppery=15)
            self.setFillColor(FOOTER)
            self.setFont(fs.body, 8)
            self.drawString(0, 0, str(contents.total))
            self.endForm()
            for index in range(len(contents.entries)):
                # Right-aligned at the form's origin: its box must reach left of x = 0.
                self.beginForm(f"{TOC_FORM}{index}", lowerx=-60, lowery=-5, upperx=5, uppery=15)
                self.setFont(fs.bold if contents.entries[index][0] == 0 else fs.body, 9)
                self.drawRightString(0, 0, str(contents.pages.get(index, "")))
                self.endForm()
            super().save()

    return ReportCanvas


def _p(safe: str, style: ParagraphStyle) -> Paragraph:
    return MeasuredParagraph(safe, style)


CHUNK = 2500
"""Longest text put in one Paragraph: longer texts become several, so any text splits across pages
(and wrapping stays linear in the text's length)."""


def _pieces(text: str, size: int) -> list[str]:
    """``text`` cut into pieces of at most ``size`` characters, at a line break or space when one is
    near the cut."""
    out = []
    while len(text) > size:
        cut = max(text.rfind("\n", size // 2, size), text.rfind(" ", size // 2, size))
        cut = cut + 1 if cut > 0 else size
        out.append(text[:cut])
        text = text[cut:]
    out.append(text)
    return out


def _runs_markup(runs: Sequence[Run]) -> str:
    parts = []
    for run in runs:
        safe = markup(run.text)
        if run.bold:
            safe = f"<b>{safe}</b>"
        if run.italic:
            safe = f"<i>{safe}</i>"
        if run.colour:
            safe = f'<font color="#{run.colour}">{safe}</font>'
        parts.append(safe)
    return "".join(parts)


def _split_runs(runs: Sequence[Run], size: int) -> list[tuple[Run, ...]]:
    """Runs regrouped so no group holds more than ``size`` characters (long runs are cut)."""
    groups: list[list[Run]] = [[]]
    used = 0
    for run in runs:
        for piece in _pieces(run.text, size):
            if used + len(piece) > size and groups[-1]:
                groups.append([])
                used = 0
            groups[-1].append(Run(piece, run.bold, run.italic, run.colour))
            used += len(piece)
    return [tuple(g) for g in groups]


class _Builder:
    def __init__(
        self, report: AfterActionReport | None, contents: _Contents, blocks: Sequence[Block] | None = None,
        trend: Mapping[str, Sequence[TaskCount]] | None = None,
    ) -> None:
        self.r = report
        self.blocks = blocks
        self.trend = trend or {}
        """The counts each "trend" figure draws, by its caption (a capability across a program's exercises)."""
        self.contents = contents
        self.fs = fonts()
        self.s = _Styles(self.fs)
        self.story: list[Flowable] = []
        self.styles = {
            "body": self.s.body, "small": self.s.small, "bullet": self.s.bullet, "evidence": self.s.evidence,
            "title": self.s.title, "subtitle": self.s.subtitle, "marking": self.s.marking, "h3": self.s.h3,
        }

    def _heading(self, block: Heading) -> list[Flowable]:
        self.contents.entries.append((block.level, block.text))
        style = self.s.h1 if block.level == 0 else self.s.h2
        heading = _Heading(markup(block.text), style, block.level, block.text, len(self.contents.entries) - 1)
        if block.level == 0:  # each chapter on a page of its own, as in the HSEEP template
            return [heading] if len(self.contents.entries) == 1 else [PageBreak(), heading]
        return [CondPageBreak(3 * cm), heading]

    def _para(self, block: Para) -> list[Flowable]:
        style = self.styles[block.style]
        if block.style == "subtitle" and not self.contents.entries:
            style = ParagraphStyle("subtitle-cover", parent=style, spaceAfter=10)
        groups = _split_runs(block.runs, CHUNK)
        out: list[Flowable] = []
        for i, group in enumerate(groups):
            piece = style if i == 0 else ParagraphStyle(f"{style.name}+", parent=style, bulletIndent=0)
            out.append(_p(_runs_markup(group), piece))
        return out

    def _header_cell(self, title: str, width: float, dense: bool) -> Paragraph:
        """A header cell whose words are never broken: the font shrinks until the longest fits."""
        # The cell's padding, and a margin reportlab's line breaking wants.
        size = fitting_size(title, width - 10, 7.0 if dense else self.s.head.fontSize)
        style = ParagraphStyle("head-fit", parent=self.s.head, fontSize=size, leading=size * 1.2)
        return _p(markup(title), style)

    def _rows(
        self, block: Table, widths: Sequence[float], style: ParagraphStyle
    ) -> tuple[list[list[Flowable]], list[int]]:
        """Each model row, continued over as many table rows as its tallest cell needs, and the
        table rows that start an odd-numbered model row (shaded, with their continuations)."""
        rows: list[list[Flowable]] = []
        shaded: list[int] = []
        for number, row in enumerate(block.rows):
            cells = [[_p(_runs_markup(group), style) for group in _split_runs(runs, CHUNK)] for runs in row]
            continued = continued_rows(cells, widths, padding=6)
            if number % 2:
                shaded += range(len(rows), len(rows) + len(continued))
            rows += continued
        return rows, shaded

    def _table(self, block: Table) -> list[Flowable]:
        widths = [w * WIDTH for w in block.widths]
        style = self.s.tight if block.dense else self.s.cell
        data, shaded = self._rows(block, widths, style)
        table_style = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0bec5")),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
        out: list[Flowable] = []
        if block.caption:
            out.append(_p(f"<b>{markup(block.caption)}</b>", self.s.caption))
        if block.key_value:
            table_style.append(("BACKGROUND", (0, 0), (0, -1), LIGHT))
            if not data:
                return out
            t = LongTable(data, colWidths=widths, splitByRow=True)
        else:
            data.insert(0, [self._header_cell(h, w, block.dense) for h, w in zip(block.header, widths, strict=True)])
            table_style.append(("BACKGROUND", (0, 0), (-1, 0), ACCENT))
            table_style += [("BACKGROUND", (0, i + 1), (-1, i + 1), LIGHT) for i in shaded]  # below the header
            # LongTable splits a many-page table in linear time; the header repeats on each page.
            t = LongTable(data, colWidths=widths, repeatRows=1, splitByRow=True)
        t.setStyle(TableStyle(table_style))
        return [*out, t, Spacer(1, 6)]

    def _figure(self, block: Figure) -> list[Flowable]:
        drawings: list[Flowable] = []
        if block.name == "trend":
            drawings = list(charts.compliance_charts(self.trend.get(block.caption, ()), WIDTH))
        elif self.r is None:
            return []
        elif block.name == "network":
            image = _network_image(self.r)
            if image is None:
                return [_p(markup(network.MISSING), self.s.small)]
            drawings = [image]
        elif block.name == "timeline":
            drawings = [charts.timeline_chart(self.r, WIDTH)]
        elif block.name == "compliance_agency":
            drawings = list(charts.compliance_charts(self.r.by_agency, WIDTH))
        elif block.name == "compliance_protocol":
            drawings = list(charts.compliance_charts(self.r.by_protocol, WIDTH))
        elif block.name == "baseline" and self.r.baseline is not None:
            chart = charts.baseline_chart(self.r.baseline, WIDTH, self.r.names.agencies)
            drawings = [chart] if chart is not None else []
        elif block.name == "trust" and self.r.public_information is not None:
            drawings = [trust_chart(self.r.public_information, WIDTH)]
        if not drawings:
            return []
        caption = _p(markup(block.caption), self.s.small)
        return [*drawings[:-1], KeepTogether([drawings[-1], caption]), Spacer(1, 6)]

    def build(self) -> list[Flowable]:
        blocks = self.blocks if self.blocks is not None else build_document(self.r, self.fs.notes) if self.r else []
        toc_at: int | None = None
        self.story.append(Spacer(1, 3 * cm))  # the cover's title sits a third of the way down
        for block in blocks:
            if isinstance(block, Heading):
                self.story += self._heading(block)
            elif isinstance(block, Para):
                self.story += self._para(block)
            elif isinstance(block, Table):
                self.story += self._table(block)
            elif isinstance(block, Figure):
                self.story += self._figure(block)
            elif isinstance(block, Contents):
                toc_at = len(self.story)
            elif isinstance(block, PageBreakBlock):
                self.story += [NextPageTemplate("body"), PageBreak()]
        if toc_at is not None:
            self.story[toc_at:toc_at] = self.table_of_contents()
        return self.story

    def table_of_contents(self) -> list[Flowable]:
        lines: list[Flowable] = [Spacer(1, 12), _p("Contents", self.s.h1)]
        lines += [
            _TocLine(self.contents, i, self.s.toc[min(level, 1)])
            for i, (level, _) in enumerate(self.contents.entries)
            if level == 0 or len(self.contents.entries) < 60
        ]
        return lines


def _network_image(report: AfterActionReport) -> Flowable | None:
    """The Graphviz drawing as an image scaled to the text width (at most half a page high)."""
    room = (WIDTH, 0.55 * (PAGE[1] - 2 * MARGIN))
    data = network.printed(report)
    if data is None:
        return None
    reader = ImageReader(io.BytesIO(data))
    w, h = reader.getSize()
    scale = min(room[0] / w, room[1] / h)
    return Image(io.BytesIO(data), width=w * scale, height=h * scale)


def render_pdf(report: AfterActionReport) -> bytes:
    """The AAR/IP as PDF bytes."""
    buf = io.BytesIO()
    contents = _Contents()
    story = _Builder(report, contents).build()
    doc = _Doc(buf, frontis_of(report), contents)
    doc.build(story, canvasmaker=_canvas_class(contents, fonts()))
    return buf.getvalue()


def render_blocks_pdf(blocks: Sequence[Block], frontis: Frontis, trend: Mapping[str, Sequence[TaskCount]] | None = None) -> bytes:
    """Another document worded as blocks (a program report) drawn the way the AAR/IP is."""
    buf = io.BytesIO()
    contents = _Contents()
    story = _Builder(None, contents, blocks, trend).build()
    _Doc(buf, frontis, contents).build(story, canvasmaker=_canvas_class(contents, fonts()))
    return buf.getvalue()
