"""The report's charts as reportlab drawings (vector, no image files): timeline, compliance,
agency network and simulated baseline. They only draw what the report model holds.

Chart sizes are bounded whatever the journal's size: activity is binned, markers are
de-duplicated per bin, and long category lists are split into several drawings.
"""

from __future__ import annotations

import math
import textwrap
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import timedelta

from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors

from aar.model import AfterActionReport, Baseline, RealTime, TaskCount
from aar.render.fonts import label

STATUS_COLOURS: dict[str, colors.Color] = {
    "met": colors.HexColor("#2e7d32"),
    "late": colors.HexColor("#b26a00"),
    "out_of_order": colors.HexColor("#6a1b9a"),
    "overdue": colors.HexColor("#e65100"),
    "missed": colors.HexColor("#c62828"),
    "open": colors.HexColor("#757575"),
    "pending": colors.HexColor("#757575"),
}
FAILURE_COLOURS: dict[str, colors.Color] = {
    "not_sent": colors.HexColor("#ad1457"),
    "message_lost": colors.HexColor("#c62828"),
    "delivered_late": colors.HexColor("#b26a00"),
    "unanswered": colors.HexColor("#455a64"),
    "not_relayed": colors.HexColor("#455a64"),
}
"""Information failures on the timeline, drawn as crosses (the caption names each colour)."""
STATUS_NAMES = {"met": "met", "late": "late", "out_of_order": "out of order", "overdue": "overdue",
                "missed": "missed", "open": "not due", "pending": "not due yet"}
INK = colors.HexColor("#263238")
GRID = colors.HexColor("#cfd8dc")
ACCENT = colors.HexColor("#1565c0")
ROWS_PER_CHART = 28
LABEL_CHARS = 46


LINE_H = 8.0
"""The height of one line of a 7-point row label."""


def _lines(text: str, limit: int = LABEL_CHARS) -> list[str]:
    """A row label whole, over as many lines as it needs: never cut off with an ellipsis."""
    return textwrap.wrap(text, limit, break_long_words=True, break_on_hyphens=False) or [""]


def _label(d: Drawing, x: float, y_mid: float, lines: Sequence[str], size: float = 7) -> None:
    """Lines of a right-aligned row label, centred on ``y_mid``."""
    top = y_mid + (len(lines) - 1) * LINE_H / 2
    for k, line in enumerate(lines):
        d.add(_text(x, top - k * LINE_H - size / 3, line, size, "end"))


def _text(x: float, y: float, value: str, size: float = 7, anchor: str = "start", colour: colors.Color = INK) -> String:
    text, font = label(value)
    return String(x, y, text, fontName=font, fontSize=size, textAnchor=anchor, fillColor=colour)


def _nice_step(span_s: float, ticks: int = 8) -> float:
    for minutes in (1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 720, 1440):
        if span_s / (minutes * 60) <= ticks:
            return minutes * 60.0
    # Whole days, as many as keep the ticks at ``ticks``: a journal of any span draws that many.
    return math.ceil(span_s / (ticks * 86_400)) * 86_400.0


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}"


def _ticks(real: RealTime | None, start: float, end: float, step: float) -> list[tuple[float, str]]:
    """The time axis's ticks, as the caption names it: local clock times on round clock minutes when
    the record's real start is known (a real incident's log), else elapsed time (H:MM)."""
    offset = 0.0
    if real is not None:
        offset = real.start.hour * 3600 + real.start.minute * 60 + real.start.second
    out = []
    t = math.ceil((start + offset) / step) * step - offset
    while t <= end:
        label = _clock(t) if real is None else (real.start + timedelta(seconds=round(t))).strftime("%H:%M")
        out.append((t, label))
        t += step
    return out


def _legend(d: Drawing, x: float, y: float, keys: Sequence[str]) -> None:
    for key in keys:
        d.add(Rect(x, y, 7, 7, fillColor=STATUS_COLOURS[key], strokeColor=None))
        d.add(_text(x + 10, y + 1, STATUS_NAMES[key], 7))
        x += 16 + 4.2 * len(STATUS_NAMES[key]) + 8


def compliance_charts(counts: Sequence[TaskCount], width: float) -> list[Drawing]:
    """Stacked bars of finding statuses per protocol or agency, split over several drawings."""
    keys = ("met", "late", "out_of_order", "overdue", "missed", "open", "pending")
    rows = [c for c in counts if any(getattr(c, k) for k in keys)]
    if not rows:
        return []
    longest = max(sum(getattr(c, k) for k in keys) for c in rows)
    drawings = []
    for start in range(0, len(rows), ROWS_PER_CHART):
        chunk = rows[start : start + ROWS_PER_CHART]
        bar_h, gap = 11.0, 5.0
        left, right = 205.0, 30.0
        labels = [_lines(c.label) for c in chunk]
        rows_h = [max(bar_h, len(lines) * LINE_H) + gap for lines in labels]
        height = sum(rows_h) + 40
        d = Drawing(width, height)
        plot_w = width - left - right
        scale = plot_w / max(longest, 1)
        y = height - 20
        for c, lines, row_h in zip(chunk, labels, rows_h, strict=True):
            y -= row_h
            _label(d, left - 5, y + bar_h / 2, lines)
            x = left
            for k in keys:
                n = getattr(c, k)
                if n:
                    d.add(Rect(x, y, n * scale, bar_h, fillColor=STATUS_COLOURS[k], strokeColor=colors.white, strokeWidth=0.5))
                    if n * scale > 12:
                        d.add(String(x + n * scale / 2, y + 2.5, str(n), fontSize=6.5, textAnchor="middle", fillColor=colors.white))
                    x += n * scale
            share = c.compliance
            if share is not None:
                d.add(_text(x + 3, y + 2.5, f"{share:.0%}", 6.5))
        _legend(d, left, 4, [k for k in keys if any(getattr(c, k) for c in rows)])
        drawings.append(d)
    return drawings


def timeline_chart(report: AfterActionReport, width: float, bins: int = 90) -> Drawing:
    """Injects, activity per agency (binned), shortfalls and information failures over exercise time."""
    lanes = ["msel", *[p.id for p in report.participants]]
    names = {"msel": "MSEL / links", **{p.id: p.name for p in report.participants}}
    labels = {lane: _lines(names[lane], 42) for lane in lanes}
    # Every lane as tall as the longest name needs: names are shown whole.
    lane_h = max(16.0, max(len(v) for v in labels.values()) * 7.5 + 2)
    left, right, top, bottom = 175.0, 10.0, 10.0, 22.0
    height = top + bottom + lane_h * len(lanes)
    d = Drawing(width, height)
    plot_w = width - left - right
    ov = report.overview
    start = ov.played_from or 0.0
    end = max(ov.played_to or 0.0, start + 60.0, *(m.at for m in report.timeline)) if report.timeline else max(
        ov.played_to or 0.0, start + 60.0
    )
    span = max(end - start, 1.0)

    def x_of(at: float) -> float:
        return left + (min(max(at, start), end) - start) / span * plot_w

    index = {lane: i for i, lane in enumerate(lanes)}
    for lane, i in index.items():
        y = height - top - (i + 1) * lane_h
        if i % 2 == 0:
            d.add(Rect(left, y, plot_w, lane_h, fillColor=colors.HexColor("#f5f7f8"), strokeColor=None))
        _label(d, left - 4, y + lane_h / 2, labels[lane], 6.5)
    for t, tick in _ticks(report.real_time, start, end, _nice_step(span)):
        d.add(Line(x_of(t), bottom - 2, x_of(t), height - top, strokeColor=GRID, strokeWidth=0.4))
        d.add(String(x_of(t), bottom - 10, tick, fontSize=6.5, textAnchor="middle", fillColor=INK))
    activity: dict[tuple[str, int], int] = defaultdict(int)
    seen: set[tuple[str, str, int]] = set()
    crosses: list[tuple[float, float, colors.Color]] = []
    """Information failures, drawn last: over the activity bars, never hidden by them."""
    bin_of = lambda at: min(bins - 1, int((at - start) / span * bins))  # noqa: E731
    for m in report.timeline:
        if m.lane not in index:
            continue
        b = bin_of(m.at)
        if m.kind == "action":
            activity[(m.lane, b)] += 1
            continue
        if (m.lane, m.kind, b) in seen:
            continue
        seen.add((m.lane, m.kind, b))
        y = height - top - (index[m.lane] + 1) * lane_h + lane_h / 2
        x = x_of(m.at)
        if m.kind == "inject":
            d.add(Polygon([x - 3, y + 4, x + 3, y + 4, x, y - 3], fillColor=ACCENT, strokeColor=None))
        elif m.kind == "link_down":
            d.add(Line(x, bottom, x, height - top, strokeColor=STATUS_COLOURS["missed"], strokeWidth=0.6, strokeDashArray=[2, 2]))
        elif m.kind in STATUS_COLOURS:
            d.add(Polygon([x, y + 4, x + 4, y, x, y - 4, x - 4, y], fillColor=STATUS_COLOURS[m.kind], strokeColor=colors.white, strokeWidth=0.3))
        elif m.kind in FAILURE_COLOURS:
            crosses.append((x, y, FAILURE_COLOURS[m.kind]))
    peak = max(activity.values(), default=1)
    bw = plot_w / bins
    for (lane, b), n in activity.items():
        y = height - top - (index[lane] + 1) * lane_h + 3
        shade = 0.25 + 0.75 * n / peak
        d.add(Rect(left + b * bw, y, max(bw - 0.3, 0.5), lane_h - 6, fillColor=colors.Color(0.13, 0.4, 0.75, alpha=shade), strokeColor=None))
    for x, y, colour in crosses:
        for ink, stroke in ((colors.white, 3.2), (colour, 1.6)):  # a white halo keeps it clear of the bars
            for dx in (-3.5, 3.5):
                d.add(Line(x - dx, y - 3.5, x + dx, y + 3.5, strokeColor=ink, strokeWidth=stroke))
    return d


def baseline_chart(baseline: Baseline, width: float, agencies: Mapping[str, str] | None = None) -> Drawing | None:
    """Simulated median to p90 (bar) and the exercise's median (dot) per protocol and agency, each row
    labelled whole with the protocol and the agency's name (``agencies``: id -> name)."""
    rows = [c for c in baseline.comparisons if c.simulated_median_s is not None or c.actual_median_s is not None]
    if not rows:
        return None
    rows = rows[:ROWS_PER_CHART]
    left, right = 205.0, 20.0
    labels = [_lines(f"{c.title} ({(agencies or {}).get(c.agency, c.agency)})") for c in rows]
    rows_h = [max(16.0, len(lines) * LINE_H + 4) for lines in labels]
    height = sum(rows_h) + 40
    d = Drawing(width, height)
    plot_w = width - left - right
    top = max(max(c.simulated_p90_s or 0, c.actual_median_s or 0, c.simulated_median_s or 0) for c in rows) or 60.0
    scale = plot_w / (top * 1.05)
    y = height - 15
    for c, lines, row_h in zip(rows, labels, rows_h, strict=True):
        y -= row_h
        _label(d, left - 5, y + 3, lines)
        if c.simulated_median_s is not None:
            hi = c.simulated_p90_s if c.simulated_p90_s is not None else c.simulated_median_s
            d.add(Rect(left + c.simulated_median_s * scale, y - 1, max((hi - c.simulated_median_s) * scale, 1.5), 8, fillColor=GRID, strokeColor=None))
            d.add(Line(left + c.simulated_median_s * scale, y - 2, left + c.simulated_median_s * scale, y + 8, strokeColor=INK, strokeWidth=1))
        if c.actual_median_s is not None:
            colour = STATUS_COLOURS["met"]
            if c.simulated_p90_s is not None and c.actual_median_s > c.simulated_p90_s:
                colour = STATUS_COLOURS["missed"]
            elif c.simulated_median_s is not None and c.actual_median_s > c.simulated_median_s:
                colour = STATUS_COLOURS["late"]
            d.add(Circle(left + c.actual_median_s * scale, y + 3, 3.5, fillColor=colour, strokeColor=colors.white))
    step = _nice_step(top, 6)
    t = 0.0
    while t <= top * 1.05:
        d.add(String(left + t * scale, 18, _clock(t), fontSize=6.5, textAnchor="middle", fillColor=INK))
        t += step
    return d
