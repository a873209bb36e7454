"""The MSEL as a spreadsheet: the HSEEP MSEL columns in an .xlsx workbook or a CSV file.

Export writes one row per inject, times as Excel times, with the scenario's agencies, actions,
objectives, capabilities and delivery methods as drop-down lists (a ``Lists`` sheet holds them with
their names). Import reads such a sheet back, as a planner would have typed it (times as Excel
times, ``H:MM`` or ``5m``; agencies and actions by id or by their exact name), into the same inject
fields the YAML file has, and the scenario loader validates them: every problem is reported with the
workbook, sheet, cell and field. A round trip (export, import) gives the same scenario.

Cells are written as text cells; a text that a spreadsheet would take for a formula (a leading
``=``, ``+``, ``-``, ``@``) is marked with Excel's quote prefix in a workbook (shown and kept as
typed text, value unchanged) and gets a leading ``'`` in a CSV file (OWASP), removed again on import.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from exercises.documents.cells import FORMULA_STARTS, neutralise
from exercises.documents.workbook import (
    Cell,
    Row,
    SheetError,
    Table,
    calendar_value,
    cell_text,
    excel_duration,
    is_calendar_date,
    open_workbook,
    read_csv,
    read_sheet,
)
from exercises.scenario.durations import DurationSyntaxError, format_duration, parse_duration
from exercises.scenario.loading import (
    SENDERS_OTHER_THAN_AGENCIES,
    LoadedPlan,
    Problem,
    ScenarioError,
    build_scenario,
    default_plans_folder,
    load_plans,
    read_yaml,
)
from exercises.scenario.model import DeliveryMode, Inject, Scenario
from exercises.views.wording import SENDER_NAMES, NameIndex, agency_names

SHEET = "MSEL"
LISTS_SHEET = "Lists"
MAX_INJECTS = 5_000

COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("Inject #", "Inject No.", "Inject Number", "Inject", "MSEL #", "Event #", "Inject ID"),
    "time": ("Scenario Time", "Designated Scenario Time", "Time", "Exercise Time"),
    "synopsis": ("Event Synopsis", "Synopsis", "Event"),
    "from": ("From", "Sender", "From (Sender)"),
    "to": ("To", "Recipient", "Recipients", "To (Recipient)", "To (Player)"),
    "mode": ("Delivery Method", "Method", "Mode"),
    "text": ("Inject Text", "Inject Message", "Message", "Description"),
    "expected_actions": ("Expected Player Actions", "Expected Player Action", "Expected Actions"),
    "objective": ("Objective",),
    "capability": ("Core Capability", "Capability"),
    "condition": ("Condition", "Contingency"),
    "raises": ("Raises Events", "Raises", "Events Raised"),
    "effect": ("Effect", "Network Effect"),
    "evaluator_notes": ("Notes", "Evaluator Notes", "Notes for Evaluators"),
    "categories": ("Information Categories", "Categories"),
}
REQUIRED = ("id", "time", "synopsis", "from", "to", "mode", "text", "capability")
WIDTHS = {"id": 10, "time": 14, "synopsis": 34, "from": 16, "to": 24, "mode": 15, "text": 60,
          "expected_actions": 30, "objective": 18, "capability": 30, "condition": 28, "raises": 18,
          "effect": 24, "evaluator_notes": 34, "categories": 24}
_CONDITION = re.compile(
    r"^if\s+(?P<action>\S+)\s+(?P<neg>has\s+not|hasn't|not)?\s*(?:has\s+)?happened(?:\s+by\s+(?P<by>\S+))?\.?$",
    re.IGNORECASE,
)
_EFFECT = re.compile(r"^link\s+(?P<what>down|up)\s*:?\s*(?P<a>[^\s,\-\u2013]+)\s*(?:-|\u2013|,|and)\s*(?P<b>\S+)$", re.IGNORECASE)
_SPLIT = re.compile(r"[,;\n]")


class SheetMsel(list[dict[str, Any]]):
    """Inject data read from a sheet, remembering the cell each field came from."""

    def __init__(
        self, items: Sequence[dict[str, Any]], cells: Sequence[dict[str, Cell]], origin: Problem, problems: Sequence[Problem] = ()
    ) -> None:
        super().__init__(items)
        self.cells = list(cells)
        self.origin = origin
        self.problems = list(problems)
        """Problems in cells found while reading (a formula, a time that is not one); the loader's
        own checks add theirs, so every problem of the sheet is reported at once."""


# --- export ------------------------------------------------------------------------------


def _condition_text(inject: Inject) -> str:
    c = inject.condition
    if c is None:
        return ""
    by = f" by {c.by_agency}" if c.by_agency else ""
    return f"if {c.action} {'has' if c.happened else 'has not'} happened{by}"


def _effect_text(inject: Inject) -> str:
    e = inject.effect
    if e is None:
        return ""
    parts = [f"link {what}: {ends[0]} - {ends[1]}" for what, ends in (("down", e.link_down), ("up", e.link_up)) if ends]
    return "; ".join(parts)


class _Written:
    """Names written for ids in the From, To and Expected Player Actions columns, where a name reads
    back as its id (an ambiguous or blank-edged name is written as its id)."""

    def __init__(self, scenario: Scenario) -> None:
        self.sender_names = agency_names(scenario)
        self.senders = NameIndex(self.sender_names.items())
        self.actions = NameIndex(scenario.vocabulary.items())
        self.vocabulary = scenario.vocabulary

    def sender(self, ident: str) -> str:
        name = self.sender_names.get(ident, ident)
        return name if self.senders.unique(ident, name) else ident

    def action(self, ident: str) -> str:
        name = self.vocabulary.get(ident, ident)
        return name if self.actions.unique(ident, name) else ident


def msel_rows(scenario: Scenario) -> list[dict[str, Any]]:
    """One dict per inject, in MSEL order, with the cell values of every column (time in seconds);
    agencies and expected actions by name, as a planner writes them."""
    rows = []
    named = _Written(scenario)
    for inj in scenario.msel:
        rows.append({
            "id": inj.id,
            "time": inj.time,
            "synopsis": inj.synopsis,
            "from": named.sender(inj.from_),
            "to": "; ".join(named.sender(a) for a in inj.to),
            "mode": inj.mode.value,
            "text": inj.text,
            "expected_actions": "; ".join(named.action(a) for a in inj.expected_actions),
            "objective": inj.objective or "",
            "capability": inj.capability,
            "condition": _condition_text(inj),
            "raises": ", ".join(inj.raises),
            "effect": _effect_text(inj),
            "evaluator_notes": inj.evaluator_notes or "",
            "categories": ", ".join(inj.categories),
        })
    return rows


def _check_writable(scenario: Scenario) -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    problems = []
    for i, row in enumerate(msel_rows(scenario)):
        for key, value in row.items():
            if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
                problems.append(Problem(scenario.id, None, f"msel[{i}].{key}",
                                        "holds control characters that a workbook cannot store"))
    if problems:
        raise ScenarioError(problems)


_INNER_FORMULA = re.compile(r"([;,]\s*)('*)(?=[=+\-@])")
_INNER_QUOTED = re.compile(r"([;,]\s*)'('*)(?=[=+\-@])")


def _formula_start(text: str) -> bool:
    """Whether a spreadsheet would run ``text`` as a formula (``cells.safe_cell``'s rule for the start)."""
    stripped = text.lstrip()
    return text.startswith(("\t", "\r", "\n")) or (bool(stripped) and stripped.startswith(FORMULA_STARTS))


def _needs_lead(text: str) -> bool:
    """A leading quote is added before a formula start, and before typed quotes that precede one (so
    that reading back can tell them apart)."""
    return _formula_start(text) or (text.startswith("'") and _formula_start(text.lstrip("'")))


def csv_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: a ``'`` before a formula start at the beginning and after
    a ``;`` or ``,`` (where a spreadsheet may split the cell); ``csv_value`` undoes it exactly."""
    text = _INNER_FORMULA.sub(r"\1'\2", text)
    return "'" + text if _needs_lead(text) else text


def csv_value(text: str) -> str:
    if text.startswith("'") and _needs_lead(text[1:]):
        text = text[1:]
    return _INNER_QUOTED.sub(r"\1\2", text)


def export_csv(scenario: Scenario) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([COLUMNS[k][0] for k in COLUMNS])
    for row in msel_rows(scenario):
        row["time"] = _time_text(row["time"])
        writer.writerow([csv_cell(str(row[k])) for k in COLUMNS])
    return out.getvalue()


def _time_text(seconds: float) -> str:
    return format_duration(seconds) if float(seconds).is_integer() else f"{seconds:g}s"


def export_xlsx(scenario: Scenario) -> bytes:
    """The MSEL workbook: a ``MSEL`` sheet in the HSEEP columns and a ``Lists`` sheet for drop-downs."""
    from openpyxl import Workbook

    _check_writable(scenario)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    _write_title(ws, scenario)
    rows = msel_rows(scenario)
    for r, row in enumerate(rows, start=3):
        for c, key in enumerate(COLUMNS, start=1):
            cell = ws.cell(row=r, column=c)
            if key == "time":
                _write_time(cell, row[key])
            else:
                write_text(cell, str(row[key]))
        ws.row_dimensions[r].height = _row_height(row)
    lists = _write_lists(wb, scenario)
    _add_dropdowns(ws, lists, last_row=max(len(rows) + 2, 3) + 200)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def write_text(cell: Any, text: str, *, wrap: bool = True) -> None:
    """A text cell, never a formula: openpyxl would store a leading '=' as one."""
    from openpyxl.styles import Alignment

    cell.value = text
    cell.data_type = "s"
    if neutralise(text) != text:
        cell.quotePrefix = True  # Excel's own marker for text typed with a leading apostrophe
    cell.alignment = Alignment(wrap_text=wrap, vertical="top")


def _write_time(cell: Any, seconds: float) -> None:
    from datetime import timedelta

    from openpyxl.styles import Alignment

    cell.value = timedelta(seconds=seconds)
    cell.number_format = "[h]:mm" if seconds % 60 == 0 else "[h]:mm:ss"
    cell.alignment = Alignment(vertical="top", horizontal="left")


def _row_height(row: dict[str, Any]) -> float:
    """Points for a row whose wrapped texts all show (not every spreadsheet fits rows on opening)."""
    lines = 1
    for key, value in row.items():
        if isinstance(value, str) and value:
            per_line = max(WIDTHS[key] - 2, 4)
            lines = max(lines, sum(-(-max(len(part), 1) // per_line) for part in value.split("\n")))
    return min(15.0 * lines, 409.0)


def _write_title(ws: Any, scenario: Scenario) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    write_text(ws["A1"], f"Master Scenario Events List: {scenario.name}")
    ws["A1"].alignment = Alignment(vertical="top")  # not wrapped: the title runs across the empty cells
    ws["A1"].font = Font(bold=True, size=14)
    fill = PatternFill("solid", fgColor="1F3864")
    for c, key in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=2, column=c, value=COLUMNS[key][0])
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = fill
        ws.column_dimensions[cell.column_letter].width = WIDTHS[key]
    ws.freeze_panes = "B3"
    ws.page_setup.orientation = "landscape"  # printed, the MSEL reads across one page width
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.print_title_rows = "2:2"
    ws.auto_filter.ref = f"A2:{ws.cell(row=2, column=len(COLUMNS)).column_letter}2"


def _write_lists(wb: Any, scenario: Scenario) -> dict[str, str]:
    """The drop-down sources (id and name side by side); returns column key -> range formula."""
    from openpyxl.styles import Font

    ws = wb.create_sheet(LISTS_SHEET)
    senders = [(a.id, a.name) for a in scenario.agencies] + [(s, SENDER_NAMES.get(s, s)) for s in SENDERS_OTHER_THAN_AGENCIES]
    columns = {
        "from": ("Senders", "Sender", senders),
        "to": ("Agencies", "Agency", [(a.id, a.name) for a in scenario.agencies]),
        "mode": ("Delivery methods", "", [(m.value, "") for m in DeliveryMode]),
        "expected_actions": ("Actions", "Action", sorted(scenario.vocabulary.items())),
        "objective": ("Objectives", "Objective", [(o.id, o.text) for o in scenario.objectives]),
        "capability": ("Core capabilities", "", [(c, "") for c in _capabilities()]),
        "raises": ("Events", "Event", sorted(scenario.event_names.items())),
    }
    out = {}
    col = 1
    for key, (title, label, items) in columns.items():
        head = ws.cell(row=1, column=col, value=title)
        head.font = Font(bold=True)
        if label:
            ws.cell(row=1, column=col + 1, value=f"{label} name").font = Font(bold=True)
        for r, (value, name) in enumerate(items, start=2):
            write_text(ws.cell(row=r, column=col), value, wrap=False)
            if name:
                write_text(ws.cell(row=r, column=col + 1), name, wrap=False)
        letter = ws.cell(row=1, column=col).column_letter
        ws.column_dimensions[letter].width = 44 if key == "capability" else 26
        ws.column_dimensions[ws.cell(row=1, column=col + 1).column_letter].width = 48 if label else 3
        # The MSEL sheet writes agencies and actions by name: their drop-downs offer the names.
        source = ws.cell(row=1, column=col + 1).column_letter if key in _BY_NAME else letter
        out[key] = f"{LISTS_SHEET}!${source}$2:${source}${max(len(items) + 1, 2)}"
        col += 2 if label else 1
        if not label:
            col += 1
    return out


_BY_NAME = ("from", "to", "expected_actions")


def _capabilities() -> list[str]:
    from exercises.scenario.capabilities import CORE_CAPABILITIES

    return list(CORE_CAPABILITIES)


def _add_dropdowns(ws: Any, lists: dict[str, str], last_row: int) -> None:
    """Drop-downs: strict where a cell holds one value, advisory where it may hold a list."""
    from openpyxl.worksheet.datavalidation import DataValidation

    keys = list(COLUMNS)
    for key, source in lists.items():
        single = key in ("from", "mode", "objective", "capability")
        dv = DataValidation(type="list", formula1=f"={source}", allow_blank=True, showErrorMessage=single)
        if single:
            dv.error = "Pick a value from the list (see the Lists sheet)."
            dv.errorTitle = COLUMNS[key][0]
        else:
            dv.prompt = "Pick one, or type several separated by semicolons."
            dv.showInputMessage = True
        letter = ws.cell(row=1, column=keys.index(key) + 1).column_letter
        dv.add(f"{letter}3:{letter}{last_row}")
        ws.add_data_validation(dv)


# --- import --------------------------------------------------------------------------------


def read_msel_table(data: bytes, name: str) -> Table:
    """The MSEL rows of a workbook (sheet ``MSEL``) or a CSV file; file-level problems raise."""
    try:
        if name.lower().endswith(".csv"):
            return read_csv(data, name, COLUMNS, REQUIRED, MAX_INJECTS)
        wb = open_workbook(data, name, MAX_INJECTS)
        try:
            return read_sheet(wb, SHEET, name, COLUMNS, REQUIRED, MAX_INJECTS)
        finally:
            wb.close()
    except SheetError as exc:
        raise ScenarioError(exc.problems) from None


def parse_msel(table: Table, scenario_like: dict[str, Any], plans: Mapping[str, LoadedPlan] | None = None) -> SheetMsel:
    """Inject data (the YAML shape) from the table's rows; every cell problem collected. Agencies and
    actions may be typed by their exact names (the scenario's, and its ``plans``' action labels)."""
    plan_actions = [(a.id, a.label) for loaded in (plans or {}).values() for a in loaded.plan.actions]
    names = _names(scenario_like, plan_actions)
    items: list[dict[str, Any]] = []
    cells: list[dict[str, Cell]] = []
    problems = list(table.problems)
    named = _Named(problems)
    for row in table.rows:
        item = _checked(_inject(row, names, problems), row, problems, scenario_like, named)
        items.append(item)
        cells.append(row.cells)
    if not table.rows and not problems:
        where = "the sheet" if table.sheet else "the file"
        problems.append(Problem(table.file, None, "", f"{where} has a header but no injects", sheet=table.sheet,
                                cell=f"A{table.header_line + 1}" if table.sheet else None))
    if not table.rows:
        raise ScenarioError(problems)
    return SheetMsel(items, cells, Problem(table.file, None, "", "", sheet=table.sheet), problems)


class _Named:
    """Where every problem so far was named (file, cell, line, field), read as the list grows: each
    problem once, so that checking a 5,000-row sheet with a problem in every row stays linear."""

    def __init__(self, problems: list[Problem]) -> None:
        self._problems, self._read, self._places = problems, 0, set[tuple[object, ...]]()

    def catch_up(self) -> None:
        for p in self._problems[self._read:]:
            self._places.add((p.file, p.cell, p.line, p.field))
        self._read = len(self._problems)

    def __contains__(self, problem: Problem) -> bool:
        return (problem.file, problem.cell, problem.line, problem.field) in self._places


def _checked(item: dict[str, Any], row: Row, problems: list[Problem], scenario_like: dict[str, Any],
             named: _Named) -> dict[str, Any]:
    """The row checked as an inject on its own; a field that fails is named at its cell and stood in
    for, so that the scenario's cross-checks (agencies, actions, objectives) still run on the rest of
    the sheet and every problem is reported at once. Stand-ins never leave: the problems raise."""
    from pydantic import ValidationError

    from exercises.scenario.loading import _message
    from exercises.scenario.model import STRICT_UNITS

    try:
        Inject.model_validate(item, context={STRICT_UNITS: True})
        return item
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    lead = scenario_like.get("lead_agency")
    stand_in: dict[str, Any] = {
        "id": f"ROW{row.number}", "time": "0:00", "from": "simcell", "to": [lead if isinstance(lead, str) else "x"],
        "mode": "phone", "synopsis": "-", "text": "-", "capability": "Operational Coordination",
    }
    fixed = dict(item)
    named.catch_up()  # once per row: two errors in one cell are both named
    for err in errors:
        key = str(err["loc"][0]) if err["loc"] else "id"
        where = row.cells.get(key) or next(iter(row.cells.values()))
        problem = where.problem(_message(err), field=key)
        if problem not in named:  # not already named for what it holds
            problems.append(problem)
        if key in stand_in:
            fixed[key] = stand_in[key]
        else:
            fixed.pop(key, None)
    return fixed


def _names(data: dict[str, Any], plan_actions: Sequence[tuple[str, str]] = ()) -> dict[str, NameIndex]:
    """What a planner may type instead of ids: agency names, action labels, in any case."""
    raw = [a for a in data.get("agencies", []) if isinstance(a, dict)]
    agencies = [(str(a.get("id")), str(a.get("name"))) for a in raw]
    senders = [*agencies, *((s, n) for s, n in SENDER_NAMES.items()), ("simcell", "SimCell")]
    actions = [(str(a.get("id")), str(a.get("label"))) for a in data.get("actions", []) if isinstance(a, dict)]
    own = {i for i, _ in actions}
    actions += [(i, label) for i, label in plan_actions if i not in own]
    return {"agency": NameIndex(agencies), "sender": NameIndex(senders), "action": NameIndex(actions)}


_LOOKS_LIKE_ID = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
_KINDS = {"agency": "one of the scenario's agencies", "sender": "one of the scenario's agencies",
          "action": "an action of the scenario or its plans"}


def _resolve(word: str, kind: str, index: NameIndex, where: Cell, problems: list[Problem], key: str) -> str | None:
    """The id a typed word stands for: an id as it is (the loader checks it, with a did-you-mean), a
    name in any capitals; a name that is none of these is named at its cell, with the nearest name,
    and left out (so the loader does not also call it a malformed id)."""
    found = index.find(word)
    if found is not None or _LOOKS_LIKE_ID.match(word):
        return found or word
    close = difflib.get_close_matches(word, index.names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    problems.append(where.problem(f"{word!r} is not {_KINDS[kind]}{hint}", field=key))
    return None


def _inject(row: Row, names: dict[str, NameIndex], problems: list[Problem]) -> dict[str, Any]:
    v = row.values

    def text(key: str) -> str:
        raw = v.get(key)
        return csv_value(raw) if isinstance(raw, str) and row.cells[key].sheet is None else cell_text(raw)

    def words(key: str, kind: str | None = None) -> list[str]:
        if kind is None:
            return [w.strip() for w in _SPLIT.split(text(key)) if w.strip()]
        resolved = (_resolve(w, kind, names[kind], row.cells[key], problems, key) for w in names[kind].split(text(key)))
        return [w for w in resolved if w is not None]

    item: dict[str, Any] = {}
    for key in ("id", "synopsis", "text", "capability"):
        if text(key).strip():
            item[key] = text(key).strip() if key in ("id", "capability") else text(key)
    if "time" in row.cells:
        seconds = _time(v.get("time"), row.cells["time"], problems)
        if seconds is not None:
            item["time"] = _time_text(seconds)
    sender = text("from").strip()
    if sender:
        item["from"] = _resolve(sender, "sender", names["sender"], row.cells["from"], problems, "from")
    recipients = words("to", "agency")
    if recipients:
        item["to"] = recipients
    mode = text("mode").strip().lower().replace(" ", "_").replace("-", "_")
    if mode:
        item["mode"] = mode
    for key, kind in (("expected_actions", "action"), ("raises", None), ("categories", None)):
        listed = words(key, kind) if key in row.cells else []
        if listed:
            item[key] = listed
    for key in ("objective", "evaluator_notes"):
        if key in row.cells and text(key).strip():
            item[key] = text(key).strip() if key == "objective" else text(key)
    if "condition" in row.cells and text("condition").strip():
        item["condition"] = _parse_condition(text("condition"), row.cells["condition"], problems, names)
    if "effect" in row.cells and text("effect").strip():
        item["effect"] = _parse_effect(text("effect"), row.cells["effect"], problems)
    return {k: x for k, x in item.items() if x is not None}


def _time(value: Any, where: Cell, problems: list[Problem]) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None  # the loader names the missing field
    seconds = excel_duration(value)
    if seconds is not None:
        return seconds
    if is_calendar_date(value):
        problems.append(where.problem(
            f"a date ({calendar_value(value)}), not a scenario time: type the time from the start, like 0:05"))
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        problems.append(where.problem(
            f"{value!r} is a bare number: format the cell as a time, or type 0:05 (H:MM) or 5m"))
        return None
    try:
        return parse_duration(str(value))
    except DurationSyntaxError as exc:
        hint = " (a date typed as text?)" if re.search(r"\d+[/.-]\d+[/.-]\d+", str(value)) else ""
        problems.append(where.problem(f"{exc}{hint}"))
        return None


def _parse_condition(
    text: str, where: Cell, problems: list[Problem], names: dict[str, NameIndex]
) -> dict[str, Any] | None:
    m = _CONDITION.match(text.strip())
    if not m:
        problems.append(where.problem(
            f"{text!r}: write 'if ACTION has happened' or 'if ACTION has not happened' (optionally 'by AGENCY')"))
        return None
    out: dict[str, Any] = {"action": names["action"].find(m["action"]) or m["action"], "happened": not m["neg"]}
    if m["by"]:
        out["by_agency"] = names["agency"].find(m["by"]) or m["by"]
    return out


def _parse_effect(text: str, where: Cell, problems: list[Problem]) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    for part in (p.strip() for p in text.split(";")):
        m = _EFFECT.match(part) if part else None
        if not m:
            problems.append(where.problem(f"{part!r}: write 'link down: AGENCY - AGENCY' or 'link up: AGENCY - AGENCY'"))
            return None
        out[f"link_{m['what'].lower()}"] = [m["a"], m["b"]]
    return out


# --- locations of problems found by the loader ---------------------------------------------

_MSEL_FIELD = re.compile(r"^msel\[(\d+)\](?:\.([a-z_]+))?")


def sheet_locations(problems: Sequence[Problem], msel: Any) -> list[Problem]:
    """Problems with MSEL fields read from a sheet, moved from the YAML file to their cells."""
    if not isinstance(msel, SheetMsel):
        return list(problems)
    out = list(msel.problems)
    known = {(p.file, p.sheet, p.cell, p.line, p.field) for p in out}
    for p in problems:
        m = _MSEL_FIELD.match(p.field)
        if m and int(m[1]) < len(msel.cells):
            cells = msel.cells[int(m[1])]
            key = m[2] or "id"
            where = cells.get(key) or next(iter(cells.values()))
            moved = where.problem(p.message, field=key)
            if (moved.file, moved.sheet, moved.cell, moved.line, moved.field) not in known:
                out.append(moved)  # a cell already named for what it holds is not named twice
        elif p.field == "msel":
            out.append(Problem(msel.origin.file, None, "", p.message, sheet=msel.origin.sheet))
        else:
            out.append(p)
    return out


# --- a scenario that names its MSEL workbook -------------------------------------------------


def msel_beside(
    scenario_path: Path | str, name: str, line: int | None, *, uploaded: bool, plans: Mapping[str, LoadedPlan] | None = None
) -> SheetMsel:
    """``msel: msel.xlsx`` in a scenario: the sheet in the scenario's own folder, read and located."""
    file = str(scenario_path)
    if uploaded:
        raise ScenarioError([Problem(file, line, "msel", f"names a MSEL file ({name!r}): upload the scenario with its MSEL written out (hotwash msel import)")])
    if Path(name).name != name or not name.lower().endswith((".xlsx", ".csv")):
        raise ScenarioError([Problem(file, line, "msel", f"{name!r}: name an .xlsx or .csv file in the scenario's own folder (no folders)")])
    path = Path(scenario_path).parent / name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioError([Problem(file, line, "msel", f"cannot read the MSEL file {name!r}: {exc.strerror}")]) from None
    scenario_data, _ = read_yaml(scenario_path)
    return parse_msel(read_msel_table(data, str(path)), scenario_data, plans)


def load_with_msel(
    name: str, text: str, plans: Mapping[str, LoadedPlan], sheet_name: str, sheet: bytes
) -> Scenario:
    """An uploaded scenario with its MSEL taken from an uploaded workbook or CSV file instead."""
    data, lines = read_yaml(name, text)
    msel = parse_msel(read_msel_table(sheet, sheet_name), data, plans)
    return build_scenario(name, {**data, "msel": msel}, lines, plans)


# --- writing an imported MSEL into the scenario file ------------------------------------------


class _Quoted(str):
    """A clock time, written quoted ("00:05") as the format asks: YAML 1.1 tools read 00:05 as 5."""


class _Folded(str):
    """A long text, written folded (``>-``) like the bundled scenarios."""


class _MselDumper(yaml.SafeDumper):
    pass


_MselDumper.add_representer(_Quoted, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style='"'))
_MselDumper.add_representer(_Folded, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style=">"))
_YAML_ORDER = ("id", "time", "from", "to", "mode", "synopsis", "text", "expected_actions", "capability",
               "objective", "condition", "raises", "effect", "evaluator_notes", "categories")


def _yaml_item(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in _YAML_ORDER:
        if key not in item:
            continue
        value = item[key]
        if key == "time" and re.fullmatch(r"\d+:\d\d(:\d\d)?", value):
            value = _Quoted(value if len(value.split(":")[0]) > 1 else "0" + value)
        elif isinstance(value, str) and len(value) > 90 and value == value.strip() and "\n" not in value and "  " not in value:
            value = _Folded(value)
        out[key] = value
    return out


def _msel_yaml(items: Sequence[dict[str, Any]]) -> str:
    dumped = yaml.dump(
        [_yaml_item(i) for i in items], Dumper=_MselDumper, sort_keys=False, allow_unicode=True, width=94,
        default_flow_style=None,
    )
    return "msel:\n" + "".join(f"  {line}\n" if line else "\n" for line in dumped.splitlines())


def _replace_msel(text: str, new_block: str, file: str) -> str:
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    assert isinstance(root, yaml.MappingNode)
    for key, value in root.value:
        if key.value == "msel":
            start, end = key.start_mark.index, value.end_mark.index
            rest = text[end:]
            return text[:start] + new_block + (rest if rest.startswith("\n") or not rest else "\n" + rest).lstrip("\n")
    raise ScenarioError([Problem(file, None, "msel", "the scenario has no msel section to replace")])


def left_out_injects(scenario_data: dict[str, Any], scenario: Scenario) -> list[str]:
    """The ids of the injects a scenario file has that the MSEL now in ``scenario`` does not."""
    msel = scenario_data.get("msel")
    before = [i.get("id") for i in msel if isinstance(i, dict)] if isinstance(msel, list) else []
    now = {i.id for i in scenario.msel}
    return [str(ident) for ident in before if isinstance(ident, str) and ident not in now]


def left_out_warning(left_out: Sequence[str], before: int, after: int) -> str:
    """In words: how many injects a sheet leaves out of the scenario's MSEL, and which."""
    shown = ", ".join(left_out[:12]) + (f" and {len(left_out) - 12} more" if len(left_out) > 12 else "")
    return (f"the sheet has {after} inject{'s' if after != 1 else ''} and the scenario's MSEL {before}: "
            f"importing it removes {len(left_out)} ({shown})")


def import_msel(
    sheet: Path, scenario_path: Path, *, data: bytes | None = None, remove_injects: bool = False
) -> tuple[Scenario, bool]:
    """Read ``sheet`` into ``scenario_path``'s MSEL; all problems raise, and nothing is written
    unless the new file loads to the scenario just validated, nor when the sheet leaves out injects
    the file has, unless ``remove_injects``. Returns (scenario, file changed)."""
    file = str(scenario_path)
    text = _read_text(scenario_path)
    scenario_data, lines = read_yaml(scenario_path, text)
    if isinstance(scenario_data.get("msel"), str):
        raise ScenarioError([Problem(file, lines.line_of(("msel",)), "msel",
                                     f"this scenario reads its MSEL from {scenario_data['msel']!r}: edit that file instead")])
    raw = data if data is not None else _read_bytes(sheet)
    plans = load_plans(default_plans_folder(scenario_path))
    msel = parse_msel(read_msel_table(raw, str(sheet)), scenario_data, plans)
    scenario = build_scenario(file, {**scenario_data, "msel": msel}, lines, plans)
    try:
        current: Scenario | None = build_scenario(file, scenario_data, lines, plans)
    except ScenarioError:
        current = None  # the file's own MSEL is broken: the sheet is what fixes it
    if current == scenario:
        return scenario, False
    left_out = left_out_injects(scenario_data, scenario)
    if left_out and not remove_injects:
        before = len(scenario_data["msel"])
        raise ScenarioError([Problem(str(sheet), None, "", left_out_warning(left_out, before, len(scenario.msel))
                                     + "; to remove them, import it again with --remove-injects")])
    new_text = _replace_msel(text, _msel_yaml(msel), file)
    check_data, check_lines = read_yaml(scenario_path, new_text)
    if build_scenario(file, check_data, check_lines, plans) != scenario:
        raise ScenarioError([Problem(file, None, "msel", "the MSEL could not be written back exactly; nothing was written")])
    _write_atomically(scenario_path, new_text)
    return scenario, True


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ScenarioError([Problem(str(path), None, "", f"cannot read: {exc.strerror}")]) from None


def _read_text(path: Path) -> str:
    try:
        return _read_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError([Problem(str(path), None, "", "not UTF-8 text")]) from None


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
