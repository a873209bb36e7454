"""The report read as assistive technology reads it: the Word copy's pictures carry their text
alternatives and the document its language; the tagged PDF made from it has a structure tree with
headings, table headers and figures with alternate text, its language and its title; the rating and
status colours hold WCAG 2.1 AA contrast on white."""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

import docx
import pypdf
import pytest
from docx.oxml.ns import qn
from typer.testing import CliRunner

from aar.document import RATING_COLOURS, Figure, build_document
from aar.model import AfterActionReport
from aar.render.charts import STATUS_COLOURS
from aar.render.tagged_pdf import tagged_pdf
from aar.render.word import LANGUAGE, render_docx
from exercises.scenario.loading import load_scenario
from hotwash.cli import app
from tests.aar.test_aar_ip import BUNDLED, simulated_report


@pytest.fixture(scope="module")
def report() -> AfterActionReport:
    return simulated_report(load_scenario(next(p for p in BUNDLED if p.stem == "civil_disturbance")))


@pytest.fixture(scope="module")
def word(report: AfterActionReport) -> bytes:
    return render_docx(report)


def _descriptions(data: bytes) -> list[str]:
    document = docx.Document(io.BytesIO(data))
    return [shape._inline.docPr.get("descr") or "" for shape in document.inline_shapes]


def test_every_picture_in_the_word_copy_says_what_it_shows(report: AfterActionReport, word: bytes) -> None:
    figures = [b for b in build_document(report) if isinstance(b, Figure)]
    descriptions = _descriptions(word)
    assert figures and len(descriptions) >= len(figures)
    assert all(len(d) > 40 for d in descriptions), descriptions
    network = next(d for d in descriptions if d.startswith("The agency network"))
    # Names, never ids, and the facts the figure draws: links and what they carried.
    assert "Riverton Police Department" in network and "city_police" not in network
    assert re.search(r"\d+ messages?", network)
    compliance = next(d for d in descriptions if d.startswith("Bar chart of protocol instances by responsible"))
    first = report.by_agency[0]
    assert first.label in compliance and f"{first.met} met" in compliance


def test_the_word_copy_declares_its_language(word: bytes) -> None:
    document = docx.Document(io.BytesIO(word))
    assert document.core_properties.language == LANGUAGE
    lang = document.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")
    assert lang is not None and lang.get(qn("w:val")) == LANGUAGE


def _structure(node: Any, kinds: Counter[str], alts: list[str]) -> None:
    node = node.get_object()
    kind = node.get("/S")
    if kind is not None:
        kinds[str(kind)] += 1
    if node.get("/Alt"):
        alts.append(str(node["/Alt"]))
    children = node.get("/K")
    for child in children if isinstance(children, list) else [children] if children is not None else []:
        if hasattr(child, "get_object") and hasattr(child.get_object(), "get"):
            _structure(child, kinds, alts)


@pytest.mark.slow
def test_the_accessible_pdf_is_tagged_with_headings_tables_figures_and_language(
    report: AfterActionReport, word: bytes
) -> None:
    reader = pypdf.PdfReader(io.BytesIO(tagged_pdf(word)))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == LANGUAGE
    assert bool(root["/MarkInfo"]["/Marked"])
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata is not None and report.exercise_name in (reader.metadata.title or "")
    kinds: Counter[str] = Counter()
    alts: list[str] = []
    _structure(root["/StructTreeRoot"], kinds, alts)
    sections = sum(1 for b in build_document(report) if type(b).__name__ == "Heading" and b.level == 0)
    assert kinds["/H1"] >= sections - 1  # the cover's title is a Title, every chapter an H1
    assert kinds["/Table"] > 0 and kinds["/TH"] > 0
    descriptions = _descriptions(word)
    assert kinds["/Figure"] == len(descriptions)
    for description in descriptions:
        assert any(description[:60] in alt for alt in alts), description[:60]


def test_the_command_writes_the_accessible_pdf_or_says_what_to_install(tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    journal.write_text('{"seq": 1, "at": 0, "actor": "controller", "payload": {"kind": "clock_started"}}\n')
    scenario = next(p for p in BUNDLED if p.stem == "civil_disturbance")
    args = ["report", "--scenario", str(scenario), "--journal", str(journal), "--out", str(tmp_path / "a.pdf"),
            "--accessible-pdf", str(tmp_path / "a.tagged.pdf")]
    empty = tmp_path / "bin"
    empty.mkdir()
    missing = CliRunner().invoke(app, args, env={"PATH": str(empty)})
    assert missing.exit_code != 0
    assert "LibreOffice" in missing.output and "libreoffice-writer-nogui" in missing.output
    assert "Traceback" not in missing.output


def _contrast(hex_colour: str) -> float:
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (0, 2, 4))
    lum = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (lum + 0.05)


def test_ratings_read_at_4_5_to_1_and_status_colours_show_at_3_to_1_on_white() -> None:
    assert {r.value: round(_contrast(c), 2) for r, c in RATING_COLOURS.items() if _contrast(c) < 4.5} == {}
    graphics = {k: c.hexval()[2:] for k, c in STATUS_COLOURS.items()}
    assert {k: round(_contrast(c), 2) for k, c in graphics.items() if _contrast(c) < 3.0} == {}
