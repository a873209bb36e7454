"""The Word copy's charts are drawn by ``aar.render.raster``: every shape the charts use must reach the
picture (a trust curve is a polyline; a missing shape left the Word chart empty)."""

from __future__ import annotations

import io

from PIL import Image
from reportlab.graphics.shapes import Drawing, Line, PolyLine
from reportlab.lib import colors

from aar.render import raster

RED = colors.HexColor("#cc0000")


def _red_pixels(drawing: Drawing) -> int:
    image = Image.open(io.BytesIO(raster.png(drawing))).convert("RGB")
    width, height = image.size
    pixels = image.load()
    assert pixels is not None
    return sum(
        1 for x in range(width) for y in range(height)
        if (p := pixels[x, y])[0] > 180 and p[1] < 80 and p[2] < 80
    )


def test_a_polyline_is_drawn_flat_or_as_pairs() -> None:
    for points in ([10, 10, 90, 10, 90, 40], [(10, 10), (90, 10), (90, 40)]):
        d = Drawing(100, 50)
        d.add(PolyLine(points, strokeColor=RED, strokeWidth=2))
        assert _red_pixels(d) > 500, points


def test_a_dashed_line_draws_about_half_its_length() -> None:
    solid, dashed = Drawing(100, 20), Drawing(100, 20)
    solid.add(Line(0, 10, 100, 10, strokeColor=RED, strokeWidth=2))
    dashed.add(Line(0, 10, 100, 10, strokeColor=RED, strokeWidth=2, strokeDashArray=[3, 3]))
    ratio = _red_pixels(dashed) / _red_pixels(solid)
    assert 0.35 < ratio < 0.65, ratio
