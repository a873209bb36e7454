"""Senders and receivers outside the agency list (issue 21, item 5): the public's calls, a unit or
person within an agency, an office not played. Declared in the scenario (checked like the rest, with
file, line and field), named in an incident log's messages, and reported by name."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from aar.document import INDEX_TITLE
from aar.model import RecordIntegrity
from aar.render.pdf import render_pdf
from aar.render.word import render_docx
from aar.report import build_report
from exercises.documents.incident_log import RealClock, parse_incident_log
from exercises.record.entries import MessageDelivered, MessageLost, MessageSent
from exercises.scenario.loading import ScenarioError, load_scenario
from exercises.scenario.model import PartyKind, Scenario
from exercises.service.exercise_service import ExerciseService
from tests.aar.builders import pdf_text, squash
from tests.documents.helpers import EXAMPLE, workbook_bytes
from tests.service.conftest import CHEAP_HASHER

PARTIES = """parties:
  - {id: public, name: Members of the public, kind: public}
  - {id: fire_chief, name: Fire chief, kind: person, within: fire}
  - {id: district_office, name: District office, kind: office}
"""


def scenario_with(tmp: Path, parties: str) -> Path:
    folder = tmp / "example"
    shutil.copytree(EXAMPLE, folder)
    path = folder / "scenarios" / "warehouse_fire.yaml"
    text = path.read_text()
    assert "\nactions:\n" in text
    path.write_text(text.replace("\nactions:\n", "\n" + parties + "actions:\n", 1))
    return path


@pytest.fixture()
def scenario(tmp_path: Path) -> Scenario:
    return load_scenario(scenario_with(tmp_path, PARTIES))


def test_parties_are_declared_with_names_and_agencies(scenario: Scenario) -> None:
    assert [(p.id, p.kind) for p in scenario.parties] == [
        ("public", PartyKind.PUBLIC), ("fire_chief", PartyKind.PERSON), ("district_office", PartyKind.OFFICE)]
    assert scenario.party_names["fire_chief"] == "Fire chief (Town Fire Department)"


def test_a_party_in_error_is_named_by_file_line_and_field(tmp_path: Path) -> None:
    broken = """parties:
  - {id: fire, name: Fire again, kind: office}
  - {id: chief, name: Chief, kind: person}
  - {id: crew, name: Crew 2, kind: unit, within: fier}
"""
    path = scenario_with(tmp_path, broken)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    lines = path.read_text().splitlines()
    start = lines.index("parties:") + 1
    problems = {(p.line, p.field, p.message.split(":")[0]) for p in caught.value.problems}
    assert (start + 1, "parties[0].id", "'fire' is already an agency's id") in problems
    assert (start + 2, "parties[1]", "a person belongs to an agency") in problems
    assert any(p.line == start + 3 and p.field == "parties[2].within" and "unknown agency 'fier'" in p.message
               for p in caught.value.problems)


def log_with_parties() -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    messages = wb.create_sheet("Messages")
    messages.append(["Time", "Message #", "From", "To", "Channel", "Text", "Delivered"])
    messages.append(["18:33", "C1", "Members of the public", "fire", None, "Smoke from warehouse 7", "yes"])
    messages.append(["18:40", "C2", "fire", "Fire chief", None, "Working fire, 40 staff inside", "yes"])
    messages.append(["18:52", "C3", "fire_chief", "District office", None, "Expect road closures", "no"])
    return workbook_bytes(wb)


def test_messages_to_and_from_parties_are_imported_and_reported_by_name(scenario: Scenario, tmp_path: Path) -> None:
    log = parse_incident_log(scenario, {"workbook": ("incident.xlsx", log_with_parties())},
                             RealClock.parse("2026-03-14 18:30", "America/Chicago"))
    service = ExerciseService.open(f"sqlite:///{tmp_path / 'h.db'}", hasher=CHEAP_HASHER)
    created = service.import_exercise(scenario, log, name="Warehouse 7 fire", real_start=datetime(2026, 3, 14, 18, 30),
                                      timezone="America/Chicago")
    journal = service.journal(service.operator(created.exercise.id))
    sent = [(e.agency, e.payload.to) for e in journal if isinstance(e.payload, MessageSent)]
    assert sent == [("public", "fire"), ("fire", "fire_chief"), ("fire_chief", "district_office")]
    assert [e.payload.to for e in journal if isinstance(e.payload, MessageDelivered)] == ["fire", "fire_chief"]
    (lost,) = [e.payload for e in journal if isinstance(e.payload, MessageLost)]
    assert lost.lost_on is None  # no link of the network failed: a party has none
    report = build_report(
        scenario, journal, exercise_name="Warehouse 7 fire", exercise_dates=(date(2026, 3, 14),) * 2,
        integrity=RecordIntegrity(entries=len(journal), intact=True, head_hash=None), record_kind="real_incident",
    )
    assert [(m.message_id, m.to_name) for m in report.coordination.lost_messages] == [("C3", "District office")]
    assert [(m.sender_name, m.to_name, m.outcome) for m in report.party_messages] == [
        ("Members of the public", "Town Fire Department", "delivered"),
        ("Town Fire Department", "Fire chief (Town Fire Department)", "delivered"),
        ("Fire chief (Town Fire Department)", "District office", "not delivered"),
    ]
    text = squash(pdf_text(render_pdf(report)))
    body = text[: text.rindex(squash(INDEX_TITLE))]  # the index of identifiers is where ids belong
    assert squash("Messages with others outside the agency list") in body
    assert squash("District office") in body
    assert "district_office" not in body and "fire_chief" not in body
    assert render_docx(report)
