"""The community-trust curve as a reportlab drawing: the exercise's index as a step line over
exercise time, beside the simulated baseline's median (dashed) and its 10th-90th percentile band."""

from __future__ import annotations

import math

from reportlab.graphics.shapes import Drawing, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors

from aar.public_information import PublicInformation
from aar.render.charts import ACCENT, GRID, INK, _clock, _nice_step, _text

BAND = colors.HexColor("#cfe3f7")
BASELINE = colors.HexColor("#5c6bc0")


def _steps(points: list[tuple[float, float]], end: float) -> list[tuple[float, float]]:
    """A step function's corners: each value held until the next change, the last until ``end``."""
    out: list[tuple[float, float]] = []
    for i, (at, value) in enumerate(points):
        if i:
            out.append((at, points[i - 1][1]))
        out.append((at, value))
    if points:
        out.append((max(end, points[-1][0]), points[-1][1]))
    return out


def trust_chart(section: PublicInformation, width: float, height: float = 170.0) -> Drawing:
    """Trust (0-100) over exercise time, with the baseline band when there is one."""
    left, right, top, bottom = 34.0, 10.0, 10.0, 40.0
    d = Drawing(width, height)
    plot_w, plot_h = width - left - right, height - top - bottom
    end = max(section.end, section.trust[-1].at, *(b.at for b in section.baseline), 60.0)

    def xy(at: float, value: float) -> tuple[float, float]:
        return left + min(max(at, 0.0), end) / end * plot_w, bottom + value / 100.0 * plot_h

    for level in (0, 25, 50, 75, 100):
        y = xy(0, level)[1]
        d.add(Line(left, y, left + plot_w, y, strokeColor=GRID, strokeWidth=0.4))
        d.add(String(left - 4, y - 2.5, str(level), fontSize=6.5, textAnchor="end", fillColor=INK))
    step = _nice_step(end)
    t = 0.0
    while t <= end + 1e-9:
        x = xy(t, 0)[0]
        d.add(Line(x, bottom - 2, x, bottom, strokeColor=INK, strokeWidth=0.4))
        d.add(String(x, bottom - 10, _clock(t), fontSize=6.5, textAnchor="middle", fillColor=INK))
        t += step
    if section.baseline:
        upper = [xy(b.at, b.p90) for b in section.baseline]
        lower = [xy(b.at, b.p10) for b in reversed(section.baseline)]
        d.add(Polygon([c for p in [*upper, *lower] for c in p], fillColor=BAND, strokeColor=None))
        median = [c for b in section.baseline for c in xy(b.at, b.median)]
        d.add(PolyLine(median, strokeColor=BASELINE, strokeWidth=1, strokeDashArray=[3, 2]))
    actual = _steps([(s.at, s.trust) for s in section.trust], section.end)
    d.add(PolyLine([c for p in actual for c in xy(*p)], strokeColor=ACCENT, strokeWidth=1.6))
    _legend(d, left, 6, bool(section.baseline), section.baseline_runs)
    return d


def _legend(d: Drawing, x: float, y: float, baseline: bool, runs: int) -> None:
    d.add(Line(x, y + 3, x + 14, y + 3, strokeColor=ACCENT, strokeWidth=1.6))
    d.add(_text(x + 18, y, "this exercise"))
    if not baseline:
        return
    x += 90
    d.add(Line(x, y + 3, x + 14, y + 3, strokeColor=BASELINE, strokeWidth=1, strokeDashArray=[3, 2]))
    d.add(_text(x + 18, y, f"simulated baseline, median of {runs} runs"))
    x += 18 + math.ceil(4.0 * len(f"simulated baseline, median of {runs} runs")) + 12
    d.add(Rect(x, y, 14, 7, fillColor=BAND, strokeColor=None))
    d.add(_text(x + 18, y, "10th to 90th percentile"))
