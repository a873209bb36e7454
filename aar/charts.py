"""The report's charts as reportlab drawings (vector, no image files): timeline, compliance,
agency network and simulated baseline. They only draw what the report model holds.

Chart sizes are bounded whatever the journal's size: activity is binned, markers are
de-duplicated per bin, and long category lists are split into several drawings.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import networkx as nx
from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors

from aar.fonts import label
from aar.model import AfterActionReport, Baseline, TaskCount

STATUS_COLOURS: dict[str, colors.Color] = {
    "met": colors.HexColor("#2e7d32"),
    "late": colors.HexColor("#f9a825"),
    "out_of_order": colors.HexColor("#6a1b9a"),
    "missed": colors.HexColor("#c62828"),
    "open": colors.HexColor("#9e9e9e"),
}
STATUS_NAMES = {"met": "met", "late": "late", "out_of_order": "out of order", "missed": "missed", "open": "not due"}
INK = colors.HexColor("#263238")
GRID = colors.HexColor("#cfd8dc")
ACCENT = colors.HexColor("#1565c0")
ROWS_PER_CHART = 28
LABEL_CHARS = 34


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _text(x: float, y: float, value: str, size: float = 7, anchor: str = "start", colour: colors.Color = INK) -> String:
    text, font = label(value)
    return String(x, y, text, fontName=font, fontSize=size, textAnchor=anchor, fillColor=colour)


def _nice_step(span_s: float, ticks: int = 8) -> float:
    for minutes in (1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 720, 1440):
        if span_s / (minutes * 60) <= ticks:
            return minutes * 60.0
    return 2880 * 60.0


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}"


def _legend(d: Drawing, x: float, y: float, keys: Sequence[str]) -> None:
    for key in keys:
        d.add(Rect(x, y, 7, 7, fillColor=STATUS_COLOURS[key], strokeColor=None))
        d.add(_text(x + 10, y + 1, STATUS_NAMES[key], 7))
        x += 16 + 4.2 * len(STATUS_NAMES[key]) + 8


def compliance_charts(counts: Sequence[TaskCount], width: float) -> list[Drawing]:
    """Stacked bars of finding statuses per protocol or agency, split over several drawings."""
    rows = [c for c in counts if c.scored or c.open]
    keys = ("met", "late", "out_of_order", "missed", "open")
    if not rows:
        return []
    longest = max(sum(getattr(c, k) for k in keys) for c in rows)
    drawings = []
    for start in range(0, len(rows), ROWS_PER_CHART):
        chunk = rows[start : start + ROWS_PER_CHART]
        bar_h, gap = 11.0, 5.0
        left, right = 150.0, 30.0
        height = len(chunk) * (bar_h + gap) + 40
        d = Drawing(width, height)
        plot_w = width - left - right
        scale = plot_w / max(longest, 1)
        for i, c in enumerate(chunk):
            y = height - 20 - (i + 1) * (bar_h + gap)
            d.add(_text(left - 5, y + 2.5, _short(f"{c.name} {c.label}" if c.name != c.label else c.label), 7, "end"))
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
        _legend(d, left, 4, keys)
        drawings.append(d)
    return drawings


def timeline_chart(report: AfterActionReport, width: float, bins: int = 90) -> Drawing:
    """Injects, activity per agency (binned) and shortfalls over exercise time."""
    lanes = ["msel", *[p.id for p in report.participants]]
    names = {"msel": "MSEL / links", **{p.id: p.name for p in report.participants}}
    lane_h, left, right, top, bottom = 16.0, 120.0, 10.0, 10.0, 34.0
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
        d.add(_text(left - 4, y + 5, _short(names[lane], 24), 6.5, "end"))
    step = _nice_step(span)
    t = math.ceil(start / step) * step
    while t <= end:
        d.add(Line(x_of(t), bottom - 2, x_of(t), height - top, strokeColor=GRID, strokeWidth=0.4))
        d.add(String(x_of(t), bottom - 10, _clock(t), fontSize=6.5, textAnchor="middle", fillColor=INK))
        t += step
    activity: dict[tuple[str, int], int] = defaultdict(int)
    seen: set[tuple[str, str, int]] = set()
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
    peak = max(activity.values(), default=1)
    bw = plot_w / bins
    for (lane, b), n in activity.items():
        y = height - top - (index[lane] + 1) * lane_h + 3
        shade = 0.25 + 0.75 * n / peak
        d.add(Rect(left + b * bw, y, max(bw - 0.3, 0.5), lane_h - 6, fillColor=colors.Color(0.13, 0.4, 0.75, alpha=shade), strokeColor=None))
    d.add(String(left, 6, "Exercise time (H:MM). Triangles: injects; bars: actions logged (darker = more); diamonds: late (amber), out of order (purple), missed deadline (red); dashed: link down.", fontSize=6.2, fillColor=INK))
    return d


def _rings(graph: nx.Graph, lead: str) -> dict[str, tuple[float, float]]:
    """The lead agency in the centre, the others on rings by hops from it (agencies with no path
    on the outermost): deterministic, and the rings read as 'how far from command'."""
    if graph.number_of_nodes() <= 1:
        return {n: (0.0, 0.0) for n in graph}
    hops = nx.single_source_shortest_path_length(graph, lead) if lead in graph else {}
    far = max(hops.values(), default=0) + 1
    shells: dict[int, list[str]] = defaultdict(list)
    for node in graph.nodes:
        shells[hops.get(node, far)].append(node)
    rings = sorted(k for k in shells if k > 0)
    pos: dict[str, tuple[float, float]] = {n: (0.0, 0.0) for n in shells.get(0, [])}
    for i, k in enumerate(rings, start=1):
        members = sorted(shells[k])
        radius = 0.55 + 0.45 * (i - 1) / max(len(rings) - 1, 1) if len(rings) > 1 else 1.0
        turn = math.pi / len(members) if i % 2 == 0 else 0.0  # stagger rings so labels do not stack
        for j, node in enumerate(members):
            angle = math.pi / 2 + turn + 2 * math.pi * j / len(members)
            pos[node] = (radius * math.cos(angle), radius * math.sin(angle))
    return pos


def network_chart(report: AfterActionReport, width: float, height: float = 300.0) -> Drawing:
    """The agency network: link width by messages carried, failed links red and dashed,
    node size by load, agencies cut off outlined in red."""
    coord = report.coordination
    graph = nx.Graph()
    graph.add_nodes_from(a.agency for a in coord.agencies)
    graph.add_edges_from(link.between for link in coord.links)
    pos = _rings(graph, report.overview.lead_agency)
    d = Drawing(width, height)
    cx, cy = width / 2, 18 + (height - 24) / 2
    rx, ry = width / 2 - 95, (height - 24) / 2 - 12

    def place(node: str) -> tuple[float, float]:
        px, py = pos[node]
        return cx + px * rx, cy + py * ry

    most = max((link.messages for link in coord.links), default=0) or 1
    for link in coord.links:
        (x1, y1), (x2, y2) = place(link.between[0]), place(link.between[1])
        failed = bool(link.down_intervals)
        stroke = STATUS_COLOURS["missed"] if failed else colors.HexColor("#78909c")
        d.add(Line(x1, y1, x2, y2, strokeColor=stroke, strokeWidth=0.8 + 5 * link.messages / most, strokeDashArray=[4, 3] if failed else None))
        tag = f"{link.messages}" + (f" ({link.lost} lost)" if link.lost else "") + (" down" if failed else "")
        d.add(String((x1 + x2) / 2, (y1 + y2) / 2 + 3, tag, fontSize=6.5, textAnchor="middle", fillColor=stroke))
    heaviest = max((a.load for a in coord.agencies), default=0) or 1
    for a in coord.agencies:
        x, y = place(a.agency)
        r = 6 + 10 * a.load / heaviest
        cut = bool(a.cut_off)
        fill = colors.HexColor("#ffcc80") if a.overloaded else colors.HexColor("#bbdefb")
        d.add(Circle(x, y, r, fillColor=fill, strokeColor=STATUS_COLOURS["missed"] if cut else ACCENT, strokeWidth=2 if cut else 0.8))
        lead = " (lead)" if a.agency == report.overview.lead_agency else ""
        # Labels point away from the centre, so a ring of agencies reads like a clock face.
        dx, dy = x - cx, y - cy
        if abs(dx) < 25:
            d.add(_text(x, y + (r + 3 if dy > 0 else -r - 9), _short(a.name, 30) + lead, 6.8, "middle"))
        else:
            anchor = "start" if dx > 0 else "end"
            d.add(_text(x + (r + 3 if dx > 0 else -r - 3), y - 2.5, _short(a.name, 26) + lead, 6.8, anchor))
    d.add(String(4, 6, "Line width: messages carried; red dashed: link failed; orange: overloaded; red ring: cut off from the lead agency; circle size: load.", fontSize=6.2, fillColor=INK))
    return d


def baseline_chart(baseline: Baseline, width: float) -> Drawing | None:
    rows = [c for c in baseline.comparisons if c.simulated_median_s is not None or c.actual_median_s is not None]
    if not rows:
        return None
    rows = rows[:ROWS_PER_CHART]
    row_h, left, right = 16.0, 150.0, 20.0
    height = len(rows) * row_h + 40
    d = Drawing(width, height)
    plot_w = width - left - right
    top = max(max(c.simulated_p90_s or 0, c.actual_median_s or 0, c.simulated_median_s or 0) for c in rows) or 60.0
    scale = plot_w / (top * 1.05)
    for i, c in enumerate(rows):
        y = height - 15 - (i + 1) * row_h
        d.add(_text(left - 5, y + 1, _short(f"{c.protocol_id} {c.title}"), 7, "end"))
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
    d.add(String(left, 5, "Grey band: simulated median (tick) to p90; dot: actual time (green at or under the median, amber above it, red above p90).", fontSize=6.2, fillColor=INK))
    return d
