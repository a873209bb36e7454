"""``render_docx``: the same AAR/IP as an editable Word document (python-docx).

It draws the blocks of ``aar.document`` as the PDF does: sections with Word's own heading styles
(so the navigation pane and a Word table of contents work), Table 1 and Appendix A as real Word
tables with a repeating header row, figures as images. Text goes into the file as XML text, so
markup, right-to-left and CJK script stay literal; characters XML cannot hold are dropped.
"""

from __future__ import annotations

import copy
import functools
import io
import re
from collections.abc import Mapping, Sequence

from docx import Document as new_document
from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.text.run import CT_R, CT_Text, _RunContentAppender
from docx.shared import Inches, Length, Pt, RGBColor
from docx.table import Table as WordTable
from docx.table import _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run as WordRun

from aar.document import (
    Block,
    Contents,
    Figure,
    Frontis,
    Heading,
    PageBreak,
    Para,
    Run,
    Table,
    build_document,
    frontis_of,
)
from aar.model import AfterActionReport, TaskCount
from aar.render import charts, network, raster
from aar.render.fonts import fitting_size, fonts
from aar.render.trust_chart import trust_chart

TEXT_WIDTH = Inches(6.5)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
ACCENT = RGBColor(0x1A, 0x3B, 0x5D)
LANGUAGE = "en-US"


def _clean(text: str) -> str:
    """XML 1.0 cannot hold control characters: they are dropped, everything else is kept."""
    return _NOT_XML.sub("", text)


def _runs(paragraph: Paragraph, runs: Sequence[Run], size: float | None = None) -> None:
    """The runs appended as python-docx's ``add_run`` writes them (the same XML), each copied from a
    run made once per look: setting a run's text and font through python-docx walks every character
    and every property element, which was most of a long report's Word copy."""
    p = paragraph._p
    for run in runs:
        lines = _clean(run.text).split("\n")
        template = _template_run(run.bold, run.italic, run.colour.upper() if run.colour else None, size)
        for i, line in enumerate(lines):
            r = copy.deepcopy(template)
            if "\t" in line or "\r" in line:  # tabs and carriage returns become Word's own elements
                _RunContentAppender.append_to_run_from_text(r, line)
            elif line:
                r.append(_text(line))
            if i < len(lines) - 1:
                r.append(copy.deepcopy(_BREAK))
            p.append(r)


@functools.lru_cache(maxsize=256)
def _template_run(bold: bool, italic: bool, colour: str | None, size: float | None) -> CT_R:
    """An empty run with these properties, made by python-docx (the element copied for each run)."""
    r = WordRun(OxmlElement("w:r"), None)  # type: ignore[arg-type]  # a run of no paragraph yet
    r.bold = bold or None
    r.italic = italic or None
    if colour:
        r.font.color.rgb = RGBColor.from_string(colour)
    if size:
        r.font.size = Pt(size)
    return r._r


def _text(line: str) -> CT_Text:
    """A ``w:t`` as python-docx writes one: spaces kept when the text begins or ends with them."""
    t = copy.deepcopy(_TEXT)
    t.text = line
    if len(line.strip()) < len(line):
        t.set(qn("xml:space"), "preserve")
    return t


_TEXT = OxmlElement("w:t")
_BREAK = OxmlElement("w:br")


def _repeat_header(table: WordTable) -> None:
    """Mark the first row as a header row, repeated on every page the table runs onto."""
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    tr_pr.append(flag)


def _add_row(table: WordTable, row: Sequence[Sequence[Run]], widths: Sequence[Length], size: float, key_value: bool) -> None:
    """One row appended as python-docx's ``add_row`` makes it, each cell given its width as made:
    reaching a cell through ``table.rows[r].cells`` or ``table.columns[i].cells`` walks the whole
    table each time, which made a long table's cost grow with the square of its rows."""
    tr = table._tbl.add_tr()
    for i, runs in enumerate(row):
        tc = tr.add_tc()
        tc.width = widths[i]
        cell = _Cell(tc, table)
        _runs(cell.paragraphs[0], runs, _one_word_size(runs, widths[i], size))
        if key_value and i == 0:
            _shade(cell, "E8EEF4")


CELL_MARGIN = Pt(3)
"""Left and right margin of a table cell: the PDF's padding, where Word's default (0.08 in, 5.8 pt)
left a four-digit count no room in a narrow column."""
CELL_MARGINS_PT = 2 * CELL_MARGIN.pt + 2
"""Both margins of a cell, and a little for the font's own spacing."""


def _narrow_margins(table: WordTable) -> None:
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(int(CELL_MARGIN.pt * 20)))  # in twentieths of a point
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    # In the schema's order (before tblLook), or Word calls the file damaged.
    table._tbl.tblPr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")


def _one_word_size(runs: Sequence[Run], width: Length, size: float) -> float:
    """The size a cell of one short word is set in: smaller where it would not fit its column, so a
    number is never broken over two lines ("460" over "5"): Word's text is narrower than the PDF's,
    so a column the PDF fits can be too narrow here."""
    if len(runs) != 1 or len(runs[0].text) > 16 or not runs[0].text or any(c.isspace() for c in runs[0].text):
        return size
    face = fonts().bold if runs[0].bold else fonts().body
    return fitting_size(runs[0].text, width.pt - CELL_MARGINS_PT, size, face)


def _shade(cell: object, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)  # type: ignore[attr-defined]


def _field(paragraph: Paragraph, instruction: str, shown: str = "1") -> None:
    """A simple Word field (PAGE, NUMPAGES, PAGEREF), computed by Word when the page is laid out;
    ``shown`` stands until then."""
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = shown
    run.append(text)
    fld.append(run)
    paragraph._p.append(fld)


def _bookmark(paragraph: Paragraph, name: str, ident: int) -> None:
    """A bookmark around the paragraph's text: what a contents entry's PAGEREF field points at."""
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(ident))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(ident))
    paragraph._p.insert(1 if paragraph._p.pPr is not None else 0, start)
    paragraph._p.append(end)


def _chapter_mark(index: int) -> str:
    return f"_Toc_hotwash_{index}"


def _update_fields_on_open(doc: Document) -> None:
    """Word lays out the page numbers of the contents when the file opens (LibreOffice always does)."""
    settings = doc.settings.element
    flag = OxmlElement("w:updateFields")
    flag.set(qn("w:val"), "true")
    settings.append(flag)


class _Writer:
    def __init__(
        self, report: AfterActionReport | None, frontis: Frontis | None = None, trend: Mapping[str, Sequence[TaskCount]] | None = None,
    ) -> None:
        self.r = report
        self.frontis = frontis or (frontis_of(report) if report else Frontis(""))
        self.trend = trend or {}
        self.doc: Document = new_document()
        self.headings: list[str] = []
        self.chapters = 0
        self.style_ids: dict[str, str | None] = {}
        self._setup()

    def _style(self, name: str) -> str | None:
        """A paragraph style's id, looked up once: python-docx walks every style per lookup, and
        again per paragraph to tell whether the style is the default one (written as no id)."""
        if name not in self.style_ids:
            self.style_ids[name] = self.doc.part.get_style_id(self.doc.styles[name], WD_STYLE_TYPE.PARAGRAPH)
        return self.style_ids[name]

    def _paragraph(self, style: str, text: str = "") -> Paragraph:
        """A paragraph as ``add_paragraph(text, style)`` writes it."""
        paragraph = self.doc.add_paragraph(text)
        paragraph._p.style = self._style(style)
        return paragraph

    def _setup(self) -> None:
        f = self.frontis
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Inches(8.5), Inches(11)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Inches(1))
        normal = self.doc.styles["Normal"]
        normal.font.name = "DejaVu Sans"
        normal.font.size = Pt(9.5)
        core = self.doc.core_properties
        core.title = _clean(f"{f.kind.split(' / ')[0]}: {f.title}")[:250]
        core.author = "Hotwash"
        core.subject = f"{f.kind} (HSEEP)"
        core.language = LANGUAGE
        self._language()
        header = section.header.paragraphs[0]
        header.text = _clean(" | ".join(x for x in (f.marking or "", f.title[:90], f.kind) if x))
        footer = section.footer.paragraphs[0]
        footer.add_run(_clean(f.marking + "    " if f.marking else "") + "Page ")
        _field(footer, "PAGE")
        footer.add_run(" of ")
        _field(footer, "NUMPAGES")

    def _language(self) -> None:
        """The document's language on its default run properties, which screen readers and the
        tagged PDF take their language from."""
        defaults = self.doc.styles.element.find(qn("w:docDefaults"))
        if defaults is None:
            return
        run_pr = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
        if run_pr is None:
            return
        lang = run_pr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            run_pr.append(lang)
        lang.set(qn("w:val"), LANGUAGE)

    def block(self, block: Block) -> None:
        if isinstance(block, Heading):
            self.headings.append(block.text)
            heading = self._paragraph(f"Heading {block.level + 1}", _clean(block.text))
            if block.level == 0:
                self.chapters += 1
                _bookmark(heading, _chapter_mark(self.chapters), self.chapters)
            # Each chapter on a page of its own, as in the PDF and the HSEEP template.
            heading.paragraph_format.page_break_before = block.level == 0 and len(self.headings) > 1
        elif isinstance(block, Para):
            self.para(block)
        elif isinstance(block, Table):
            self.table(block)
        elif isinstance(block, Figure):
            self.figure(block)
        elif isinstance(block, PageBreak):
            self.doc.add_page_break()

    def para(self, block: Para) -> None:
        if block.style == "title":
            p = self._paragraph("Title")
        elif block.style == "h3":
            p = self._paragraph("Heading 3")
        elif block.style == "bullet":
            p = self._paragraph("List Bullet")
        else:
            p = self.doc.add_paragraph()
        size = {"small": 8.0, "evidence": 8.0, "subtitle": 14.0, "marking": 11.0}.get(block.style)
        if block.style in ("subtitle", "marking", "title"):
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if block.style == "evidence":
            p.paragraph_format.left_indent = Inches(0.35)
        if block.style in ("evidence", "bullet", "small"):
            p.paragraph_format.space_after = Pt(2)
        _runs(p, block.runs, size)
        if block.style == "marking":
            for r in p.runs:
                r.bold = True
                r.font.color.rgb = RGBColor(0xB7, 0x1C, 0x1C)

    def table(self, block: Table) -> None:
        if block.caption:
            cap = self._paragraph("Caption")
            cap.add_run(_clean(block.caption))
        header = 0 if block.key_value else 1
        t = self.doc.add_table(rows=header, cols=len(block.widths))
        t.style = "Table Grid"
        t.autofit = False
        _narrow_margins(t)
        size = 7.0 if block.dense else 8.0
        widths = [Length(int(TEXT_WIDTH * share)) for share in block.widths]
        for i, width in enumerate(widths):
            t.columns[i].width = width  # the table grid, which LibreOffice follows
        if header:
            for i, title in enumerate(block.header):
                cell = t.rows[0].cells[i]
                cell.width = widths[i]  # each cell, which Word follows
                # Word's default cell margins are 0.08 in a side; a header never breaks a word.
                fitted = fitting_size(title, TEXT_WIDTH.pt * block.widths[i] - CELL_MARGINS_PT, size)
                _runs(cell.paragraphs[0], (Run(title, bold=True),), fitted)
                _shade(cell, "DCE6F0")
            _repeat_header(t)
        for row in block.rows:
            _add_row(t, row, widths, size, block.key_value)

    def figure(self, block: Figure) -> None:
        images = self._images(block)
        for n, data in enumerate(images, start=1):
            shape = self.doc.add_picture(io.BytesIO(data), width=TEXT_WIDTH)
            # The picture's description is its alternate text for screen readers (and the tagged PDF).
            part = f" (part {n} of {len(images)})" if len(images) > 1 else ""
            shape._inline.docPr.set("descr", _clean(block.alt + part))
        if images:
            cap = self._paragraph("Caption")
            cap.add_run(_clean(block.caption))

    def _images(self, block: Figure) -> list[bytes]:
        width = TEXT_WIDTH.pt
        if block.name == "trend":
            return [raster.png(d) for d in charts.compliance_charts(self.trend.get(block.caption, ()), width)]
        if self.r is None:
            return []
        if block.name == "network":
            data = network.printed(self.r)
            if data is None:
                self.doc.add_paragraph(network.MISSING)
                return []
            return [data]
        if block.name == "timeline":
            return [raster.png(charts.timeline_chart(self.r, width))]
        if block.name == "compliance_agency":
            return [raster.png(d) for d in charts.compliance_charts(self.r.by_agency, width)]
        if block.name == "compliance_protocol":
            return [raster.png(d) for d in charts.compliance_charts(self.r.by_protocol, width)]
        if block.name == "baseline" and self.r.baseline is not None:
            chart = charts.baseline_chart(self.r.baseline, width, self.r.names.agencies)
            return [raster.png(chart)] if chart is not None else []
        if block.name == "trust" and self.r.public_information is not None:
            return [raster.png(trust_chart(self.r.public_information, width))]
        return []

    def contents(self, blocks: Sequence[Block]) -> None:
        """A contents list of the chapters with their page numbers: each entry's number is a PAGEREF
        field to a bookmark on the chapter's heading, laid out by Word or LibreOffice (the headings
        use Word's heading styles too, so the navigation pane lists them)."""
        title = self.doc.add_paragraph()
        run = title.add_run("Contents")
        run.bold, run.font.size, run.font.color.rgb = True, Pt(15), ACCENT
        width = Inches(8.5 - 2)  # the page less its margins (_setup)
        chapters = [b for b in blocks if isinstance(b, Heading) and b.level == 0]
        for k, b in enumerate(chapters, start=1):
            entry = self.doc.add_paragraph()
            entry.paragraph_format.tab_stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
            entry.add_run(f"{k}. {_clean(b.text)}\t")
            _field(entry, f"PAGEREF {_chapter_mark(k)} \\h", shown="")
        _update_fields_on_open(self.doc)


def render_docx(report: AfterActionReport, notes: Sequence[str] = ()) -> bytes:
    """The AAR/IP as .docx bytes."""
    return _write(_Writer(report), build_document(report, notes))


def render_blocks_docx(blocks: Sequence[Block], frontis: Frontis, trend: Mapping[str, Sequence[TaskCount]] | None = None) -> bytes:
    """Another document worded as blocks (a program report) written the way the AAR/IP is."""
    return _write(_Writer(None, frontis, trend), blocks)


def _write(writer: _Writer, blocks: Sequence[Block]) -> bytes:
    previous: Block | None = None
    for b in blocks:
        if isinstance(b, Table) and isinstance(previous, Table) and not b.caption:
            writer.doc.add_paragraph()  # two tables with nothing between would join into one
        if isinstance(b, Contents):
            writer.contents(blocks)
        else:
            writer.block(b)
        previous = b
    out = io.BytesIO()
    writer.doc.save(out)
    return out.getvalue()
