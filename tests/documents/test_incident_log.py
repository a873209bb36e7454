"""A real incident's log, whole: messages, link failures, requests and real clock times come in, and
the report's coordination section names the lost messages and the agency that never answered."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from aar.model import RecordIntegrity, Status
from aar.render.pdf import render_pdf
from aar.report import build_report
from exercises.documents.incident_log import RealClock, parse_incident_log
from exercises.record.entries import LinkDown, MessageLost
from exercises.scenario.loading import ScenarioError, load_scenario
from exercises.service.exercise_service import ExerciseService
from hotwash.cli import app
from tests.aar.builders import pdf_text, squash
from tests.documents.helpers import EXAMPLE, workbook_bytes
from tests.service.conftest import CHEAP_HASHER

WAREHOUSE = EXAMPLE / "scenarios" / "warehouse_fire.yaml"
START = "2026-03-14 18:30"
ZONE = "America/Chicago"


def incident_workbook() -> bytes:
    """The log as a dispatch supervisor would keep it: clock times typed every way Excel allows."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    actions = wb.create_sheet("Actions")
    actions.append(["Time", "Agency", "Action", "Text", "Logged by"])
    actions.append([time(18, 34), "Town Fire Department", "establish_command", "IC at the gate", "Capt. Ruiz"])
    actions.append(["19:10", "eoc", "Activate the EOC", "", "EOC desk"])
    messages = wb.create_sheet("Messages")
    messages.append(["Time", "Message #", "From", "To", "Channel", "Text", "Delivered", "Action"])
    messages.append(["18:41", "M1", "fire", "eoc", "phone", "Working fire at warehouse 7, 40 staff inside", "yes", "notify_eoc"])
    messages.append(["18:50", "M2", "fire", "operator", "radio", "Confirm your head count", "no", None])
    messages.append([datetime(2026, 3, 14, 18, 55), "M3", "operator", "fire", "radio", "Two staff missing, last seen in the cold store", False, None])
    messages.append(["19:00:30", "M4", "fire", "eoc", "phone", "Need shelter for 40 staff, please confirm", "yes", None])
    links = wb.create_sheet("Links")
    links.append(["Time", "Link", "State", "Reason"])
    links.append(["18:48", "fire - operator", "down", "Repeater lost power"])
    links.append(["19:20", "Town Fire Department - Warehouse Operator", "up", None])
    requests = wb.create_sheet("Requests")
    requests.append(["Time", "Request #", "From", "To", "Unit type", "Count", "Text"])
    requests.append(["18:45", "R1", "fire", "operator", "floor warden", 2, "Sweep the cold store"])
    requests.append(["19:05", "R2", "fire", "eoc", "duty_officer", 1, "Liaison to the command post"])
    answers = wb.create_sheet("Answers")
    answers.append(["Time", "Request #", "Assigned"])
    answers.append(["18:47", "R1", 2])
    return workbook_bytes(wb)


@pytest.fixture(scope="module")
def scenario():  # type: ignore[no-untyped-def]
    return load_scenario(WAREHOUSE)


def test_clock_times_become_elapsed_times_in_the_incident_zone_across_daylight_saving() -> None:
    clock = RealClock.parse("2026-03-08 01:30", ZONE)  # clocks jump from 02:00 to 03:00 that night
    assert clock.clock(time(3, 10)) == 40 * 60
    late = RealClock.parse("2026-03-14 23:50", ZONE)
    assert late.clock(time(0, 20)) == 30 * 60  # past midnight: the next day
    with pytest.raises(ValueError, match="not an IANA time zone"):
        RealClock.parse(START, "Central Time")


def test_an_imported_incident_names_lost_messages_and_the_agency_that_never_answered(scenario, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clock = RealClock.parse(START, ZONE)
    log = parse_incident_log(scenario, {"workbook": ("incident.xlsx", incident_workbook())}, clock)
    assert log.counts == {"actions": 2, "messages": 4, "links": 2, "requests": 2, "answers": 1}
    service = ExerciseService.open(f"sqlite:///{tmp_path / 'h.db'}", hasher=CHEAP_HASHER)
    created = service.import_exercise(scenario, log, name="Warehouse 7 fire, 14 March", real_start=datetime(2026, 3, 14, 18, 30), timezone=ZONE)
    operator = service.operator(created.exercise.id)
    journal = service.journal(operator)
    assert service.verify(operator).ok
    # the log's failure at 18:48, and the scenario's own inject WF-03 (the repeater) at 0:30
    assert [e.at for e in journal if isinstance(e.payload, LinkDown)] == [18 * 60, 30 * 60]
    assert {e.payload.message_id for e in journal if isinstance(e.payload, MessageLost)} == {"M2", "M3"}

    report = build_report(
        scenario, journal, exercise_name="Warehouse 7 fire", exercise_dates=(date(2026, 3, 14),) * 2,
        integrity=RecordIntegrity(entries=len(journal), intact=True, head_hash=None),
    )
    c = report.coordination
    assert [(m.message_id, m.to_name) for m in c.lost_messages] == [("M2", "Warehouse Operator"), ("M3", "Town Fire Department")]
    # M1 performed a notification (its Action is filled) and still expected an answer it never got
    assert [(m.message_id, m.to) for m in c.unanswered_messages] == [("M1", "eoc"), ("M4", "eoc")]
    why = {a.agency: a.explanation for a in c.agencies}
    assert "1 message to it never arrived: from Town Fire Department at 0:20 \u201cConfirm your head count\u201d" in why["operator"]
    assert "never answered 2 messages from Town Fire Department" in why["eoc"]
    assert "left 1 request unanswered" in why["eoc"].lower()
    links = {frozenset(link.between): link for link in c.links}
    assert links[frozenset(("fire", "operator"))].down_intervals == ((18 * 60, 50 * 60),)

    # A finding can rest on a message: the EOC was notified by message M1 (delivered).
    notified = next(f for f in report.findings if f.protocol_id == "NOT-01")
    assert notified.status is Status.MET and notified.done_at == 11 * 60
    assert any("by message M1 to Town EOC:" in ev.summary for ev in notified.evidence)  # names, not ids

    text = squash(pdf_text(render_pdf(report)))
    assert squash("never answered 2 messages from Town Fire Department") in text
    assert squash("from Warehouse Operator at 0:25") in text
    # every lost message drawn, with why: both on the radio link the Links sheet shows down
    assert squash("Messages that never arrived") in text
    assert text.count(squash("lost on the radio link between Town Fire Department and Warehouse Operator")) >= 2


def test_a_lost_notification_does_not_count(scenario) -> None:  # type: ignore[no-untyped-def]
    data = b"time,message #,from,to,channel,text,delivered,action\n0:05,M1,fire,eoc,phone,Working fire,no,notify_eoc\n"
    log = parse_incident_log(scenario, {"messages": ("messages.csv", data)})
    assert not any(e.kind.value == "action_logged" for e in log.entries)


def test_every_problem_in_the_log_is_named_with_its_cell(scenario) -> None:  # type: ignore[no-untyped-def]
    wb = openpyxl.load_workbook(__import__("io").BytesIO(incident_workbook()))
    wb["Messages"]["C3"] = "fier"
    wb["Messages"]["E3"] = "satellite"
    wb["Messages"]["G4"] = "maybe"
    wb["Messages"]["E5"] = "radio"
    wb["Links"]["B2"] = "fire - eoc - operator"
    wb["Answers"]["B2"] = "R9"
    wb["Actions"]["A2"] = "yesterday"
    with pytest.raises(ScenarioError) as caught:
        parse_incident_log(scenario, {"workbook": ("log.xlsx", workbook_bytes(wb))}, RealClock.parse(START, ZONE))
    message = str(caught.value)
    for want in (
        "log.xlsx: Messages!C3: from: agency 'fier' is not in the scenario (did you mean 'fire'?)",
        "log.xlsx: Messages!G4: delivered: 'maybe': write yes (it got through) or no (it was lost)",
        "log.xlsx: Messages!E5: channel: the scenario has no radio link between Town Fire Department and Town EOC",
        "log.xlsx: Links!B2: link: 'fire - eoc - operator' is not a link of the scenario",
        "log.xlsx: Answers!B2: request: no request 'R9' on the Requests sheet",
        "log.xlsx: Actions!A2: time: 'yesterday' is not a clock time",
    ):
        assert want in message, message


def test_cli_imports_csv_files_with_the_real_clock(tmp_path: Path) -> None:
    (tmp_path / "actions.csv").write_text("time,agency,action\n18:34,fire,establish_command\n")
    (tmp_path / "messages.csv").write_text("time,from,to,text,delivered\n18:41,fire,eoc,Working fire,no\n")
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    out = CliRunner().invoke(app, ["import", str(WAREHOUSE), str(tmp_path / "actions.csv"), "--messages",
                                   str(tmp_path / "messages.csv"), "--start", START, "--timezone", ZONE, "--database", db])
    assert out.exit_code == 0, out.output
    assert "1 actions, 1 messages imported" in out.output
    service = ExerciseService.open(db, hasher=CHEAP_HASHER)
    journal = service.journal(service.operator(1))
    assert [(e.kind.value, e.at) for e in journal if e.kind.value == "action_logged"] == [("action_logged", 240.0)]
    lost = [e for e in journal if isinstance(e.payload, MessageLost)]
    assert len(lost) == 1 and lost[0].at == 11 * 60


def test_service_reads_a_csv_action_log_as_clock_times_with_a_real_start(scenario, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from exercises.access import ExerciseInputError

    service = ExerciseService.open(f"sqlite:///{tmp_path / 's.db'}", hasher=CHEAP_HASHER)
    log = b"time,agency,action\n18:34,fire,establish_command\n"
    created = service.import_exercise(scenario, log, real_start=datetime(2026, 3, 14, 18, 30), timezone=ZONE)
    journal = service.journal(service.operator(created.exercise.id))
    assert [e.at for e in journal if e.kind.value == "action_logged"] == [240.0]
    with pytest.raises(ExerciseInputError, match="before the incident's start"):
        service.import_exercise(scenario, b"time,agency,action\n18:20,fire,establish_command\n",
                                real_start=datetime(2026, 3, 14, 18, 30), timezone=ZONE)
    with pytest.raises(ExerciseInputError, match="needs both"):
        service.import_exercise(scenario, log, real_start=datetime(2026, 3, 14, 18, 30))


def test_a_real_incidents_report_says_incident_and_its_time_axis_is_the_clock(scenario, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Issue 21, item 6: a real incident's report says 'incident', never 'exercise' (the POETE element
    'exercise' aside); the timeline's axis shows local clock times, as its caption says."""
    from zoneinfo import ZoneInfo

    from aar.model import RealTime
    from aar.render.charts import timeline_chart

    clock = RealClock.parse(START, ZONE)
    log = parse_incident_log(scenario, {"workbook": ("incident.xlsx", incident_workbook())}, clock)
    service = ExerciseService.open(f"sqlite:///{tmp_path / 'h.db'}", hasher=CHEAP_HASHER)
    created = service.import_exercise(scenario, log, name="Warehouse 7 fire, 14 March",
                                      real_start=datetime(2026, 3, 14, 18, 30), timezone=ZONE)
    journal = service.journal(service.operator(created.exercise.id))
    real = RealTime(start=datetime(2026, 3, 14, 18, 30, tzinfo=ZoneInfo(ZONE)), timezone=ZONE)
    report = build_report(
        scenario, journal, exercise_name="Warehouse 7 fire", exercise_dates=(date(2026, 3, 14),) * 2,
        integrity=RecordIntegrity(entries=len(journal), intact=True, head_hash=None),
        record_kind="real_incident", real_time=real,
    )
    text = squash(pdf_text(render_pdf(report))).lower()
    assert text.replace(squash("training or exercise"), "").count("exercise") == 0, text[text.find("exercise") - 80:][:160]
    assert squash("generated by hotwash from the incident record") in text
    assert squash("time axis: local clock time, america/chicago (hh:mm)") in text
    ticks = [s.text for s in timeline_chart(report, 500).contents if type(s).__name__ == "String" and ":" in s.text]
    assert "18:30" in ticks and "19:00" in ticks and "0:30" not in ticks
