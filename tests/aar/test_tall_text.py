"""Any text a user may type renders, however it is shaped: an observation or an action of many
short lines (taller than a page in one table cell) goes into the AAR/IP's PDF and Word copy and
the ICS 214, continued over rows, every line kept in order."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from aar.ics import Ics214, ics214
from aar.ics import render_pdf as render_ics_pdf
from aar.model import AfterActionReport, RecordIntegrity
from aar.render.pdf import render_pdf
from aar.render.word import render_docx
from aar.report import build_report
from exercises.record.entries import MAX_TEXT, ActionLogged, Entry, ObservationRecorded
from exercises.scenario.loading import load_scenario
from exercises.scenario.model import Rating, Scenario
from hotwash.cli import app
from tests.aar.builders import example_scenario, pdf_text
from tests.aar.test_scoring import exercise_journal
from tests.documents.test_ics import MASS_CASUALTY

NUMBERED = "\n".join(f"L{i}" for i in range(1, 800))
"""799 short lines, within the 4,000-character limit: the shape that once stopped the report."""
SHAPES = {
    "799 short lines": NUMBERED,
    "blank lines": "\n" * (MAX_TEXT - 1) + "x",
    "one long word": "W" * MAX_TEXT,
    "wide script": "通讯中断" * (MAX_TEXT // 4),
}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return example_scenario(tmp_path_factory.mktemp("scenario"))


def _report(scenario: Scenario, text: str) -> AfterActionReport:
    j = exercise_journal()
    j.add(60, "fire", ActionLogged(action="contain_fire", text=text))
    j.add(61, None, ObservationRecorded(capability="Operational Coordination", rating=Rating.M,
                                         strengths=text, areas_for_improvement=text), actor="evaluator-1")
    return build_report(
        scenario, j.entries, exercise_name="Tall text", exercise_dates=(date(2025, 5, 14),) * 2,
        integrity=RecordIntegrity(entries=len(j.entries), intact=True, head_hash="a" * 64),
    )


def _in_order(text: str) -> bool:
    """Every numbered line L1..L799 appears, in order (page furniture may fall between them)."""
    numbers = [int(n) for n in re.findall(r"L(\d+)", text)]
    wanted = iter(range(1, 800))
    expected = next(wanted)
    for n in numbers:
        if n == expected:
            expected = next(wanted, 0)
            if not expected:
                return True
    return False


@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_report_with_a_tall_observation_renders_in_pdf_and_word(scenario: Scenario, shape: str) -> None:
    report = _report(scenario, SHAPES[shape])
    pdf = render_pdf(report)
    word = docx.Document(io.BytesIO(render_docx(report)))
    cells = "\n".join(c.text for t in word.tables for row in t.rows for c in row.cells)
    if shape == "799 short lines":
        assert _in_order(pdf_text(pdf)), "a line of the observation is missing or out of order in the PDF"
        assert NUMBERED in cells  # Word holds the text in one cell, as typed


def _ics_form(text: str) -> Ics214:
    scenario = load_scenario(MASS_CASUALTY)
    journal = [Entry(seq=1, at=60.0, agency="county_ems", actor="player",
                     payload=ActionLogged(action="begin_start_triage", text=text))]
    return ics214(scenario, journal, "county_ems", incident_name="Tall text", day=date(2026, 3, 14),
                  prepared_at=datetime(2026, 3, 14, 21, 0))


def test_an_ics_214_with_an_action_of_799_lines_renders_every_line() -> None:
    pdf = render_ics_pdf([_ics_form(NUMBERED)])
    assert _in_order(pdf_text(pdf))


TOKENS = ["\n", "a", " ", "ab\n", "通", "W", "\u202e", "<b>", "&", "\t", "x" * 30]
RUNS = st.lists(st.tuples(st.sampled_from(TOKENS), st.integers(1, 800)), min_size=1, max_size=30)
"""Texts made of runs (800 newlines, a 800-character word, 400 short lines, ...), cut to the limit."""


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RUNS.map(lambda runs: "".join(token * n for token, n in runs)[:MAX_TEXT]))
def test_an_ics_214_renders_any_allowed_text(text: str) -> None:
    assert render_ics_pdf([_ics_form(text)]).startswith(b"%PDF")


def test_tall_word_copy_opens_in_libreoffice(scenario: Scenario, tmp_path: Path) -> None:
    """LibreOffice lays out the Word copy with the tall cell (a row may break across pages)."""
    office = shutil.which("soffice")
    if office is None:
        pytest.skip("LibreOffice is not installed")
    (tmp_path / "tall.docx").write_bytes(render_docx(_report(scenario, NUMBERED)))
    subprocess.run([office, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(tmp_path / "tall.docx")], check=True, capture_output=True, timeout=300)
    assert _in_order(pdf_text((tmp_path / "tall.pdf").read_bytes()))


def test_hotwash_report_writes_the_pdf_and_the_word_copy_of_a_tall_observation(tmp_path: Path) -> None:
    example_scenario(tmp_path)
    j = exercise_journal()
    j.add(61, None, ObservationRecorded(capability="Operational Coordination", rating=Rating.M,
                                         areas_for_improvement=NUMBERED), actor="evaluator-1")
    journal = tmp_path / "journal.jsonl"
    journal.write_text("".join(e.model_dump_json() + "\n" for e in j.entries), encoding="utf-8")
    out, word = tmp_path / "aar.pdf", tmp_path / "aar.docx"
    result = CliRunner().invoke(app, ["report", "--scenario", str(tmp_path / "example" / "scenarios" / "warehouse_fire.yaml"),
                                      "--journal", str(journal), "--out", str(out), "--docx", str(word)])
    assert result.exit_code == 0, result.output
    assert _in_order(pdf_text(out.read_bytes()))
    assert NUMBERED in "\n".join(c.text for t in docx.Document(str(word)).tables for row in t.rows for c in row.cells)
