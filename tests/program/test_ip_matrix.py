"""The improvement-plan matrix round trip: exported, updated in a spreadsheet, read back. A bad
workbook is refused whole, each problem named by sheet, cell and field, and nothing is written."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from openpyxl import load_workbook

from aar.program import finalise
from exercises.documents.workbook import SheetError
from exercises.program.ip_sheet import COLUMNS, SHEET
from exercises.program.model import ActionStatus
from exercises.program.service import ProgramService
from exercises.scenario.model import Scenario
from exercises.service.exercise_service import ExerciseService
from tests.program.conftest import played
from tests.service.conftest import Opened, WallClock

LETTER = {key: "ABCDEFGHIJKLMN"[i] for i, key in enumerate(COLUMNS)}


def _edited(data: bytes, edit: Callable[[Any], None]) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    edit(wb[SHEET])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def finalised(service: ExerciseService, programs: ProgramService, two_players: Scenario, wall: WallClock) -> Opened:
    opened = played(service, two_players, wall, radio_note=True)
    finalise(service, programs, opened.controller)
    return opened


def _row(ws: Any, agency: str) -> int:
    return next(r for r in range(2, ws.max_row + 1) if ws[f"{LETTER['agency_name']}{r}"].value == agency)


def test_the_matrix_round_trip(programs: ProgramService, finalised: Opened) -> None:
    data = programs.export_matrix(finalised.controller)
    ws = load_workbook(io.BytesIO(data))[SHEET]
    assert [ws.cell(row=1, column=c).value for c in range(2, 12)] == [
        "Exercise", "Core Capability", "Issue/Area for Improvement", "Corrective Action", "Capability Element",
        "Primary Responsible Organization", "Organization POC", "Start Date", "Completion Date", "Status",
    ]
    assert {str(v.sqref).split(":")[0] for v in ws.data_validations.dataValidation} >= {"K2", "G2", "I2"}
    assert programs.import_matrix(finalised.controller, data, "ip.xlsx") == 0  # unchanged: nothing written

    def update(ws: Any) -> None:
        r = _row(ws, "Warehouse Operator")
        ws[f"{LETTER['status']}{r}"] = "in progress"
        ws[f"{LETTER['completion_date']}{r}"] = date(2026, 10, 15)
        ws[f"{LETTER['point_of_contact']}{r}"] = "J. Park, plant safety"
        ws[f"{LETTER['who']}{r}"] = "J. Park"
        ws[f"{LETTER['why']}{r}"] = "radio drill booked"

    before = len(programs.history(finalised.id))
    assert programs.import_matrix(finalised.controller, _edited(data, update), "ip.xlsx") == 1
    action = next(a for a in programs.actions(finalised.id) if a.agency == "operator")
    assert (action.status, action.completion_date, action.point_of_contact) == (
        ActionStatus.IN_PROGRESS, date(2026, 10, 15), "J. Park, plant safety")
    last = programs.history(finalised.id)[-1]
    assert len(programs.history(finalised.id)) == before + 1
    assert last.actor.startswith("J. Park (improvement-plan workbook") and last.why == "radio drill booked"
    again = programs.export_matrix(finalised.controller)
    assert programs.import_matrix(finalised.controller, again, "ip.xlsx") == 0


def _unknown_agency(ws: Any) -> str:
    r = _row(ws, "Town Fire Department")
    ws[f"{LETTER['agency_name']}{r}"], ws[f"{LETTER['who']}{r}"] = "Harbor Patrol", "Lee"
    return f"{SHEET}!{LETTER['agency_name']}{r}: agency_name: 'Harbor Patrol' is not an agency"


def _bad_status(ws: Any) -> str:
    r = _row(ws, "Warehouse Operator")
    ws[f"{LETTER['status']}{r}"], ws[f"{LETTER['who']}{r}"] = "done-ish", "Lee"
    return f"{SHEET}!{LETTER['status']}{r}: status: 'done-ish' is not a status"


def _date_as_text(ws: Any) -> str:
    r = _row(ws, "Warehouse Operator")
    ws[f"{LETTER['start_date']}{r}"], ws[f"{LETTER['who']}{r}"] = "next spring", "Lee"
    return f"{SHEET}!{LETTER['start_date']}{r}: start_date: 'next spring' is text, not a date"


def _no_who(ws: Any) -> str:
    r = _row(ws, "Warehouse Operator")
    ws[f"{LETTER['notes']}{r}"] = "checked with the plant"
    return f"{SHEET}!{LETTER['who']}{r}: who: the row changes notes: say who changed it"


@pytest.mark.parametrize("breaks", [_unknown_agency, _bad_status, _date_as_text, _no_who])
def test_a_bad_workbook_names_the_cell_and_writes_nothing(
    programs: ProgramService, finalised: Opened, breaks: Callable[[Any], str],
) -> None:
    data = programs.export_matrix(finalised.controller)
    expected: list[str] = []

    def edit(ws: Any) -> None:
        expected.append(breaks(ws))
        r = _row(ws, "Town Fire Department")  # a good change beside the bad one: not written either
        ws[f"{LETTER['notes']}{r}"], ws[f"{LETTER['who']}{r}"] = "fine", "Lee"

    before = programs.history(finalised.id)
    with pytest.raises(SheetError) as raised:
        programs.import_matrix(finalised.controller, _edited(data, edit), "ip.xlsx")
    assert any(expected[0] in str(p) for p in raised.value.problems), [str(p) for p in raised.value.problems]
    assert programs.history(finalised.id) == before


def test_every_problem_of_a_workbook_is_listed_at_once(programs: ProgramService, finalised: Opened) -> None:
    data = programs.export_matrix(finalised.controller)
    expected: list[str] = []
    with pytest.raises(SheetError) as raised:
        programs.import_matrix(finalised.controller, _edited(data, lambda ws: expected.extend(
            [_unknown_agency(ws), _date_as_text(ws)])), "ip.xlsx")
    shown = [str(p) for p in raised.value.problems]
    assert all(any(e in s for s in shown) for e in expected), shown


def test_a_player_exports_and_imports_only_their_agency(programs: ProgramService, finalised: Opened) -> None:
    ws = load_workbook(io.BytesIO(programs.export_matrix(finalised.player("fire"))))[SHEET]
    assert {ws[f"{LETTER['agency_name']}{r}"].value for r in range(2, ws.max_row + 1)} == {"Town Fire Department"}
