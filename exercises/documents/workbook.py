"""Reading spreadsheets safely: .xlsx workbooks and CSV files as tables of typed cells.

Workbooks are untrusted input (planners upload them in the console). Before openpyxl sees a byte,
the file is checked as a zip: its size, the number of members and their declared uncompressed sizes
(a zip bomb inflates a few kilobytes into gigabytes; zipfile never inflates a member past its declared
size, so the declared sizes bound the work), and macros (an .xlsm, or any ``vbaProject.bin``) are
refused. Then it is read with openpyxl in read-only mode, row by row, up to a row limit: formulas
are refused (never evaluated, and their cached values may be stale), merged cells are refused
(a merged cell's value sits in its first cell only, so rows would silently lose values), and every
problem names the file, the sheet and the cell.

A CSV file reads into the same ``Table``; its problems name the line and the column.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from exercises.scenario.loading import Problem

MAX_WORKBOOK_BYTES = 10_000_000
"""A workbook of a few thousand injects is well under a megabyte."""
MAX_UNCOMPRESSED_BYTES = 60_000_000
"""The sum of the members' declared sizes: a workbook of MAX_ROWS short rows stays far below."""
MAX_MEMBERS = 500
MAX_CSV_BYTES = 10_000_000
MAX_CELL_CHARS = 32_767
"""Excel's own limit for one cell."""
HEADER_SEARCH_ROWS = 10
"""The HSEEP template has a title block above the header row: look for the header this far down."""

_EXCEL_EPOCH = datetime(1899, 12, 31)
_DATE_DAYS = 3650
"""A 'duration' of more than ten years in a time column is a date typed into a time-formatted cell."""
_MERGE = re.compile(rb'<mergeCell\s+ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


class SheetError(Exception):
    """Problems that stop a whole workbook or file from being read (before any row)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Cell:
    """Where a value came from: a sheet cell (``MSEL!D14``) or a CSV line and column."""

    file: str
    sheet: str | None
    ref: str
    """``D14`` in a workbook; the column's header in a CSV file."""
    line: int
    column: str
    """The column's key (``to``, ``time``): the field a problem is about."""

    def problem(self, message: str, field: str | None = None) -> Problem:
        return Problem(
            self.file,
            None if self.sheet else self.line,
            field if field is not None else self.column,
            message,
            sheet=self.sheet,
            cell=self.ref if self.sheet else None,
        )


@dataclass(frozen=True)
class Row:
    number: int
    values: dict[str, Any]
    cells: dict[str, Cell]


@dataclass
class Table:
    file: str
    sheet: str | None
    header: dict[str, str]
    """column key -> the header as written."""
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    header_line: int = 1


def normal_header(text: str) -> str:
    """Header text compared loosely: case, spaces, punctuation and a trailing '#'/'No.' ignored."""
    words = re.sub(r"[^a-z0-9]+", " ", text.lower()).split()
    return " ".join(w for w in words if w not in {"no", "number"} or len(words) == 1)


def _hint(value: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --- the zip checks ---------------------------------------------------------------------


def _rows_with_values(sheet_xml: bytes) -> int:
    return sum(1 for row in sheet_xml.split(b"<row")[1:] if b"<v>" in row or b"<is>" in row or b"<v " in row)


def check_workbook_bytes(data: bytes, name: str, max_rows: int | None = None) -> None:
    """Refuse anything that is not a plain, reasonably sized .xlsx before openpyxl opens it; with
    ``max_rows``, a sheet of more rows than that is refused too, counted in its XML (openpyxl
    reads a whole sheet to size it, minutes for a sheet of 100,000 rows)."""
    def fail(message: str) -> SheetError:
        return SheetError([Problem(name, None, "", message)])

    if len(data) > MAX_WORKBOOK_BYTES:
        raise fail(f"the workbook is {len(data):,} bytes; the limit is {MAX_WORKBOOK_BYTES:,}")
    if data.startswith(_OLE_MAGIC):
        raise fail("an old-format .xls workbook (or an encrypted one): save it as .xlsx and try again")
    if name.lower().endswith((".xlsm", ".xltm", ".xlsb")):
        raise fail("a macro-enabled or binary workbook: save it as a plain .xlsx workbook")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise fail("not an .xlsx workbook (an .xlsx file is a zip archive; this one is not)") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise fail(f"the workbook holds {len(members):,} parts; a workbook has at most {MAX_MEMBERS}")
        total = sum(m.file_size for m in members)
        if total > MAX_UNCOMPRESSED_BYTES:
            raise fail(
                f"the workbook would unpack to {total:,} bytes (limit {MAX_UNCOMPRESSED_BYTES:,}): "
                "refused unread, as a zip bomb would be"
            )
        names = {m.filename for m in members}
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            raise fail("the workbook holds macros (vbaProject.bin): save it as a plain .xlsx without macros")
        if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
            raise fail("not an .xlsx workbook (no xl/workbook.xml inside)")
        if b"macroEnabled" in archive.read("[Content_Types].xml"):
            raise fail("a macro-enabled workbook: save it as a plain .xlsx workbook")
        sheets = [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        longest = max((_rows_with_values(archive.read(n)) for n in sheets), default=0) if max_rows else 0
        if max_rows and longest > max_rows + HEADER_SEARCH_ROWS:
            raise fail(f"a sheet holds {longest:,} rows; the limit is {max_rows:,}: refused unread (split the sheet)")


def open_workbook(data: bytes, name: str, max_rows: int | None = None) -> Any:
    """The checked workbook, opened read-only with formulas as formulas (never evaluated)."""
    check_workbook_bytes(data, name, max_rows)
    from openpyxl import load_workbook

    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds on damaged files; all mean the same here
        raise SheetError([Problem(name, None, "", f"cannot be read as a workbook ({type(exc).__name__}: {exc})")]) from None


def find_sheet(wb: Any, wanted: str, name: str) -> Any:
    """The sheet called ``wanted`` (case-insensitive), or a problem naming the sheets there are."""
    for title in wb.sheetnames:
        if title.strip().lower() == wanted.lower():
            return wb[title]
    raise SheetError(
        [
            Problem(
                name,
                None,
                "",
                f"no sheet named {wanted!r}{_hint(wanted, wb.sheetnames)}; "
                f"the workbook has: {', '.join(repr(s) for s in wb.sheetnames)}",
            )
        ]
    )


def merged_ranges(wb: Any, ws: Any) -> list[str]:
    """Merged ranges of a read-only sheet (openpyxl's read-only mode does not parse them)."""
    path = getattr(ws, "_worksheet_path", None)
    archive = getattr(wb, "_archive", None)
    if path is None or archive is None:
        return []
    return [m.decode() for m in _MERGE.findall(archive.read(path))]


# --- reading a sheet ---------------------------------------------------------------------


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _match_header(
    cells: Sequence[Any], columns: dict[str, tuple[str, ...]]
) -> tuple[dict[int, str], list[str]]:
    """Column index -> key for a candidate header row; and the header texts nobody knows."""
    lookup = {normal_header(alias): key for key, aliases in columns.items() for alias in aliases}
    found: dict[int, str] = {}
    unknown: list[str] = []
    for i, value in enumerate(cells):
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        text = str(value)
        key = lookup.get(normal_header(text))
        if key is None:
            unknown.append(text)
        else:
            found[i] = key
    return found, unknown


def read_sheet(
    wb: Any,
    sheet: str,
    name: str,
    columns: dict[str, tuple[str, ...]],
    required: Sequence[str],
    max_rows: int,
) -> Table:
    """Rows of one sheet as values by column key; problems collected, not raised."""
    ws = find_sheet(wb, sheet, name)
    table = Table(name, ws.title, {})
    for ref in merged_ranges(wb, ws):
        table.problems.append(
            Problem(name, None, "", f"merged cells {ref}: unmerge them and type the value in every row",
                    sheet=ws.title, cell=ref.split(":")[0])
        )
    index: dict[int, str] = {}
    rows = ws.iter_rows()
    for number, row in enumerate(rows, start=1):
        values = [c.value for c in row]
        if not index:
            found, unknown = _match_header(values, columns)
            if len(found) >= min(2, len(required)):
                if not _check_header(table, found, unknown, columns, required, values, number):
                    return table  # rows without a required column are not read: the header is the problem
                index = found
                table.header_line = number
            elif number >= HEADER_SEARCH_ROWS:
                break
            continue
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue  # blank rows between entries are how planners group a MSEL
        if len(table.rows) >= max_rows:
            raise SheetError([Problem(name, None, "", f"more than {max_rows:,} rows: refused (split the sheet)",
                                      sheet=ws.title, cell=f"A{number}")])
        table.rows.append(_sheet_row(table, row, index, number))
    if not index:
        headers = ", ".join(aliases[0] for aliases in columns.values())
        table.problems.append(Problem(name, None, "", f"no header row in the first {HEADER_SEARCH_ROWS} rows "
                                      f"(a row naming the columns: {headers})", sheet=ws.title, cell="A1"))
    return table


def _check_header(
    table: Table,
    found: dict[int, str],
    unknown: list[str],
    columns: dict[str, tuple[str, ...]],
    required: Sequence[str],
    values: Sequence[Any],
    number: int,
) -> bool:
    """Problems of the header row; whether it has every required column."""
    headers = [a for aliases in columns.values() for a in aliases[:1]]
    for text in unknown:
        col = _letter(next(i for i, v in enumerate(values) if v is not None and str(v) == text))
        table.problems.append(
            Problem(table.file, None, "", f"unknown column {text!r}{_hint(text, headers)}; the columns are: "
                    f"{', '.join(headers)}", sheet=table.sheet, cell=f"{col}{number}")
        )
    seen: dict[str, int] = {}
    complete = True
    for i, key in found.items():
        if key in seen:
            table.problems.append(
                Problem(table.file, None, "", f"column {columns[key][0]!r} appears twice",
                        sheet=table.sheet, cell=f"{_letter(i)}{number}")
            )
        seen[key] = i
    for key in required:
        if key not in seen:
            complete = False
            table.problems.append(
                Problem(table.file, None, "", f"the required column {columns[key][0]!r} is missing from the header row",
                        sheet=table.sheet, cell=f"A{number}")
            )
    table.header = {key: columns[key][0] for key in seen}
    return complete


def _sheet_row(table: Table, row: Sequence[Any], index: dict[int, str], number: int) -> Row:
    values: dict[str, Any] = {}
    cells: dict[str, Cell] = {}
    for i, key in index.items():
        ref = f"{_letter(max(i, 0))}{number}"
        where = Cell(table.file, table.sheet, ref, number, key)
        cells[key] = where
        if i < 0 or i >= len(row):
            values[key] = None
            continue
        cell = row[i]
        value = cell.value
        kind = getattr(cell, "data_type", None)
        if kind == "f" or (kind != "s" and isinstance(value, str) and value.startswith("=")):
            table.problems.append(where.problem(
                f"holds a formula ({str(value)[:40]}); formulas are never run here: type the value itself"))
            value = None
        elif kind == "e":
            table.problems.append(where.problem(f"holds a spreadsheet error ({value}); type the value itself"))
            value = None
        elif isinstance(value, str) and len(value) > MAX_CELL_CHARS:
            table.problems.append(where.problem(f"{len(value):,} characters; the limit is {MAX_CELL_CHARS:,}"))
            value = None
        values[key] = value
    for i, cell in enumerate(row):
        if i not in index and cell.value not in (None, "") and table.header:
            table.problems.append(
                Problem(table.file, None, "", "a value in a column without a header", sheet=table.sheet,
                        cell=f"{_letter(i)}{number}")
            )
    return Row(number, values, cells)


# --- CSV into the same table --------------------------------------------------------------


def read_csv(
    data: bytes,
    name: str,
    columns: dict[str, tuple[str, ...]],
    required: Sequence[str],
    max_rows: int,
) -> Table:
    def fail(message: str) -> SheetError:
        return SheetError([Problem(name, None, "", message)])

    if len(data) > MAX_CSV_BYTES:
        raise fail(f"the file is {len(data):,} bytes; the limit is {MAX_CSV_BYTES:,}")
    if data.startswith(b"PK\x03\x04"):
        raise fail("this is a workbook (.xlsx), not a CSV file: name it .xlsx")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(f"not UTF-8 text (byte {exc.start}): save the CSV as UTF-8") from None
    if "\x00" in text:  # no record can store it (PostgreSQL refuses NUL in text): say where it is
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise fail(f"line {line} holds a NUL character: this is not a text file a spreadsheet saved as CSV")
    table = Table(name, None, {})
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    keys: list[str | None] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not keys:
                if not any(c.strip() for c in cells):
                    continue
                found, unknown = _match_header(cells, columns)
                keys = [found.get(i) for i in range(len(cells))]
                table.header_line = line
                if not _csv_header(table, found, unknown, columns, required, line):
                    break  # rows without a required column are not read: the header is the problem
                continue
            if not any(c.strip() for c in cells):
                continue
            if len(table.rows) >= max_rows:
                raise fail(f"more than {max_rows:,} rows (at line {line:,}): refused (split the file)")
            if len(cells) > len(keys) and any(c.strip() for c in cells[len(keys):]):
                table.problems.append(Problem(name, line, "", f"{len(cells)} cells, but the header names {len(keys)} columns"))
                continue
            values = {k: (cells[i] if i < len(cells) else None) for i, k in enumerate(keys) if k}
            where = {k: Cell(name, None, table.header.get(k, k), line, k) for k in values}
            table.rows.append(Row(line, values, where))
    except csv.Error as exc:
        table.problems.append(Problem(name, reader.line_num, "", f"not valid CSV: {exc}"))
    if not keys and not table.problems:
        table.problems.append(Problem(name, None, "", "the file is empty: the first line must name the columns"))
    return table


def _csv_header(
    table: Table,
    found: dict[int, str],
    unknown: list[str],
    columns: dict[str, tuple[str, ...]],
    required: Sequence[str],
    line: int,
) -> bool:
    """Problems of the header line; whether it has every required column (the first line that is
    not blank must name the columns)."""
    headers = [a for aliases in columns.values() for a in aliases[:1]]
    for text in unknown:
        table.problems.append(
            Problem(table.file, line, "", f"unknown column {text!r}{_hint(text, headers)}; the columns are: {', '.join(headers)}")
        )
    seen = set()
    for key in found.values():
        if key in seen:
            table.problems.append(Problem(table.file, line, "", f"column {columns[key][0]!r} appears twice"))
        seen.add(key)
    missing = [key for key in required if key not in seen]
    for key in missing:
        table.problems.append(Problem(table.file, line, "", f"the required column {columns[key][0]!r} is missing"))
    table.header = {key: columns[key][0] for key in seen}
    return not missing


# --- typed cell values ---------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a trailing '.0', everything else as typed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def excel_duration(value: Any) -> float | None:
    """Seconds in an Excel time cell (a time, a [h]:mm duration, or a day-1900 date-time), else None."""
    if isinstance(value, timedelta):
        return None if value.days > _DATE_DAYS else round(value.total_seconds(), 3)
    if isinstance(value, time):
        return value.hour * 3600.0 + value.minute * 60.0 + value.second + round(value.microsecond / 1e6, 3)
    if isinstance(value, datetime) and value < datetime(1900, 1, 3):
        return round((value - _EXCEL_EPOCH).total_seconds(), 3)
    return None


def is_calendar_date(value: Any) -> bool:
    if isinstance(value, timedelta):
        return value.days > _DATE_DAYS  # a date in a cell formatted as a duration
    return isinstance(value, date) and not (isinstance(value, datetime) and value < datetime(1900, 1, 3))


def calendar_value(value: Any) -> Any:
    """A date as the planner typed it, for messages (a duration-formatted date shown as a date)."""
    if isinstance(value, timedelta):
        return datetime(1899, 12, 30) + value
    return value
