"""What the report says about the record's integrity: the signed checkpoints, the key a reader
checks them with, and which entries came after the end of play, in the PDF and the Word copy alike."""

from __future__ import annotations

import datetime as dt
import io

import docx

from aar.model import RecordIntegrity
from aar.render.pdf import render_pdf
from aar.render.word import render_docx
from aar.report import build_report
from exercises.record.entries import ClockEnded, ClockStarted, Entry, ObservationRecorded
from exercises.scenario.model import Rating
from tests.aar.builders import ROOT, pdf_text, squash

FINGERPRINT = "0123456789abcdef" * 4
PUBLIC_KEY = "7f" * 32


def _report():  # type: ignore[no-untyped-def]
    from exercises.scenario.loading import load_scenario

    scenario = load_scenario(ROOT / "data" / "scenarios" / "civil_disturbance.yaml")
    journal = [
        Entry(seq=1, at=0.0, actor="controller", payload=ClockStarted(speed=1.0)),
        Entry(seq=2, at=600.0, actor="controller", payload=ClockEnded()),
        Entry(seq=3, at=600.0, actor="evaluator", agency="city_police", payload=ObservationRecorded(
            capability="Operational Coordination", rating=Rating.S, strengths="Command post set up early",
            after_end=True)),
    ]
    integrity = RecordIntegrity(
        entries=3, intact=True, head_hash="ab" * 32, signature="partly_signed", signed_through_seq=2,
        key_fingerprint=FINGERPRINT, public_key=PUBLIC_KEY,
        proven=("Entries 1 to 2 are as they were when the checkpoint was signed.",),
        not_proven=("Entry 3 comes after the last checkpoint and is unsigned.",),
    )
    return build_report(scenario, journal, exercise_name="Liberty Park", exercise_dates=(dt.date(2025, 6, 12),) * 2,
                        integrity=integrity)


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([*(p.text for p in document.paragraphs), *cells])


def test_the_integrity_section_names_the_signatures_and_the_key_in_both_formats() -> None:
    report = _report()
    for text in (squash(pdf_text(render_pdf(report))), squash(_docx_text(render_docx(report)))):
        assert squash("signed, except the newest entries (after the last checkpoint)") in text
        assert squash("entry 2") in text
        assert squash("0123 4567 89ab cdef 0123 4567 89ab cdef") in text
        assert squash(PUBLIC_KEY) in text
        assert squash("Not proven: Entry 3 comes after the last checkpoint and is unsigned.") in text


def test_a_post_exercise_observation_is_marked_as_such() -> None:
    report = _report()
    assert report.post_exercise == (3,)
    text = squash(pdf_text(render_pdf(report)))
    assert squash("Command post set up early (evaluator, entry 3) (recorded after the end of play)") in text
