"""The report read in one pass and drawn with cheaper cells says exactly what it said before.

A bundled scenario's exercise (``mass_casualty``, a synthetic journal of a few hundred entries
appended through the journal, so the chain and its signed checkpoints are real) is read the way
``hotwash report`` reads it (one streamed pass that checks and reads) and the way it was read before
(every row, then the check over them); its PDF is drawn with the cells' parse cache and measured
wraps and with reportlab's own paragraphs, its Word copy with rows built directly, runs copied from
templates and paragraph styles looked up once, and with python-docx's ``add_row``, ``add_run`` and
``add_paragraph(text, style)``: the model, the PDF's text and the Word document must be the same.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pypdf
import pytest
from docx.shared import Length, Pt, RGBColor
from docx.text.paragraph import Paragraph as DocxParagraph
from reportlab import rl_config
from reportlab.platypus import Paragraph
from sqlalchemy import update

from aar.document import Run
from aar.integrity import record_integrity
from aar.model import AfterActionReport
from aar.render import pdf, word
from aar.report import build_report
from bench.bench_report import synthetic_journal
from exercises.record import evidence, journal, lineage
from exercises.record.entries import NewEntry
from exercises.scenario.loading import load_scenario
from exercises.service.exercise_service import ExerciseService
from exercises.storage.tables import JOURNAL_TABLE, Exercise
from tests.service.conftest import CHEAP_HASHER

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "data" / "scenarios" / "mass_casualty.yaml"


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> tuple[ExerciseService, int]:
    url = f"sqlite:///{tmp_path_factory.mktemp('one-pass') / 'hotwash.db'}"
    service = ExerciseService.open(url, hasher=CHEAP_HASHER)
    scenario = load_scenario(SCENARIO)
    created = service.create_exercise(scenario, name="One pass", seed=1)
    new = [NewEntry(at=e.at, agency=e.agency, actor=e.actor, payload=e.payload) for e in synthetic_journal(scenario, 400)]
    exercise_id = created.exercise.id
    with service.db.writing() as session:
        service.db.lock_exercise(session, exercise_id)
        head = journal.read_head(session, exercise_id)
        assert head is not None
        journal.append(session, exercise_id, head, new, time.time())
        session.commit()
    return service, exercise_id


def _as_before(service: ExerciseService, exercise_id: int) -> tuple[list[journal.Entry], journal.Verification]:
    """The record as read before the one pass: all the rows, their entries, then the check over the rows."""
    with service.db.reading() as session:
        exercise = session.get(Exercise, exercise_id)
        assert exercise is not None
        rows = list(journal.read_rows(session, exercise_id))
        checkpoints = evidence.read_checkpoints(session, exercise_id)
        parent = lineage.parent_hash(session, exercise)
    entries = [journal.to_entry(row) for row in rows]
    return entries, evidence.check(exercise, rows, checkpoints, service.keys.trust(), parent_head=parent)


def _report(service: ExerciseService, exercise_id: int, entries: list[journal.Entry], check: journal.Verification) -> AfterActionReport:
    scenario = service.scenario(service.operator(exercise_id))
    return build_report(scenario, entries, exercise_name="One pass", exercise_dates=(date(2026, 12, 7),) * 2,
                        integrity=record_integrity(check))


def test_the_one_pass_reads_and_checks_what_the_two_passes_did(played: tuple[ExerciseService, int]) -> None:
    service, exercise_id = played
    record = service.record(service.operator(exercise_id))
    entries, check = _as_before(service, exercise_id)
    assert record.entries == entries and len(entries) == 400
    assert record.verification == check and check.ok and check.checkpoints > 0
    assert _report(service, exercise_id, record.entries, record.verification) == _report(
        service, exercise_id, entries, check
    )


def _pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def _word_runs(paragraph: DocxParagraph, runs: Sequence[Run], size: float | None = None) -> None:
    """Runs as python-docx's own API writes them (text and font set property by property)."""
    for run in runs:
        lines = word._clean(run.text).split("\n")
        for i, line in enumerate(lines):
            r = paragraph.add_run(line)
            r.bold = run.bold or None
            r.italic = run.italic or None
            if run.colour:
                r.font.color.rgb = RGBColor.from_string(run.colour.upper())
            if size:
                r.font.size = Pt(size)
            if i < len(lines) - 1:
                r.add_break()


def _word_row(
    table: word.WordTable, row: Sequence[Sequence[Run]], widths: Sequence[Length], size: float, key_value: bool
) -> None:
    """A row as python-docx adds one, cell by cell through the table (what the Word copy did)."""
    cells = table.add_row().cells
    for i, runs in enumerate(row):
        cells[i].width = widths[i]
        word._runs(cells[i].paragraphs[0], runs, size)
        if key_value and i == 0:
            word._shade(cells[i], "E8EEF4")


def test_the_pdf_and_the_word_copy_say_what_they_said(
    played: tuple[ExerciseService, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    service, exercise_id = played
    record = service.record(service.operator(exercise_id))
    report = _report(service, exercise_id, record.entries, record.verification)
    monkeypatch.setattr(rl_config, "invariant", 1)  # no creation time or random id: equal PDFs are equal bytes
    fast_pdf, fast_word = pdf.render_pdf(report), word.render_docx(report)
    monkeypatch.setattr(pdf, "_p", lambda safe, style: Paragraph(safe, style))
    monkeypatch.setattr(word, "_add_row", _word_row)
    monkeypatch.setattr(word, "_runs", _word_runs)
    monkeypatch.setattr(word._Writer, "_paragraph", lambda self, style, text="": self.doc.add_paragraph(text, style))
    plain_pdf, plain_word = pdf.render_pdf(report), word.render_docx(report)
    assert _pdf_text(fast_pdf) == _pdf_text(plain_pdf)
    assert len(_pdf_text(fast_pdf)) > 10
    assert fast_pdf == plain_pdf  # the same fonts, sizes and places, not only the same words
    body = "word/document.xml"
    assert zipfile.ZipFile(io.BytesIO(fast_word)).read(body) == zipfile.ZipFile(io.BytesIO(plain_word)).read(body)


def test_a_broken_chain_still_reports_every_entry(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hotwash.db'}"
    service = ExerciseService.open(url, hasher=CHEAP_HASHER)
    scenario = load_scenario(SCENARIO)
    exercise_id = service.create_exercise(scenario, name="Broken", seed=1).exercise.id
    new = [NewEntry(at=e.at, agency=e.agency, actor=e.actor, payload=e.payload) for e in synthetic_journal(scenario, 30)]
    with service.db.writing() as session:
        service.db.lock_exercise(session, exercise_id)
        head = journal.read_head(session, exercise_id)
        assert head is not None
        journal.append(session, exercise_id, head, new, time.time())
        session.connection().execute(
            update(JOURNAL_TABLE).where(JOURNAL_TABLE.c.exercise_id == exercise_id, JOURNAL_TABLE.c.seq == 12)
            .values(actor="someone else")
        )
        session.commit()
    record = service.record(service.operator(exercise_id))
    assert record.verification.broken_seq == 12 and not record.verification.ok
    assert [e.seq for e in record.entries] == list(range(1, 31))
    assert record.entries[11].actor == "someone else"
