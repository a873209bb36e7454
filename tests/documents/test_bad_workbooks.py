"""Every malformed workbook gets a clear error naming the cell or the reason; nothing is written,
nothing crashes, no formula is ever evaluated, and sizes are checked before anything is unpacked."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from exercises.documents.msel_sheet import export_xlsx, import_msel
from exercises.scenario.loading import ScenarioError, load_scenario
from tests.documents.helpers import EXAMPLE, copy_folder, workbook_bytes

WAREHOUSE = EXAMPLE / "scenarios" / "warehouse_fire.yaml"


@pytest.fixture
def target(tmp_path: Path) -> Path:
    return copy_folder(EXAMPLE, tmp_path) / "scenarios" / "warehouse_fire.yaml"


def _exported() -> Any:
    return openpyxl.load_workbook(io.BytesIO(export_xlsx(load_scenario(WAREHOUSE))))


def _refused(target: Path, sheet: Path, *expected: str) -> str:
    before = target.read_bytes()
    with pytest.raises(ScenarioError) as caught:
        import_msel(sheet, target)
    message = str(caught.value)
    for want in expected:
        assert want in message, message
    assert target.read_bytes() == before, "nothing may be written"
    return message


def _edited(tmp_path: Path, edit: Callable[[Any], None], name: str = "msel.xlsx") -> Path:
    wb = _exported()
    edit(wb)
    path = tmp_path / name
    path.write_bytes(workbook_bytes(wb))
    return path


def test_wrong_sheet(target: Path, tmp_path: Path) -> None:
    sheet = _edited(tmp_path, lambda wb: setattr(wb["MSEL"], "title", "MSL"))
    _refused(target, sheet, "no sheet named 'MSEL' (did you mean 'MSL'?); the workbook has: 'MSL', 'Lists'")


def test_merged_cells(target: Path, tmp_path: Path) -> None:
    sheet = _edited(tmp_path, lambda wb: wb["MSEL"].merge_cells("E3:E4"))
    _refused(target, sheet, "MSEL!E3: merged cells E3:E4: unmerge them and type the value in every row")


def test_formulas_are_refused_never_evaluated(target: Path, tmp_path: Path) -> None:
    def formulas(wb: Any) -> None:
        wb["MSEL"]["B4"] = "=B3+TIME(0,20,0)"
        wb["MSEL"]["G5"] = '=WEBSERVICE("http://127.0.0.1:9/x")'

    sheet = _edited(tmp_path, formulas)
    _refused(
        target, sheet,
        "MSEL!B4: time: holds a formula (=B3+TIME(0,20,0)); formulas are never run here: type the value itself",
        "MSEL!G5: text: holds a formula",
    )


def test_dates_typed_as_text_and_dates_in_the_time_column(target: Path, tmp_path: Path) -> None:
    def dates(wb: Any) -> None:
        wb["MSEL"]["B4"] = "12/03/2026"
        wb["MSEL"]["B5"] = datetime(2026, 3, 12, 9, 30)

    sheet = _edited(tmp_path, dates)
    _refused(
        target, sheet,
        "MSEL!B4: time: '12/03/2026' is not a time: write H:MM ('00:05'), or units ('90s', '5m', '1h30m') (a date typed as text?)",
        "MSEL!B5: time: a date (2026-03-12 09:30:00), not a scenario time",
    )


def test_empty_rows_are_skipped_but_an_empty_sheet_is_refused(target: Path, tmp_path: Path) -> None:
    def spaced(wb: Any) -> None:
        wb["MSEL"].insert_rows(4, amount=3)

    assert import_msel(_edited(tmp_path, spaced), target)[1] is False  # blank rows between injects: same MSEL

    def emptied(wb: Any) -> None:
        wb["MSEL"].delete_rows(3, 10)

    _refused(target, _edited(tmp_path, emptied), "MSEL!A3: the sheet has a header but no injects")

    def headless(wb: Any) -> None:
        wb["MSEL"].delete_rows(1, 20)

    _refused(target, _edited(tmp_path, headless), "MSEL!A1: no header row in the first 10 rows (a row naming the columns: Inject #, Scenario Time,")


def test_a_partly_filled_row_names_each_missing_cell(target: Path, tmp_path: Path) -> None:
    def partial(wb: Any) -> None:
        wb["MSEL"].append(["WF-09", None, None, "fire", None])

    _refused(target, _edited(tmp_path, partial),
             "MSEL!B6: time: required field is missing", "MSEL!E6: to: required field is missing")


def test_one_hundred_thousand_rows_are_refused_quickly(target: Path, tmp_path: Path) -> None:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("MSEL")
    ws.append(["Inject #", "Scenario Time", "Event Synopsis", "From", "To", "Delivery Method", "Inject Text", "Core Capability"])
    for n in range(100_000):
        ws.append([f"X-{n}", "0:05", "s", "fire", "fire", "radio", "t", "Operational Coordination"])
    sheet = tmp_path / "huge.xlsx"
    wb.save(sheet)
    started = time.monotonic()
    _refused(target, sheet, "huge.xlsx: a sheet holds 100,001 rows; the limit is 5,000: refused unread (split the sheet)")
    assert time.monotonic() - started < 60  # read up to the limit, not all of it


def test_a_zip_bomb_disguised_as_xlsx_is_refused_unopened(target: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.xlsx"
    good.write_bytes(export_xlsx(load_scenario(WAREHOUSE)))
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            out.writestr(item, src.read(item))
        out.writestr("xl/media/zeros.bin", b"\0" * 200_000_000)
    assert bomb.stat().st_size < 1_000_000
    _refused(target, bomb, "would unpack to", "refused unread, as a zip bomb would be")


def test_macros_are_refused(target: Path, tmp_path: Path) -> None:
    good = export_xlsx(load_scenario(WAREHOUSE))
    xlsm = tmp_path / "msel.xlsm"
    xlsm.write_bytes(good)
    _refused(target, xlsm, "a macro-enabled or binary workbook: save it as a plain .xlsx workbook")
    hidden = tmp_path / "hidden.xlsx"
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(hidden, "w") as out:
        for item in src.infolist():
            out.writestr(item, src.read(item))
        out.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro")
    _refused(target, hidden, "the workbook holds macros (vbaProject.bin)")


def test_files_that_are_not_workbooks(target: Path, tmp_path: Path) -> None:
    cases = {
        "text.xlsx": (b"Inject #,Scenario Time\n", "not an .xlsx workbook (an .xlsx file is a zip archive; this one is not)"),
        "old.xlsx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "an old-format .xls workbook"),
        "other.xlsx": (_zip({"hello.txt": b"hi"}), "not an .xlsx workbook (no xl/workbook.xml inside)"),
        "broken.xlsx": (_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<not-closed"}), "cannot be read as a workbook"),
        "msel.csv": (b"\xff\xfe\x00bad", "not UTF-8 text"),
    }
    for name, (data, expected) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        _refused(target, path, expected)


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()
