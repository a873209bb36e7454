"""The console's parts of issue 14: an uploaded MSEL workbook on the designer page, ICS downloads."""

from __future__ import annotations

import io

import openpyxl

from console.report import ics_forms
from exercises.documents.msel_sheet import export_xlsx
from exercises.scenario.loading import load_scenario
from tests.aar.builders import pdf_text, squash
from tests.console.conftest import MILL_FIRE, Exercise, console, table


def _upload_mill(at, msel: bytes) -> None:  # type: ignore[no-untyped-def]
    at.radio(key="designer_source").set_value("Upload a scenario file").run()
    plan = MILL_FIRE.parent.parent / "plans" / "town_notification.yaml"
    at.file_uploader(key="designer_plans").set_value([(plan.name, plan.read_bytes(), "application/yaml")])
    at.file_uploader(key="designer_msel_upload").set_value(("msel.xlsx", msel, "application/octet-stream"))
    at.file_uploader(key="designer_upload").set_value(("mill.yaml", MILL_FIRE.read_bytes(), "application/yaml")).run()


def test_designer_takes_the_msel_from_an_uploaded_workbook(exercise: Exercise) -> None:
    scenario = load_scenario(MILL_FIRE)
    wb = openpyxl.load_workbook(io.BytesIO(export_xlsx(scenario)))
    wb["MSEL"]["C3"] = "Smoke seen from the mill (from the workbook)"
    wb["MSEL"]["D4"] = "fier"
    broken = io.BytesIO()
    wb.save(broken)
    at = console(exercise.controller, "designer.py")
    _upload_mill(at, broken.getvalue())
    assert not at.exception
    problems = table(at, "Cell", "Field", "Problem")
    row = problems[problems["Cell"] == "MSEL!D4"].iloc[0]
    assert row["Field"] == "from" and "unknown agency 'fier'" in row["Problem"]

    wb["MSEL"]["D4"] = scenario.msel[1].from_
    fixed = io.BytesIO()
    wb.save(fixed)
    at = console(exercise.controller, "designer.py")
    _upload_mill(at, fixed.getvalue())
    assert not at.exception and at.success[0].value.startswith("Old Mill Fire")
    assert "Smoke seen from the mill (from the workbook)" in set(table(at, "Synopsis")["Synopsis"])


def test_designer_warns_when_the_workbook_leaves_out_injects(exercise: Exercise) -> None:
    scenario = load_scenario(MILL_FIRE)
    wb = openpyxl.load_workbook(io.BytesIO(export_xlsx(scenario)))
    wb["MSEL"].delete_rows(4, wb["MSEL"].max_row)  # the title, the header and the first inject only
    shorter = io.BytesIO()
    wb.save(shorter)
    at = console(exercise.controller, "designer.py")
    _upload_mill(at, shorter.getvalue())
    assert not at.exception and at.success[0].value.startswith("Old Mill Fire")
    gone = [i.id for i in scenario.msel[1:]]
    assert [w.value.replace("\\", "") for w in at.warning] == [  # the page escapes Markdown
        f"The MSEL workbook replaces the scenario's MSEL: the sheet has 1 inject and the scenario's MSEL "
        f"{len(scenario.msel)}: importing it removes {len(gone)} ({', '.join(gone)})."
    ]


def test_ics_forms_download_from_the_record(exercise: Exercise) -> None:
    at = console(exercise.controller, "summary.py")
    assert not at.exception
    pdf = ics_forms(exercise.svc, exercise.controller, "pdf")
    text = squash(pdf_text(pdf))
    assert squash("ACTIVITY LOG (ICS 214)") in text and squash("COMMUNICATIONS LIST (ICS 205A-style)") in text
    scenario = exercise.svc.scenario(exercise.controller)
    book = openpyxl.load_workbook(io.BytesIO(ics_forms(exercise.svc, exercise.controller, "xlsx", scenario.agencies[0].id)))
    assert book.sheetnames == [scenario.agencies[0].name[:28].strip(), "ICS 205A"]
