"""An exercise's details (real start, time zone, points of contact, record kind, the simulated
baseline kept with it) are journal entries: a change is a new entry, the report prints what the
journal holds, and what a database writer puts in the exercise row instead is not printed as fact.
A stored contact with an unexpected key never stops the report."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, update
from typer.testing import CliRunner

from exercises.record.entries import BaselineStored, DetailsSet
from exercises.scenario.model import Scenario
from exercises.service.details import ContactPerson, ExerciseDetails
from exercises.service.exercise_service import ExerciseService
from exercises.storage.tables import EXERCISE_TABLE
from hotwash.cli import app
from tests.service.conftest import CHEAP_HASHER, Opened, WallClock

runner = CliRunner()
DIRECTOR = ContactPerson("Exercise director", "Dana Reyes", "County OEM", "555-0100")
START = datetime(2026, 3, 14, 9, 30, tzinfo=ZoneInfo("America/Chicago"))


def report_json(db_url: str, exercise: int, tmp_path: Path) -> dict:
    out, found = tmp_path / "aar.pdf", tmp_path / "findings.json"
    result = runner.invoke(app, ["report", str(exercise), "--database", db_url, "--out", str(out), "--json", str(found)])
    assert result.exit_code == 0, result.output
    return json.loads(found.read_text())


def write_row(db_url: str, exercise: int, **values: object) -> None:
    """What a database writer does to the exercise row's details columns."""
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(update(EXERCISE_TABLE).where(EXERCISE_TABLE.c.id == exercise).values(**values))
    engine.dispose()


def test_details_are_entries_and_a_change_is_a_new_one(
    db_url: str, wall: WallClock, warehouse: Scenario, key_file: Path, tmp_path: Path
) -> None:
    service = ExerciseService.open(db_url, hasher=CHEAP_HASHER, wall_clock=wall)
    created = service.create_exercise(warehouse, seed=5, real_start=START, timezone="America/Chicago",
                                      contacts=[DIRECTOR])
    opened = Opened(service, created)
    first = service.journal(opened.controller)
    assert [type(e.payload) for e in first] == [DetailsSet]
    sponsor = ContactPerson("Sponsor", "Sam Ortiz", "State EMA")
    service.set_exercise_details(opened.controller, ExerciseDetails("exercise", START, "America/Chicago",
                                                                    (DIRECTOR, sponsor)))
    entries = service.journal(opened.controller)
    assert [type(e.payload) for e in entries] == [DetailsSet, DetailsSet]  # the first is kept, not updated
    assert service.exercise_details(opened.controller).contacts == (DIRECTOR, sponsor)
    # A writer changes the row's columns: the report prints what the journal holds.
    write_row(db_url, opened.id, record_kind="real_incident", real_start=0.0,
              contacts_json=json.dumps([{"role": "Sponsor", "name": "Mallory", "phone": "1"}]))
    made = report_json(db_url, opened.id, tmp_path)
    names = [c["name"] for c in made["points_of_contact"]]
    assert "Sam Ortiz" in names and "Mallory" not in names
    assert made["record_kind"] == "exercise"
    assert made["real_time"]["timezone"] == "America/Chicago"


def test_a_stored_contact_with_an_unexpected_key_does_not_stop_the_report(
    opened: Opened, db_url: str, tmp_path: Path
) -> None:
    """An exercise from before details were entries keeps them in its row; one contact there
    carries a key the contact has not got (it made the report fail with a TypeError)."""
    write_row(db_url, opened.id, contacts_json=json.dumps(
        [{"role": "Sponsor", "name": "Lee Park", "phone": "555-0199"}, {"role": "Boss", "name": "?"}]))
    made = report_json(db_url, opened.id, tmp_path)
    assert [c["name"] for c in made["points_of_contact"] if c["name"] == "Lee Park"] == ["Lee Park"]


def test_the_baseline_printed_is_the_one_recorded(opened: Opened, db_url: str) -> None:
    svc = opened.service
    kept = json.dumps({"runs": 3, "note": "recorded"})
    svc.save_baseline(opened.controller, kept)
    assert isinstance(svc.journal(opened.controller)[-1].payload, BaselineStored)
    assert svc.saved_baseline(opened.controller) == kept
    write_row(db_url, opened.id, baseline_json=json.dumps({"runs": 3, "note": "swapped"}))
    assert svc.saved_baseline(opened.controller) is None
