"""The agency network figure: no agency's label (drawn inside its node) over another label or
node, measured on Graphviz's own layout (-Tjson), for each bundled scenario and a generated
30-agency network."""

from __future__ import annotations

import itertools
import random
from datetime import date
from pathlib import Path

import pytest

from aar.model import AfterActionReport, AgencyTraffic, LinkTraffic, RecordIntegrity
from aar.render.network import layout, node_boxes, png
from aar.report import build_report
from exercises.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "data" / "scenarios").glob("*.yaml"))
NAMES = ["Police Department", "Fire Rescue", "Emergency Medical Services", "Sheriff's Office", "Hospital",
         "Public Health District", "Office of Emergency Management", "Joint Information Center", "Dispatch"]


def _report(path: Path) -> AfterActionReport:
    scenario = load_scenario(path)
    return build_report(scenario, [], exercise_name="Layout", exercise_dates=(date(2025, 1, 1),) * 2,
                        integrity=RecordIntegrity(entries=0, intact=True, head_hash=None))


def thirty_agencies() -> AfterActionReport:
    """A 30-agency network (long names, a connected random graph) on a bundled report."""
    rng = random.Random(30)
    ids = [f"agency_{i}" for i in range(30)]
    agencies = tuple(
        AgencyTraffic(agency=a, name=f"{rng.choice(['North', 'South', 'Harbor', 'Lake'])} County {NAMES[i % len(NAMES)]} {i}",
                      sent=0, received=0, lost=0, requests_made=0, requests_received=0, requests_unanswered=0,
                      injects_received=0, mean_delivery_delay_s=None, betweenness=0.0, degree=0, load=i,
                      overloaded=i % 7 == 0, cut_off=((60.0, None),) if i % 11 == 5 else (), explanation="")
        for i, a in enumerate(ids)
    )
    pairs = {(ids[i], ids[rng.randrange(i)]) for i in range(1, 30)}
    pairs |= {tuple(rng.sample(ids, 2)) for _ in range(15)}  # type: ignore[misc]
    links = tuple(LinkTraffic(between=p, channel="radio", messages=rng.randrange(40), lost=0, mean_delay_s=None,
                              down_intervals=((30.0, None),) if n % 9 == 0 else ()) for n, p in enumerate(sorted(pairs)))
    base = _report(BUNDLED[0])
    coord = base.coordination.model_copy(update={"agencies": agencies, "links": links})
    return base.model_copy(update={"coordination": coord, "overview": base.overview.model_copy(update={"lead_agency": ids[0]})})


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _assert_apart(report: AfterActionReport) -> None:
    boxes = node_boxes(layout(report))
    assert len(boxes) == len(report.coordination.agencies)
    clashes = [(x[0], y[0]) for x, y in itertools.combinations(boxes, 2) if _overlap(x[1], y[1])]
    assert clashes == []


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_networks_have_no_overlapping_labels(path: Path) -> None:
    _assert_apart(_report(path))


def test_a_thirty_agency_network_has_no_overlapping_labels() -> None:
    report = thirty_agencies()
    _assert_apart(report)
    assert png(report).startswith(b"\x89PNG")


def test_names_are_drawn_literally() -> None:
    """A name is a plain label: no HTML-like label, no Graphviz escape (\\N would print the node id)."""
    report = _report(BUNDLED[0])
    first = report.coordination.agencies[0].model_copy(update={"name": "<b>Ops</b> \\N & \\G"})
    coord = report.coordination.model_copy(update={"agencies": (first, *report.coordination.agencies[1:])})
    labels = [label for label, _ in node_boxes(layout(report.model_copy(update={"coordination": coord})))]
    assert "<b>Ops</b> \\N & \\G" in [label.replace("\\\\", "\\") for label in labels]


def test_without_graphviz_the_report_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from aar.render import network
    from aar.render.pdf import render_pdf
    from tests.aar.builders import pdf_text, squash

    monkeypatch.setenv("PATH", "")  # no layout program to be found, as on a machine without Graphviz
    network.forget_drawings()  # figures drawn by earlier tests in this process, where it was found
    text = squash(pdf_text(render_pdf(_report(BUNDLED[0]))))
    assert squash("The agency network figure is not drawn: it needs Graphviz") in text
