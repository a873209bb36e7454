"""Reportlab chart drawings as PNG images (for the Word copy), drawn with Pillow.

reportlab's own bitmap renderer needs ``rlPyCairo``/``pycairo``, which build from source against
cairo's headers; the charts use six shapes (rectangles, lines and polylines, dashed or not, circles, polygons,
strings), which this module draws itself, in the report's own fonts.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Iterator, Sequence
from functools import cache

from PIL import Image, ImageDraw, ImageFont
from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics

SCALE = 3.0
"""Pixels per point: 216 dpi."""


def _rgba(colour: colors.Color | None) -> tuple[int, int, int, int] | None:
    if colour is None:
        return None
    r, g, b, a = colour.rgba()
    return (round(r * 255), round(g * 255), round(b * 255), round(a * 255))


@cache
def _font(name: str, size: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        face = pdfmetrics.getFont(name).face
        path = getattr(face, "filename", None) or getattr(getattr(face, "_ttf", None), "filename", None)
        if path:
            return ImageFont.truetype(path, max(1, round(size * SCALE)))
    except (KeyError, OSError, AttributeError):
        pass
    return ImageFont.load_default(size=max(1, round(size * SCALE)))


class _Painter:
    def __init__(self, drawing: Drawing) -> None:
        self.h = float(drawing.height)
        self.img = Image.new("RGBA", (round(drawing.width * SCALE), round(self.h * SCALE)), (255, 255, 255, 255))
        self.draw = ImageDraw.Draw(self.img, "RGBA")

    def xy(self, x: float, y: float) -> tuple[float, float]:
        return (x * SCALE, (self.h - y) * SCALE)

    def shape(self, s: object) -> None:
        if isinstance(s, Group):
            for child in s.contents:
                self.shape(child)
        elif isinstance(s, Rect):
            (x0, y1), (x1, y0) = self.xy(s.x, s.y), self.xy(s.x + s.width, s.y + s.height)
            self.draw.rectangle((x0, y0, x1, y1), fill=_rgba(s.fillColor), outline=_rgba(s.strokeColor))
        elif isinstance(s, Line):
            self.stroke([self.xy(s.x1, s.y1), self.xy(s.x2, s.y2)], s)
        elif isinstance(s, PolyLine):
            flat = list(_flat(s.points))
            self.stroke([self.xy(flat[i], flat[i + 1]) for i in range(0, len(flat) - 1, 2)], s)
        elif isinstance(s, Circle):
            (cx, cy), r = self.xy(s.cx, s.cy), s.r * SCALE
            self.draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=_rgba(s.fillColor), outline=_rgba(s.strokeColor))
        elif isinstance(s, Polygon):
            pts = [self.xy(s.points[i], s.points[i + 1]) for i in range(0, len(s.points), 2)]
            self.draw.polygon(pts, fill=_rgba(s.fillColor), outline=_rgba(s.strokeColor))
        elif isinstance(s, String):
            self.text(s)

    def stroke(self, points: Sequence[tuple[float, float]], s: Line | PolyLine) -> None:
        """A line through ``points`` in the shape's colour and width, dashed as its dash array says."""
        width = max(1, round((s.strokeWidth or 1) * SCALE))
        dash = [d * SCALE for d in (s.strokeDashArray or ())]
        for a, b in itertools.pairwise(points):
            for start, end in _dashes(a, b, dash):
                self.draw.line((*start, *end), fill=_rgba(s.strokeColor), width=width)

    def text(self, s: String) -> None:
        font = _font(s.fontName, s.fontSize)
        width = self.draw.textlength(s.text, font=font)
        x, y = self.xy(s.x, s.y)
        if s.textAnchor == "middle":
            x -= width / 2
        elif s.textAnchor == "end":
            x -= width
        self.draw.text((x, y), s.text, font=font, fill=_rgba(s.fillColor), anchor="ls")


def _flat(points: Sequence[object]) -> Iterator[float]:
    """reportlab takes a polyline's points flat (x0, y0, x1, ...) or as pairs."""
    for p in points:
        if isinstance(p, tuple | list):
            yield from (float(v) for v in p)
        else:
            yield float(p)  # type: ignore[arg-type]


def _dashes(
    a: tuple[float, float], b: tuple[float, float], dash: Sequence[float]
) -> Iterator[tuple[tuple[float, float], tuple[float, float]]]:
    """The drawn pieces of the segment a-b: all of it, or its dashes (on, off, on, ...)."""
    length = math.dist(a, b)
    if not dash or sum(dash) <= 0 or length == 0:
        yield a, b
        return
    at, pattern = 0.0, itertools.cycle(enumerate(dash))
    while at < length:
        i, step = next(pattern)
        end = min(length, at + step)
        if i % 2 == 0:
            yield _along(a, b, at / length), _along(a, b, end / length)
        at = end


def _along(a: tuple[float, float], b: tuple[float, float], t: float) -> tuple[float, float]:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def png(drawing: Drawing) -> bytes:
    painter = _Painter(drawing)
    for shape in drawing.contents:
        painter.shape(shape)
    out = io.BytesIO()
    # zlib's default level: "optimize" (its highest, with filter trials) took four times as long for
    # files 3% smaller, and a report's Word copy carries one image per chart.
    painter.img.convert("RGB").save(out, format="PNG")
    return out.getvalue()
