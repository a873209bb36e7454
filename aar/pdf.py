"""``render_pdf``: the after-action report drawn in the HSEEP AAR/IP layout (reportlab platypus).

The renderer only draws the report model. Every value that came from a user or a scenario file
goes through ``aar.fonts.markup`` (escaped, visual order, fallback fonts) before it reaches a
Paragraph; constant strings are written here. Long lists are capped in the PDF with a pointer
to the JSON export, which carries everything.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    LongTable,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from aar import charts
from aar.fonts import FontSet, fonts, label, markup
from aar.model import AfterActionReport, EvaluatorRating, Evidence, Note, Status
from aar.trust_chart import trust_chart as charts_trust
from exercises.durations import format_duration, format_span
from exercises.scenario import Rating

PAGE = LETTER
MARGIN = 2.0 * cm
WIDTH = PAGE[0] - 2 * MARGIN
MAX_EVIDENCE_NOTES = 5
"""Areas for improvement shown per protocol and objective; the JSON has them all."""
MAX_EVALUATOR_NOTES = 10
"""Evaluators' areas for improvement shown per capability and objective."""
MAX_TABLE_ROWS = 80
ACCENT = colors.HexColor("#1a3b5d")
LIGHT = colors.HexColor("#e8eef4")
FOOTER = colors.HexColor("#455a64")
TOTAL_FORM = "hwPageCount"
TOC_FORM = "hwTocPage"
RATING_MEANING_SHORT = {
    Rating.P: "without challenges",
    Rating.S: "with some challenges",
    Rating.M: "with major challenges",
    Rating.U: "unable to be performed",
}
RATING_COLOURS = {
    Rating.P: colors.HexColor("#2e7d32"),
    Rating.S: colors.HexColor("#9e9d24"),
    Rating.M: colors.HexColor("#ef6c00"),
    Rating.U: colors.HexColor("#c62828"),
}


class _Styles:
    def __init__(self, fs: FontSet) -> None:
        base = ParagraphStyle("body", fontName=fs.body, fontSize=9.5, leading=12.5, spaceAfter=4)
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=8, leading=10, spaceAfter=2)
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
    def __init__(self, buf: io.BytesIO, report: AfterActionReport, contents: _Contents) -> None:
        super().__init__(
            buf,
            pagesize=PAGE,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN + 0.3 * cm,
            bottomMargin=MARGIN,
            title=f"After-Action Report: {report.exercise_name}",
            author="Hotwash",
            subject="After-Action Report / Improvement Plan (HSEEP)",
            creator="Hotwash",
        )
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        furniture = _page_furniture(report, fonts())
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


def _page_furniture(report: AfterActionReport, fs: FontSet) -> Callable[[Canvas, BaseDocTemplate], None]:
    """Draws the marking, the running header and 'Page n of N' on each page as it is laid out;
    N is a form the canvas fills in when the document is saved."""
    header_text, header_font = label(report.exercise_name)
    if len(header_text) > 90:
        header_text = header_text[:89] + "\u2026"
    marking = label(report.marking) if report.marking else None

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
            canv.drawRightString(width - MARGIN, height - 1.45 * cm, "After-Action Report / Improvement Plan")
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
            canv.drawString(MARGIN, 1.2 * cm, "Generated by Hotwash from the exercise journal")
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
    return Paragraph(safe, style)


def _time(seconds: float | None) -> str:
    return format_duration(seconds) if seconds is not None else "--"


def _span(seconds: float | None) -> str:
    return format_span(seconds) if seconds is not None else "--"


def _dates(dates: tuple[date, date]) -> str:
    a, b = dates
    return a.strftime("%d %B %Y") if a == b else f"{a.strftime('%d %B %Y')} to {b.strftime('%d %B %Y')}"


class _Builder:
    def __init__(self, report: AfterActionReport, contents: _Contents) -> None:
        self.r = report
        self.contents = contents
        self.fs = fonts()
        self.s = _Styles(self.fs)
        self.story: list[Flowable] = []

    # --- helpers --------------------------------------------------------------------------

    def add(self, *items: Flowable) -> None:
        self.story.extend(items)

    def _heading(self, safe: str, plain: str, level: int) -> _Heading:
        self.contents.entries.append((level, plain))
        return _Heading(safe, self.s.h1 if level == 0 else self.s.h2, level, plain, len(self.contents.entries) - 1)

    def h1(self, text: str) -> None:
        self.add(CondPageBreak(5 * cm), self._heading(text, text, 0))

    def h2(self, safe: str, plain: str) -> None:
        self.add(CondPageBreak(3 * cm), self._heading(safe, plain, 1))

    def para(self, safe: str, style: ParagraphStyle | None = None) -> None:
        self.add(_p(safe, style or self.s.body))

    def table(
        self,
        header: Sequence[str],
        rows: Iterable[Sequence[str]],
        widths: Sequence[float],
        *,
        cap: int | None = MAX_TABLE_ROWS,
        what: str = "rows",
        extra: Sequence[tuple[str, ...]] = (),
        style: ParagraphStyle | None = None,
    ) -> None:
        """A table of already-safe cell markup; header repeated on each page it splits onto."""
        body = list(rows)
        shown = body if cap is None else body[:cap]
        data: list[list[Flowable]] = [[_p(h, self.s.head) for h in header]]
        data += [[_p(cell, style or self.s.cell) for cell in row] for row in shown]
        # LongTable splits a many-page table in linear time (Table re-measures the rest at every page).
        t = LongTable(data, colWidths=[w * WIDTH for w in widths], repeatRows=1, splitByRow=True)
        style = [
            ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0bec5")),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
        style += [("BACKGROUND", (0, i), (-1, i), LIGHT) for i in range(2, len(data), 2)]
        style += list(extra)
        t.setStyle(TableStyle(style))
        self.add(t)
        if cap is not None and len(body) > cap:
            self.para(
                f"{len(body) - cap} more {what} not shown here; the JSON export (--json) lists them all.",
                self.s.small,
            )
        self.add(Spacer(1, 6))

    def evidence_lines(self, trail: Sequence[Evidence]) -> None:
        for ev in trail:
            corrected = f" (as corrected by #{ev.corrected_by})" if ev.corrected_by else ""
            self.para(
                f"#{ev.seq} at {_time(ev.at)}, {ev.role}: {markup(ev.summary)}{corrected}", self.s.evidence
            )

    # --- sections -------------------------------------------------------------------------

    def cover(self) -> None:
        r = self.r
        self.add(Spacer(1, 3.2 * cm))
        if r.marking:
            self.para(markup(r.marking), self.s.marking)
            self.add(Spacer(1, 0.8 * cm))
        self.para(markup(r.exercise_name), self.s.title)
        self.add(Spacer(1, 0.4 * cm))
        self.para("After-Action Report / Improvement Plan", self.s.subtitle)
        self.para(markup(_dates(r.exercise_dates)), self.s.subtitle)
        self.add(Spacer(1, 1.6 * cm))
        ov = r.overview
        facts = [
            ("Scenario", markup(ov.scenario_name)),
            ("Sponsor", markup(ov.sponsor)),
            ("Location", markup(ov.location)),
            ("Exercise type", markup(ov.exercise_type.replace("_", " "))),
        ]
        t = Table(
            [[_p(f"<b>{k}</b>", self.s.body), _p(v, self.s.body)] for k, v in facts],
            colWidths=[0.25 * WIDTH, 0.55 * WIDTH],
            hAlign="CENTER",
        )
        t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -1), 0.25, LIGHT)]))
        self.add(t)
        self.add(Spacer(1, 2.5 * cm))
        self.para(
            "This report was generated by Hotwash from the exercise journal and the scenario's response "
            "plans. Computed findings and ratings are a draft for the after-action meeting; an "
            "evaluator's rating, where given, is the rating of record.",
            self.s.small,
        )
        self.add(NextPageTemplate("body"), PageBreak())

    def table_of_contents(self) -> list[Flowable]:
        lines: list[Flowable] = [_p("Contents", self.s.h1)]
        lines += [
            _TocLine(self.contents, i, self.s.toc[min(level, 1)]) for i, (level, _) in enumerate(self.contents.entries)
        ]
        return [*lines, PageBreak()]

    def overview(self) -> None:
        r, ov = self.r, self.r.overview
        self.h1("Exercise Overview")
        played = (
            f"{_time(ov.played_from)} to {_time(ov.played_to)} exercise time"
            if ov.played_from is not None
            else "the clock was not started"
        )
        scope = (
            f"{markup(ov.exercise_type.replace('_', ' ').capitalize())} exercise of a "
            f"{markup(ov.kind.replace('_', ' '))} scenario, {format_span(ov.duration_s)} of scenario time "
            f"({played}), at {markup(ov.location)}; {ov.injects} injects."
        )
        objectives = "<br/>".join(f"{markup(oid)}: {markup(text)}" for oid, text in ov.objectives)
        plans = "<br/>".join(f"{markup(name)} ({markup(authority)})" for _, name, authority in ov.plans) or "none"
        orgs = ", ".join(markup(p.name) for p in r.participants)
        rows = [
            ("Exercise name", markup(r.exercise_name)),
            ("Exercise dates", markup(_dates(r.exercise_dates))),
            ("Scope", scope),
            ("Mission area(s)", markup(", ".join(m.capitalize() for m in ov.mission_areas))),
            ("Core capabilities", markup(", ".join(ov.capabilities))),
            ("Objectives", objectives),
            ("Threat or hazard", markup(ov.threat_or_hazard)),
            ("Scenario", markup(ov.summary)),
            ("Sponsor", markup(ov.sponsor)),
            ("Response plans", plans),
            ("Participating organizations", orgs),
            ("Lead agency", markup(next((p.name for p in r.participants if p.id == ov.lead_agency), ov.lead_agency))),
        ]
        data = [[_p(f"<b>{k}</b>", self.s.cell), _p(v, self.s.cell)] for k, v in rows]
        t = Table(data, colWidths=[0.24 * WIDTH, 0.76 * WIDTH], splitByRow=True)
        t.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (0, -1), LIGHT),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0bec5")),
                ]
            )
        )
        self.add(t)

    def _rating(self, rating: Rating | None) -> str:
        if rating is None:
            return "not rated"
        colour = RATING_COLOURS[rating].hexval()[2:]
        return f'<font color="#{colour}"><b>{rating.value}</b></font> {RATING_MEANING_SHORT[rating]}'

    def analysis(self) -> None:
        r = self.r
        self.h1("Analysis of Core Capabilities")
        self.para(
            "Table 1 lists each objective with its core capabilities and ratings: P performed without "
            "challenges, S with some challenges, M with major challenges, U unable to be performed. "
            "<i>Computed</i> is derived from the response-plan protocols mapped to the capability (its "
            "critical tasks): U if a critical task was missed; M if a critical task was out of order or "
            "took over twice its allowed time, or a non-critical task was missed; S if any task was late "
            "or out of order; P if every triggered task was met. The evaluator's rating, when given, is "
            "the rating of record."
        )
        self.para("<b>Table 1. Summary of core capability performance</b>", self.s.small)
        rows = []
        previous: object = ()
        for row in r.table1:
            evaluator = self._evaluators(row.evaluator)
            objective = markup(row.objective_text) if row.objective_text else "(no objective)"
            if row.objective == previous:
                objective = ""  # one objective, several capabilities: name it once
            previous = row.objective
            rows.append(
                [
                    objective,
                    markup(row.capability),
                    f"{self._rating(row.computed)}<br/><font size='6.5'>{markup(row.computed_reason)}</font>",
                    evaluator,
                    self._rating(row.of_record),
                ]
            )
        self.table(
            ["Objective", "Core capability", "Computed from protocols", "Evaluator", "Rating of record"],
            rows,
            [0.28, 0.18, 0.24, 0.13, 0.17],
            cap=None,
        )
        for obj in r.objectives:
            name = f"Objective {obj.objective}" if obj.objective else "Other capabilities"
            self.h2(markup(name), name)
            self.para(markup(obj.text))
            self.para(
                f"<b>Core capabilities:</b> {markup(', '.join(obj.capabilities))}. "
                f"<b>Rating of record:</b> {self._rating(obj.rating)}"
            )
            self.add(_p("Strengths", self.s.h3))
            if not obj.strengths:
                self.para("None recorded.", self.s.small)
            for note in obj.strengths:
                self._note(note, evidence=False)
            self.add(_p("Areas for Improvement", self.s.h3))
            if not obj.areas_for_improvement:
                self.para("None: every triggered protocol was met and evaluators noted none.", self.s.small)
            self._areas(obj.areas_for_improvement)

    @staticmethod
    def _evaluators(ratings: Sequence[EvaluatorRating]) -> str:
        """Each evaluator rating, or a tally when there are many (a cell must fit on a page)."""
        if not ratings:
            return "--"
        if len(ratings) <= 4:
            return "<br/>".join(f"{e.rating.value} ({markup(e.actor)}, #{e.seq})" for e in ratings)
        tally = Counter(e.rating.value for e in ratings)
        latest = max(ratings, key=lambda e: (e.at, e.seq))
        counts = ", ".join(f"{k} ×{tally[k]}" for k in "PSMU" if tally[k])
        return f"{counts}<br/>latest: {latest.rating.value} ({markup(latest.actor)}, #{latest.seq})"

    def _note(self, note: Note, *, evidence: bool) -> None:
        who = f" (evaluator, #{note.seq})" if note.source == "evaluator" else ""
        cap = f"<i>{markup(note.capability)}</i>: "
        self.add(_p(f"{cap}{markup(note.text)}{who}", self.s.bullet))
        if evidence:
            self.evidence_lines(note.evidence)

    def _areas(self, notes: Sequence[Note]) -> None:
        """Shortfalls with their evidence, capped per protocol; evaluators' notes capped per
        capability (all of them are rows of Appendix A and in the JSON export)."""
        shown: dict[str, int] = {}
        hidden: dict[str, int] = {}
        for note in notes:
            key = note.protocol_id or f"evaluator notes on {note.capability}"
            cap = MAX_EVIDENCE_NOTES if note.protocol_id else MAX_EVALUATOR_NOTES
            if shown.get(key, 0) >= cap:
                hidden[key] = hidden.get(key, 0) + 1
                continue
            shown[key] = shown.get(key, 0) + 1
            self._note(note, evidence=True)
        for key, n in hidden.items():
            self.para(f"{markup(key)}: {n} more, in Appendix A and the JSON export.", self.s.evidence)

    def compliance(self) -> None:
        r = self.r
        self.h1("Protocol Compliance")
        scored = [f for f in r.findings if f.status in (Status.MET, Status.LATE, Status.MISSED, Status.OUT_OF_ORDER)]
        met = sum(f.status is Status.MET for f in scored)
        share = f"{met / len(scored):.0%}" if scored else "--"
        self.para(
            f"{len(r.findings)} findings from {len(r.by_protocol)} protocols: {met} of {len(scored)} scored "
            f"protocol instances met ({share}). A protocol is scored once per time it was triggered; "
            "expected actions are matched to triggers one-to-one in time order."
        )
        self.h2("Compliance by agency", "Compliance by agency")
        for d in charts.compliance_charts(r.by_agency, WIDTH):
            self.add(d)
        self.h2("Compliance by protocol", "Compliance by protocol")
        for d in charts.compliance_charts(r.by_protocol, WIDTH):
            self.add(d)
        rows = []
        for c in r.by_protocol:
            first = next(f for f in r.findings if f.protocol_id == c.name)
            deadline = "before trigger" if first.before_trigger else f"within {_span(first.within_s)}"
            rows.append(
                [
                    markup(c.name) + (" *" if first.critical else ""),
                    markup(c.label),
                    markup(first.agency),
                    deadline,
                    str(c.met),
                    str(c.late),
                    str(c.out_of_order),
                    str(c.missed),
                    str(c.open),
                    "yes" if c.not_triggered else "",
                ]
            )
        self.table(
            ["Protocol", "Title", "Agency", "Deadline", "Met", "Late", "Out of order", "Missed", "Not due", "Not triggered"],
            rows,
            [0.16, 0.21, 0.13, 0.1, 0.06, 0.06, 0.07, 0.07, 0.06, 0.08],
            cap=None,
        )
        self.para("* critical protocol. 'Not due': triggered, and the deadline fell after the end of play.", self.s.small)

    def timeline(self) -> None:
        self.h1("Timeline")
        self.add(charts.timeline_chart(self.r, WIDTH))

    def coordination(self) -> None:
        c = self.r.coordination
        self.h1("Coordination Between Agencies")
        self.para(
            f"{c.messages_sent} messages sent, {c.messages_delivered} delivered, {c.messages_lost} lost; "
            f"{len(c.requests)} resource requests, "
            f"{sum(1 for q in c.requests if q.answered_at is None)} never answered."
        )
        self.add(KeepTogether([_p("<b>Agency network</b>", self.s.h3), charts.network_chart(self.r, WIDTH)]))
        rows = []
        for a in c.agencies:
            rows.append(
                [
                    markup(a.name),
                    str(a.sent),
                    str(a.received),
                    str(a.lost),
                    f"{a.requests_received} / {a.requests_unanswered}",
                    f"<b>{a.load}</b>" if a.overloaded else str(a.load),
                    f"{a.betweenness:.2f}",
                    markup(a.explanation) or "--",
                ]
            )
        self.h2("Traffic by agency", "Traffic by agency")
        self.table(
            ["Agency", "Sent", "Recv.", "Lost to it", "Requests in / unanswered", "Load", "Betw.", "Why it matters"],
            rows,
            [0.15, 0.06, 0.08, 0.07, 0.12, 0.09, 0.09, 0.34],
            cap=None,
        )
        self.h2("Links", "Links")
        link_rows = []
        for link in c.links:
            down = "; ".join(
                f"{_time(a)} to {_time(b) if b is not None else 'end'}" for a, b in link.down_intervals
            ) or "--"
            link_rows.append(
                [
                    markup(" \u2013 ".join(link.between)),
                    markup(link.channel.replace("_", " ")),
                    str(link.messages),
                    str(link.lost),
                    _span(link.mean_delay_s),
                    down,
                ]
            )
        self.table(["Link", "Channel", "Message hops", "Lost", "Mean delay per hop", "Down"], link_rows, [0.26, 0.12, 0.12, 0.08, 0.16, 0.26], cap=None)
        unanswered = [q for q in c.requests if q.answered_at is None]
        if c.requests:
            self.h2("Resource requests", "Resource requests")
            req_rows = [
                [
                    markup(q.request_id),
                    markup(q.requester or "--"),
                    markup(q.to),
                    markup(f"{q.count} {q.unit_type}"),
                    f"{_time(q.requested_at)} (#{q.requested_seq})",
                    f"{_time(q.answered_at)} (#{q.answered_seq})" if q.answered_at is not None else "<b>never answered</b>",
                    _span(q.delay_s),
                ]
                for q in sorted(c.requests, key=lambda q: (q.answered_at is not None, q.requested_at))
            ]
            self.table(
                ["Request", "From", "To", "Asked for", "Requested", "Answered", "Delay"],
                req_rows,
                [0.14, 0.13, 0.13, 0.16, 0.14, 0.18, 0.12],
                what="requests",
            )
            if unanswered:
                self.para(f"{len(unanswered)} request(s) were never answered.", self.s.small)
        if c.injects:
            self.h2("Time to act on each inject", "Time to act on each inject")
            inj_rows = [
                [
                    markup(i.inject_id),
                    markup(i.synopsis),
                    f"{_time(i.delivered_at)} (#{i.delivered_seq})",
                    markup(", ".join(i.to)),
                    f"{_time(i.acted_at)} by {markup(i.acted_by or '--')} (#{i.acted_seq})"
                    if i.acted_at is not None
                    else "<b>not acted on</b>",
                    _span(i.delay_s),
                ]
                for i in c.injects
            ]
            self.table(
                ["Inject", "Synopsis", "Delivered", "To", "First action", "Took"],
                inj_rows,
                [0.09, 0.3, 0.13, 0.14, 0.22, 0.12],
                what="inject deliveries",
            )

    def baseline(self) -> None:
        b = self.r.baseline
        self.h1("Simulated Baseline")
        if b is None:
            self.para(
                "No simulated baseline was supplied. Run the scenario in batch mode and pass the result to "
                "compare each timing with teams following the plan."
            )
            return
        self.para(
            f"{b.runs} simulated runs (seed {b.seed}) of the scenario with every agency following the plan. "
            "Each actual timing is held against the simulated median and 90th percentile."
        )
        drawing = charts.baseline_chart(b, WIDTH)
        if drawing is not None:
            self.add(drawing)
        shown = [c for c in b.comparisons if c.actual_s or c.verdict != "not triggered"]
        if shown:
            example = shown[0]
            self.para(f"For example: {markup(example.sentence)}")
            rows = [
                [
                    markup(f"{c.protocol_id} {c.title}"),
                    markup(c.agency),
                    _span(c.actual_median_s) + (f" ({len(c.actual_s)})" if len(c.actual_s) > 1 else ""),
                    _span(c.simulated_median_s),
                    _span(c.simulated_p90_s),
                    f"{c.simulated_met_share:.0%}",
                    f"{c.actual_met_share:.0%}" if c.actual_met_share is not None else "--",
                    markup(c.verdict),
                ]
                for c in shown
            ]
            self.table(
                ["Protocol", "Agency", "Actual", "Simulated median", "Simulated p90", "Met (sim.)", "Met (actual)", "Compared with the plan"],
                rows,
                [0.25, 0.12, 0.09, 0.1, 0.09, 0.08, 0.08, 0.19],
                cap=None,
            )
        if b.bottlenecks:
            self.add(_p("Bottlenecks the simulation found", self.s.h3))
            for text in b.bottlenecks:
                self.add(_p(markup(text), self.s.bullet))

    def integrity(self) -> None:
        i = self.r.integrity
        self.h1("Record Integrity")
        verdict = "yes" if i.intact else "<b>NO</b>"
        rows = [
            ("Journal entries", str(i.entries)),
            ("Hash chain verified", verdict),
            ("Head hash", markup(i.head_hash or "--")),
            ("First broken entry", f"#{i.first_broken_seq}" if i.first_broken_seq is not None else "none"),
        ]
        t = Table(
            [[_p(f"<b>{k}</b>", self.s.cell), _p(v, self.s.cell)] for k, v in rows],
            colWidths=[0.28 * WIDTH, 0.72 * WIDTH],
        )
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0bec5")), ("BACKGROUND", (0, 0), (0, -1), LIGHT)]))
        self.add(t, Spacer(1, 6))
        statement = (
            "Every journal entry carries the hash of the one before it. The chain was verified when this "
            "report was made; compare the head hash and entry count with the exercise database to confirm "
            "that no entry was removed from the end."
            if i.intact
            else "The hash chain is broken: the record was altered after it was written. Findings from "
            "entries at or after the first broken entry should not be relied on."
        )
        self.para(statement)
        notes = [*self.r.notes, *self.fs.notes]
        if notes:
            self.add(_p("Notes on this report", self.s.h3))
            for note in notes:
                self.add(_p(markup(note), self.s.bullet))

    def improvement_plan(self) -> None:
        self.h1("Appendix A: Improvement Plan")
        self.para(
            "Drafted from the critical protocols that were missed, late or out of order and from the "
            "evaluators' areas for improvement; controllers' edits (journal entries) are applied. "
            "Element: planning, organization, equipment, training or exercise (POETE)."
        )
        rows = [
            [
                markup(item.capability),
                markup(item.issue),
                markup(item.corrective_action),
                markup(item.element.value.capitalize()),
                markup(item.responsible_agency) + (f"<br/>{markup(item.point_of_contact)}" if item.point_of_contact else ""),
                item.start_date.isoformat(),
                item.completion_date.isoformat(),
            ]
            for item in self.r.improvement_plan
        ]
        if rows:
            self.table(
                ["Core capability", "Issue / area for improvement", "Corrective action", "Element", "Primary responsible organization", "Start", "Completion"],
                rows,
                [0.14, 0.20, 0.21, 0.115, 0.145, 0.095, 0.095],
                cap=None,
                style=self.s.tight,
            )
        else:
            self.para("No improvement items: no critical protocol fell short and evaluators noted none.")

    def participants(self) -> None:
        self.h1("Appendix B: Exercise Participants")
        rows = [
            [
                markup(p.name),
                markup(p.kind.replace("_", " ")),
                markup(p.played_by),
                markup(", ".join(f"{n} {u.replace('_', ' ')}" for u, n in p.resources.items()) or "--"),
                str(p.entries),
            ]
            for p in self.r.participants
        ]
        self.table(["Organization", "Kind", "Played by", "Resources", "Journal entries"], rows, [0.3, 0.2, 0.12, 0.26, 0.12], cap=None)

    def build(self) -> list[Flowable]:
        self.cover()
        front, self.story = self.story, []
        self.overview()
        self.analysis()
        self.compliance()
        self.timeline()
        self.coordination()
        public_information_section(self)
        self.baseline()
        self.integrity()
        self.improvement_plan()
        self.participants()
        return [*front, *self.table_of_contents(), *self.story]


def public_information_section(b: _Builder) -> None:
    """Public information and community trust (scenarios with a media layer): the first statement,
    each rumour and how it was answered, and the trust curve beside the simulated baseline."""
    pi = b.r.public_information
    if pi is None:
        return
    b.h1("Public Information and Community Trust")
    first = (
        f"The first official statement came at {_time(pi.first_statement_at)}, "
        f"{_span(pi.time_to_first_statement_s)} after the start of play, from {markup(pi.first_statement_by)}."
        if pi.first_statement_at is not None
        else "<b>No official statement was made during play.</b>"
    )
    b.para(
        f"{first} {pi.statements} statement(s) in all; {pi.items_published} post(s) and news item(s) published. "
        f"Community trust went from {pi.trust_start:.0f} to {pi.trust_end:.0f} (lowest {pi.trust_lowest:.0f}) "
        "on a scale of 0 to 100."
    )
    rows = [
        [
            markup(r.topic) + f"<br/><i>{markup(r.claim)}</i>",
            markup(r.source),
            _time(r.started_at),
            f"{r.peak_reach:,} at {_time(r.peak_at)}",
            _time(r.addressed_at) if r.addressed_at is not None else "<b>never</b>",
            _span(r.time_to_address_s) if r.time_to_address_s is not None else "--",
            markup(r.addressed_by) or "--",
        ]
        for r in pi.rumours
    ]
    if rows:
        b.table(
            ["Rumour", "Started by", "Started", "Peak reach", "Addressed", "Took", "Addressed by"],
            rows,
            [0.3, 0.14, 0.08, 0.13, 0.11, 0.09, 0.15],
            cap=None,
        )
    else:
        b.para("No rumour started during play.")
    chart = charts_trust(pi, WIDTH)
    b.add(KeepTogether([_p("<b>Community trust over exercise time</b>", b.s.h3), chart]))
    if not pi.baseline:
        b.para("No simulated baseline was supplied: the curve is shown without one.", b.s.small)


def render_pdf(report: AfterActionReport) -> bytes:
    """The AAR/IP as PDF bytes."""
    buf = io.BytesIO()
    contents = _Contents()
    story = _Builder(report, contents).build()
    doc = _Doc(buf, report, contents)
    doc.build(story, canvasmaker=_canvas_class(contents, fonts()))
    return buf.getvalue()

