"""A three-exercise series of one program: exercise 1's finalised AAR/IP yields tracked actions,
owners update them, exercise 2 (planned from a template) re-tests three of them, a controller
confirms the verdicts, and the reports read it back (PDF and Word)."""

from __future__ import annotations

import io
from datetime import date

import docx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from aar.document import RETESTED_TITLE
from aar.exercise_report import exercise_retests
from aar.program import exercise_report, finalise
from aar.program_report import build_program_report, frontis, program_document, trends
from aar.render.pdf import render_blocks_pdf, render_pdf
from aar.render.word import render_blocks_docx, render_docx
from exercises.access import AccessDenied
from exercises.program.ip_sheet import SCHEDULE_SHEET, schedule_xlsx
from exercises.program.model import ActionStatus, ExerciseType
from exercises.program.service import ProgramService
from exercises.scenario.model import Scenario
from exercises.service.exercise_service import ExerciseService
from tests.program.conftest import played
from tests.service.conftest import WallClock

CAPS = ["Operational Communications", "Operational Coordination"]


def _program(programs: ProgramService, name: str = "Harbor County 2026-2028") -> tuple[int, list[int]]:
    program = programs.create_program(name, 2026, 2028)
    programs.add_priority(program, "Operational Communications", "Radio failures in the 2025 flood")
    planned = [
        programs.plan_exercise(program, "Warehouse fire TTX", date(2026, 3, 4), ExerciseType.TABLETOP, CAPS),
        programs.plan_exercise(program, "Warehouse fire FE", date(2027, 3, 3), ExerciseType.FUNCTIONAL, CAPS,
                               template=("Warehouse fire", "2")),
        programs.plan_exercise(program, "Harbor full-scale", date(2028, 3, 1), ExerciseType.FULL_SCALE, CAPS),
    ]
    return program, planned


def _text(pdf: bytes) -> str:
    return " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(pdf)).pages)


def test_exercise_two_retests_three_actions_of_exercise_one(
    service: ExerciseService, programs: ProgramService, two_players: Scenario, wall: WallClock,
) -> None:
    program, planned = _program(programs)
    first = played(service, two_players, wall, radio_note=True)
    programs.record_conducted(planned[0], first.id)
    actions = finalise(service, programs, first.controller)
    assert len(actions) == 3
    fire = [a for a in actions if a.agency == "fire"]
    programs.update(first.player("fire"), first.id, fire[0].key, {"status": "completed"}, "new notification checklist")
    programs.update(first.player("fire"), first.id, fire[1].key, {"status": "in progress"}, "radio schedule drafted")
    with pytest.raises(AccessDenied):
        programs.update(first.player("operator"), first.id, fire[0].key, {"status": "completed"}, "not theirs")

    second = played(service, two_players, wall, notify=True, rating="M")
    programs.record_conducted(planned[1], second.id)
    assert programs.plan(program).exercises[1].template == ("Warehouse fire", "2")
    report = exercise_report(service, second.controller, programs)
    suggested = {t.action_key: t.suggested for t in report.retests}
    assert len(suggested) == 3
    assert sorted(suggested.values()) == ["not validated", "validated", "validated"]
    assert not any(t.status in {"validated", "not validated"} for t in report.retests), "never set silently"
    notified = next(t for t in report.retests if t.action_key == "protocol:NOT-01")
    assert notified.evidence and "met" in notified.new_outcome
    # The program page reads them without the rest of the report: the same re-tests, word for word.
    assert exercise_retests(service, second.controller, programs) == report.retests

    for t in report.retests:  # a controller of exercise 2 confirms each suggestion
        programs.update(second.controller, first.id, t.action_key, {"status": t.suggested},
                        f"re-tested in Warehouse fire FE: {t.new_outcome}")
    statuses = sorted(a.status.value for a in programs.actions(first.id))
    assert statuses == [ActionStatus.NOT_VALIDATED.value, ActionStatus.VALIDATED.value, ActionStatus.VALIDATED.value]

    confirmed = exercise_report(service, second.controller, programs)
    pdf = _text(render_pdf(confirmed))
    assert RETESTED_TITLE in pdf and "not yet confirmed" not in pdf and "Warehouse fire TTX" in pdf
    word = docx.Document(io.BytesIO(render_docx(confirmed)))
    words = "\n".join([p.text for p in word.paragraphs] + [c.text for t in word.tables for r in t.rows for c in r.cells])
    assert RETESTED_TITLE in words and "Radio check-ins with the EOC were not on a schedule." in words

    third = played(service, two_players, wall, notify=True, rating="S")
    programs.record_conducted(planned[2], third.id)
    made = build_program_report(service, programs, program, date(2027, 6, 1))
    communications = [r.summary["capabilities"]["Operational Communications"] for r in made.conducted]
    assert [(c["critical_met"], c["critical_scored"]) for c in communications] == [(0, 1), (1, 1), (1, 1)]
    assert [r.summary["capabilities"]["Operational Coordination"]["rating"] for r in made.conducted] == ["M", "M", "S"]
    blocks = program_document(made)
    pdf = _text(render_blocks_pdf(blocks, frontis(made), trends(made)))
    for words_read in (pdf, _docx_text(render_blocks_docx(blocks, frontis(made), trends(made)))):
        flat = " ".join(words_read.split())
        for expected in ("Integrated Preparedness Plan Schedule", "Warehouse fire, version 2", "Capability Trends",
                         "0 of 1 (0%)", "Harbor full-scale", "Agency Trends", "Town Fire Department",
                         "3 corrective actions tracked from finalised AAR/IPs: 0 open, 0 in progress, 0 completed, "
                         "2 validated, 1 not validated."):
            assert expected in flat, expected


def _docx_text(data: bytes) -> str:
    word = docx.Document(io.BytesIO(data))
    return "\n".join([p.text for p in word.paragraphs] + [c.text for t in word.tables for r in t.rows for c in r.cells])


def test_a_protocol_that_falls_short_again_suggests_not_validated(
    service: ExerciseService, programs: ProgramService, two_players: Scenario, wall: WallClock,
) -> None:
    _, planned = _program(programs, "Harbor County, second series")
    first = played(service, two_players, wall)
    programs.record_conducted(planned[0], first.id)
    finalise(service, programs, first.controller)
    second = played(service, two_players, wall, rating="S")
    programs.record_conducted(planned[1], second.id)
    report = exercise_report(service, second.controller, programs)
    assert exercise_retests(service, second.controller, programs) == report.retests
    found = {t.action_key: t for t in report.retests}
    assert found["protocol:NOT-01"].suggested == "not validated"
    assert "missed" in found["protocol:NOT-01"].new_outcome
    assert [t.suggested for k, t in found.items() if k.startswith("observation:")] == ["validated"]  # rated S


def test_the_ipp_schedule_as_a_workbook(programs: ProgramService) -> None:
    program, _ = _program(programs, "Harbor County, schedule")
    wb = load_workbook(io.BytesIO(schedule_xlsx(programs.plan(program))))
    ws = wb[SCHEDULE_SHEET]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=4)]
    assert [r[1] for r in rows] == ["Warehouse fire TTX", "Warehouse fire FE", "Harbor full-scale"]
    assert rows[0][0].date() == date(2026, 3, 4) and rows[1][5] == "Warehouse fire, version 2"
    assert rows[2][4] == "Operational Communications" and rows[0][6] == "planned"
    assert wb["Priorities"]["C2"].value == "Radio failures in the 2025 flood"
