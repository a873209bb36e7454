"""ICS 214 activity logs and the ICS 205A-style communications list, filled from the record, read
back from the PDF and the workbook."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from aar.ics import ics205a, ics214, render_pdf, render_xlsx
from exercises.documents.incident_log import RealClock, parse_incident_log
from exercises.record.entries import Entry
from exercises.scenario.loading import load_scenario
from exercises.service.exercise_service import ExerciseService
from hotwash.cli import app
from sim_engine.batch.runs import run_once
from tests.aar.builders import pdf_text, squash
from tests.documents.helpers import DATA
from tests.documents.test_incident_log import START, WAREHOUSE, ZONE, incident_workbook
from tests.service.conftest import CHEAP_HASHER

MASS_CASUALTY = DATA / "scenarios" / "mass_casualty.yaml"
MADE = datetime(2026, 3, 14, 21, 0)


@pytest.fixture(scope="module")
def simulated():  # type: ignore[no-untyped-def]
    scenario = load_scenario(MASS_CASUALTY)
    produced = run_once(scenario, seed=3)
    return scenario, [Entry(seq=i, **e.model_dump()) for i, e in enumerate(produced, start=1)]


def test_ics_214_of_one_agency_of_a_bundled_exercise_reads_back(simulated) -> None:  # type: ignore[no-untyped-def]
    scenario, journal = simulated
    form = ics214(scenario, journal, "county_ems", incident_name="Harbor Sound MCI TTX", day=date(2026, 3, 14), prepared_at=MADE)
    assert form.home_agency == "Harbor County EMS"
    assert form.position == "Incident Commander"  # the lead agency holds incident command
    assert form.resources[0].name == "12 ALS ambulances" and form.resources[0].home_agency == "Harbor County EMS"
    assert form.activities and all(a.at <= b.at for a, b in zip(form.activities, form.activities[1:], strict=False))
    assert not any(re.search(r"\b[a-z]+_[a-z_]+\b", a.text) for a in form.activities)  # names, never ids
    text = squash(pdf_text(render_pdf([form])))
    for field in ("ACTIVITY LOG (ICS 214)", "1. Incident Name:", "Harbor Sound MCI TTX", "2. Operational Period:",
                  "3. Name:", "4. ICS Position:", "5. Home Agency (and Unit):", "Harbor County EMS",
                  "6. Resources Assigned:", "12 ALS ambulances", "7. Activity Log:", "Date/Time:", "Notable Activities:",
                  form.activities[0].when, form.activities[0].text[:40], "8. Prepared by:", "Signature:", "2026-03-14 21:00"):
        assert squash(field) in text, field
    ws = openpyxl.load_workbook(io.BytesIO(render_xlsx([("Harbor County EMS", form)])))["Harbor County EMS"]
    cells = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value for r in range(1, ws.max_row + 1)}
    assert cells["1. Incident Name"] == "Harbor Sound MCI TTX"
    assert cells["5. Home Agency (and Unit)"] == "Harbor County EMS"
    assert cells[form.activities[0].when] == form.activities[0].text


def test_ics_205a_lists_channels_links_and_their_state(simulated) -> None:  # type: ignore[no-untyped-def]
    scenario, journal = simulated
    form = ics205a(scenario, journal, incident_name="Harbor Sound MCI TTX", day=date(2026, 3, 14), prepared_at=MADE)
    agencies = {a.name for a in scenario.agencies}
    assert {r.agency for r in form.rows} == agencies
    assert all(r.channel in {"radio", "phone", "liaison", "data sharing"} for r in form.rows)
    assert any("down 2026-03-14 T+" in r.state for r in form.rows)
    text = squash(pdf_text(render_pdf([form])))
    assert squash("COMMUNICATIONS LIST (ICS 205A-style)") in text and squash(form.rows[0].linked[:30]) in text


def test_an_imported_incident_gets_real_clock_times_and_the_cli_writes_both_files(tmp_path: Path) -> None:
    scenario = load_scenario(WAREHOUSE)
    clock = RealClock.parse(START, ZONE)
    log = parse_incident_log(scenario, {"workbook": ("incident.xlsx", incident_workbook())}, clock)
    db = f"sqlite:///{tmp_path / 'h.db'}"
    service = ExerciseService.open(db, hasher=CHEAP_HASHER)
    created = service.import_exercise(scenario, log, name="Warehouse 7 fire")
    journal = service.journal(service.operator(created.exercise.id))
    form = ics214(scenario, journal, "operator", incident_name="Warehouse 7 fire", day=date(2026, 3, 14), clock=clock)
    lines = [(a.when, a.text) for a in form.activities]
    assert ("2026-03-14 18:48", "Radio link with Town Fire Department down: Repeater lost power") in lines
    assert ("2026-03-14 18:50", "Message M2 from Town Fire Department never arrived (lost on the radio link between Town Fire Department and Warehouse Operator): Confirm your head count") in lines
    assert form.period_from == "2026-03-14 18:30 (America/Chicago)"

    out = CliRunner().invoke(app, ["ics", "214", str(created.exercise.id), "--agency", "fire", "--pdf", str(tmp_path / "214.pdf"),
                                   "--xlsx", str(tmp_path / "214.xlsx"), "--start", START, "--timezone", ZONE, "--database", db])
    assert out.exit_code == 0, out.output
    assert squash("Sent message M4 to Town EOC") in squash(pdf_text((tmp_path / "214.pdf").read_bytes()))
    out = CliRunner().invoke(app, ["ics", "205a", str(created.exercise.id), "--pdf", str(tmp_path / "205a.pdf"), "--database", db])
    assert out.exit_code == 0, out.output
    out = CliRunner().invoke(app, ["ics", "214", str(created.exercise.id), "--agency", "polce", "--pdf", "x.pdf", "--database", db])
    assert out.exit_code == 1 and "no agency 'polce'" in out.output
    assert "Town Fire Department" in out.output and "fire," not in out.output  # the agencies offered, by name
    # A planner names the agency as the scenario does, in any case; the id still works.
    by_name = tmp_path / "by-name.xlsx"
    out = CliRunner().invoke(app, ["ics", "214", str(created.exercise.id), "--agency", "town fire department",
                                   "--agency", "operator", "--xlsx", str(by_name), "--database", db])
    assert out.exit_code == 0, out.output
    assert openpyxl.load_workbook(by_name).sheetnames == ["Town Fire Department", "Warehouse Operator"]
