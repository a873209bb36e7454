"""The agency network figure, laid out by Graphviz (``neato`` with ``overlap=false``).

Each agency's name is written inside its node, so removing node overlaps removes label overlaps;
a link carries a label only where messages were lost on it ("2 lost", its counts otherwise in the
Links table), and an agency that did not send messages it should have says how many in its node. Names are passed as plain (never HTML-like) labels with backslashes doubled, so a name
is drawn literally. Needs Debian's ``graphviz`` (the ``neato`` program).
"""

from __future__ import annotations

import functools
import json
import textwrap
from typing import Any

import graphviz

from aar.model import AfterActionReport

FAILED = "#c62828"
LINK = "#78909c"
NODE = "#bbdefb"
BUSY = "#ffcc80"
LEAD = "#1a3b5d"
NOT_SENT = "#ad1457"
WRAP = 22


def _literal(text: str) -> graphviz.nohtml:
    """A label Graphviz draws as written: no HTML-like label, no escape sequences (\\N, \\n)."""
    lines = textwrap.wrap(text.replace("\\", "\\\\"), WRAP, break_long_words=True) or [" "]
    return graphviz.nohtml("\\n".join(lines))


def graph(report: AfterActionReport, font: str = "DejaVu Sans") -> graphviz.Graph:
    coord = report.coordination
    g = graphviz.Graph("agencies", engine="neato")
    g.attr(overlap="false", sep="+10", splines="true", outputorder="edgesfirst", pad="0.2", bgcolor="white")
    g.attr("node", shape="box", style="rounded,filled", fontname=font, fontsize="14", margin="0.12,0.06")
    most = max((link.messages for link in coord.links), default=0) or 1
    lead = report.overview.lead_agency
    for i, a in enumerate(coord.agencies):
        outline = FAILED if a.cut_off else NOT_SENT if a.not_sent else LEAD if a.agency == lead else "#5c7a99"
        name = _literal(a.name)
        if a.not_sent:
            name = graphviz.nohtml(f"{name}\\n({a.not_sent} not sent)")
        g.node(f"n{i}", name, fillcolor=BUSY if a.overloaded else NODE, color=outline,
               penwidth="2.4" if a.cut_off or a.agency == lead or a.not_sent else "1",
               peripheries="2" if a.not_sent else "1")
    index = {a.agency: f"n{i}" for i, a in enumerate(coord.agencies)}
    for link in coord.links:
        ends = [index.get(x) for x in link.between]
        if ends[0] is None or ends[1] is None:
            continue
        failed = bool(link.down_intervals or link.lost)
        lost = {"label": f"{link.lost} lost", "fontcolor": FAILED, "fontname": font, "fontsize": "12"} if link.lost else {}
        g.edge(ends[0], ends[1], color=FAILED if failed else LINK, style="dashed" if failed else "solid",
               penwidth=f"{0.8 + 4 * link.messages / most:.2f}", len="0.9", **lost)
    return g


MISSING = (
    "The agency network figure is not drawn: it needs Graphviz's layout programs (Debian package "
    "graphviz), which were not found. The tables below hold the same traffic."
)


def png(report: AfterActionReport, dpi: int = 180, fit: tuple[float, float] | None = None) -> bytes | None:
    """The figure as PNG, or None where Graphviz is not installed (the report says so). ``fit``:
    (width, height) in inches the drawing is scaled down into, its layout unchanged, so that the
    image holds no more dots than ``dpi`` at the size it is printed."""
    g = graph(report)
    g.attr(dpi=str(dpi))
    if fit is not None:
        g.attr(size=f"{fit[0]:.2f},{fit[1]:.2f}")
    try:
        return _drawn(g.engine, g.source)
    except graphviz.ExecutableNotFound:
        return None


PRINTED_DPI = 200
"""Resolution of the figure as printed. Drawn at its own size, Graphviz's image of a 14-agency
network held some 390 dots per inch at the text's width, and reportlab held it uncompressed while
writing it: about 60 MiB, at any length of journal."""
PRINTED_ROOM = (6.5, 4.95)
"""Inches the figure is drawn into, its layout unchanged: the narrower text width of the two
documents (Word's 6.5 in) by 55 % of its text height. Both documents print the one drawing (each
scales it to its own width), so Graphviz runs once per report."""


def printed(report: AfterActionReport) -> bytes | None:
    """The figure as the PDF and the Word copy print it (None where Graphviz is not installed)."""
    return png(report, dpi=PRINTED_DPI, fit=PRINTED_ROOM)


def forget_drawings() -> None:
    """Empty the drawings kept (``_drawn``): for a test that takes Graphviz away mid-process."""
    _drawn.cache_clear()


@functools.lru_cache(maxsize=4)
def _drawn(engine: str, source: str) -> bytes:
    """Graphviz's PNG of one graph's source: the PDF and the Word copy of a report draw the same
    figure, and a layout program is a process of its own, so it is run once (a missing Graphviz
    raises, and is not kept)."""
    data: bytes = graphviz.pipe(engine, "png", source.encode("utf-8"))
    return data


def layout(report: AfterActionReport) -> dict[str, Any]:
    """Graphviz's own layout (``-Tjson``): node positions and sizes, in points."""
    result: dict[str, Any] = json.loads(graph(report).pipe(format="json").decode("utf-8"))
    return result


def node_boxes(laid_out: dict[str, Any]) -> list[tuple[str, tuple[float, float, float, float]]]:
    """(label, (x0, y0, x1, y1)) of each node, from the layout; the label is drawn inside its box."""
    boxes = []
    for obj in laid_out.get("objects", []):
        if "pos" not in obj:
            continue
        x, y = (float(v) for v in obj["pos"].split(","))
        w, h = float(obj["width"]) * 72 / 2, float(obj["height"]) * 72 / 2
        boxes.append((str(obj.get("label", "")), (x - w, y - h, x + w, y + h)))
    return boxes
