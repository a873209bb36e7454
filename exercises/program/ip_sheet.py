"""The improvement-plan matrix as a workbook: exported in the HSEEP IP columns with the tracking
columns beside them (status as a drop-down, dates as date cells), and updates read back.

Reading goes through ``exercises.documents.workbook`` (size and zip checks, read-only, formulas and
merged cells refused) and checks every row before anything is written: one error lists every
problem by sheet, cell and field, and a workbook with any problem changes nothing. A changed row
must say who changed it; the reason is kept with the change.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from exercises.documents.msel_sheet import write_text
from exercises.documents.workbook import (
    Row,
    SheetError,
    calendar_value,
    cell_text,
    is_calendar_date,
    open_workbook,
    read_sheet,
)
from exercises.program.model import (
    PRIORITY_COLUMNS,
    SCHEDULE_COLUMNS,
    ActionStatus,
    CorrectiveAction,
    ProgramPlan,
    schedule_rows,
)
from exercises.scenario.loading import Problem

SHEET = "Improvement Plan"
LISTS = "Lists"
MAX_ROWS = 2000
WHO_MAX = 60
COLUMNS: dict[str, tuple[str, ...]] = {
    "reference": ("Reference",),
    "exercise": ("Exercise",),
    "capability": ("Core Capability",),
    "issue": ("Issue/Area for Improvement", "Issue", "Area for Improvement"),
    "action": ("Corrective Action",),
    "element": ("Capability Element",),
    "agency_name": ("Primary Responsible Organization", "Responsible Organization"),
    "point_of_contact": ("Organization POC", "Point of Contact", "POC"),
    "start_date": ("Start Date",),
    "completion_date": ("Completion Date",),
    "status": ("Status",),
    "notes": ("Notes",),
    "who": ("Changed By",),
    "why": ("Reason for Change",),
}
REQUIRED = ("reference", "agency_name", "point_of_contact", "start_date", "completion_date", "status", "notes", "who")
WIDTHS = (4, 18, 22, 40, 40, 14, 24, 20, 12, 14, 14, 30, 18, 30)


def _text(value: Any) -> str:
    return cell_text(value).strip()


def export_xlsx(rows: Sequence[tuple[str, CorrectiveAction]], agencies: Sequence[str]) -> bytes:
    """The matrix of ``rows`` (exercise title, action): one row each, ready to be updated."""
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    for c, key in enumerate(COLUMNS, start=1):
        write_text(ws.cell(row=1, column=c), COLUMNS[key][0], wrap=False)
        ws.column_dimensions[ws.cell(row=1, column=c).column_letter].width = WIDTHS[c - 1]
    ws.column_dimensions["A"].hidden = True  # the machine's reference; people read the other columns
    for r, (title, a) in enumerate(rows, start=2):
        values = {"reference": f"{a.exercise_id}|{a.key}", "exercise": title, "capability": a.capability,
                  "issue": a.issue, "action": a.action, "element": a.element.capitalize(),
                  "agency_name": a.agency_name, "point_of_contact": a.point_of_contact, "status": a.status.value,
                  "notes": a.notes, "who": "", "why": ""}
        for c, key in enumerate(COLUMNS, start=1):
            cell = ws.cell(row=r, column=c)
            day = a.start_date if key == "start_date" else a.completion_date if key == "completion_date" else None
            if key in {"start_date", "completion_date"}:
                cell.value, cell.number_format = day, "yyyy-mm-dd"
            else:
                write_text(cell, values[key])
    lists = wb.create_sheet(LISTS)
    for r, status in enumerate(ActionStatus, start=1):
        write_text(lists.cell(row=r, column=1), status.value)
    for r, name in enumerate(agencies, start=1):
        write_text(lists.cell(row=r, column=2), name)
    last = max(len(rows) + 1, 2) + 200
    keys = list(COLUMNS)
    for key, source in (("status", f"{LISTS}!$A$1:$A${len(ActionStatus)}"),
                        ("agency_name", f"{LISTS}!$B$1:$B${max(len(agencies), 1)}")):
        dv = DataValidation(type="list", formula1=f"={source}", allow_blank=True, showErrorMessage=True)
        dv.error, dv.errorTitle = "Pick a value from the list (see the Lists sheet).", COLUMNS[key][0]
        letter = ws.cell(row=1, column=keys.index(key) + 1).column_letter
        dv.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(dv)
    dates = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True, showErrorMessage=True)
    dates.error, dates.errorTitle = "Type a date (YYYY-MM-DD).", "Date"
    dates.add(f"I2:J{last}")
    ws.add_data_validation(dates)
    ws.freeze_panes = "C2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class SheetChange:
    """One row's update: the action, the fields it changes, who changed it and why."""

    exercise_id: int
    key: str
    fields: dict[str, str]
    who: str
    why: str


def _day(row: Row, key: str, problems: list[Problem]) -> str | None:
    value = row.values.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if is_calendar_date(value):
        found = calendar_value(value)
        return (found.date() if isinstance(found, datetime) else found).isoformat()
    problems.append(row.cells[key].problem(
        f"{_text(value)!r} is text, not a date: type the date itself (YYYY-MM-DD) so the cell holds a date"))
    return None


def _row_fields(row: Row, agencies: Mapping[str, str], problems: list[Problem]) -> dict[str, str] | None:
    """The updatable values a row holds, each checked (problems added, None when one is wrong)."""
    before = len(problems)
    fields = {"point_of_contact": _text(row.values.get("point_of_contact")), "notes": _text(row.values.get("notes"))}
    status = _text(row.values.get("status"))
    if status not in {s.value for s in ActionStatus}:
        problems.append(row.cells["status"].problem(
            f"{status!r} is not a status: pick one of {', '.join(s.value for s in ActionStatus)}"))
    fields["status"] = status
    name = _text(row.values.get("agency_name"))
    if name and name not in agencies:
        problems.append(row.cells["agency_name"].problem(
            f"{name!r} is not an agency of the exercise: pick one of {', '.join(sorted(agencies))}"))
    fields["agency"] = agencies.get(name, "") if name else ""
    fields["agency_name"] = name
    for key in ("start_date", "completion_date"):
        day = _day(row, key, problems)
        fields[key] = day or ""
    return fields if len(problems) == before else None


def _changed(action: CorrectiveAction, fields: Mapping[str, str]) -> dict[str, str]:
    current = {"point_of_contact": action.point_of_contact, "notes": action.notes, "status": action.status.value,
               "agency": action.agency, "start_date": action.start_date.isoformat() if action.start_date else "",
               "completion_date": action.completion_date.isoformat() if action.completion_date else ""}
    changed = {k: v for k, v in fields.items() if k in current and v != current[k]}
    if "agency" in changed:
        changed["agency_name"] = fields["agency_name"]
    return changed


def read_changes(
    data: bytes, name: str, actions: Mapping[str, CorrectiveAction], agencies: Mapping[str, Mapping[str, str]],
) -> list[SheetChange]:
    """The rows that change something, each checked; every problem of the workbook raised at once.

    ``actions`` by reference ('<exercise>|<key>'); ``agencies`` per exercise reference prefix: the
    exercise's agencies by name -> id."""
    wb = open_workbook(data, name)
    try:
        table = read_sheet(wb, SHEET, name, COLUMNS, REQUIRED, MAX_ROWS)
    finally:
        wb.close()
    problems = list(table.problems)
    changes: list[SheetChange] = []
    for row in table.rows:
        reference = _text(row.values.get("reference"))
        action = actions.get(reference)
        if action is None:
            problems.append(row.cells["reference"].problem(
                "this row is not a corrective action of the program (its reference column was changed "
                "or the row was added): export the matrix again"))
            continue
        fields = _row_fields(row, agencies.get(reference.split("|")[0], {}), problems)
        if fields is None:
            continue
        changed = _changed(action, fields)
        if not changed:
            continue
        who = _text(row.values.get("who"))
        if not who:
            problems.append(row.cells["who"].problem(
                f"the row changes {', '.join(k.replace('_', ' ') for k in changed)}: say who changed it"))
            continue
        if len(who) > WHO_MAX:
            problems.append(row.cells["who"].problem(f"{len(who)} characters; the limit is {WHO_MAX}"))
            continue
        why = _text(row.values.get("why")) or "updated in the improvement-plan workbook"
        changes.append(SheetChange(action.exercise_id, action.key, changed, who, why))
    if problems:
        raise SheetError(problems)
    return changes



SCHEDULE_SHEET = "IPP Schedule"


def schedule_xlsx(plan: ProgramPlan) -> bytes:
    """The program's Integrated Preparedness Plan: its priorities and its schedule of exercises."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = SCHEDULE_SHEET
    write_text(ws.cell(row=1, column=1), f"{plan.name} ({plan.first_year}-{plan.last_year})", wrap=False)
    for c, (title, width) in enumerate(zip(SCHEDULE_COLUMNS, (12, 30, 12, 40, 40, 24, 12), strict=True), start=1):
        write_text(ws.cell(row=3, column=c), title, wrap=False)
        ws.column_dimensions[ws.cell(row=3, column=c).column_letter].width = width
    for r, (day, *texts) in enumerate(schedule_rows(plan), start=4):
        ws.cell(row=r, column=1).value, ws.cell(row=r, column=1).number_format = day, "yyyy-mm-dd"
        for c, text in enumerate(texts, start=2):
            write_text(ws.cell(row=r, column=c), text)
    priorities = wb.create_sheet("Priorities")
    for c, title in enumerate(PRIORITY_COLUMNS, start=1):
        write_text(priorities.cell(row=1, column=c), title, wrap=False)
    priorities.column_dimensions["B"].width, priorities.column_dimensions["C"].width = 34, 80
    for r, p in enumerate(plan.priorities, start=2):
        priorities.cell(row=r, column=1).value = r - 1
        write_text(priorities.cell(row=r, column=2), p.capability)
        write_text(priorities.cell(row=r, column=3), p.why)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
