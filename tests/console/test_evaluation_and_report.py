"""Evaluators' observations, the commander's summary and PDF, and the controller's Improvement Plan."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from pypdf import PdfReader

from console import session
from console.report import report_pdf
from console.summary import PLAN_COLUMNS, plan_edits
from exercises.access import AccessDenied, Role
from exercises.record.entries import ImprovementItemEdited, ObservationRecorded
from exercises.scenario.model import Rating
from tests.console.conftest import Exercise, button, console, table, toasts


def test_evaluator_records_a_rated_observation(exercise: Exercise) -> None:
    ctl = exercise.controller
    exercise.svc.start(ctl)
    at = console(exercise.caller(Role.EVALUATOR, name="R. Chen"))
    at.selectbox(key="obs_capability").set_value("Operational Coordination")
    at.selectbox(key="obs_agency").set_value("fire")
    at.selectbox(key="obs_objective").set_value("obj_command")
    at.text_input(key="obs_task").input("Establish command")
    at.radio(key="obs_rating").set_value(Rating.S)
    at.text_area(key="obs_strengths").input("Command announced on the first radio report")
    at.text_area(key="obs_afi").input("No <script>alert(1)</script> staging area named")
    button(at, "Record observation").click().run()
    assert "Observation recorded: Operational Coordination about Town Fire Department rated S" in toasts(at)
    recorded = [e for e in exercise.svc.journal(ctl) if isinstance(e.payload, ObservationRecorded)]
    assert len(recorded) == 1
    obs = recorded[0]
    assert (obs.agency, obs.payload.rating, obs.payload.objective) == ("fire", Rating.S, "obj_command")
    assert "R. Chen" in obs.actor
    # The page lists it back, literally.
    listed = table(at, "Capability", "Rating")
    assert listed.iloc[0]["Areas for improvement"] == "No <script>alert(1)</script> staging area named"
    assert at.radio(key="obs_rating").value is None, "the form is cleared for the next observation"


def test_a_player_cannot_record_observations_even_by_calling_the_service(exercise: Exercise) -> None:
    with pytest.raises(AccessDenied):
        exercise.svc.record_observation(exercise.caller(Role.PLAYER, "fire"), "Planning", rating="P")


def test_summary_shows_compliance_and_the_pdf_opens(exercise: Exercise) -> None:
    ctl = exercise.controller
    exercise.svc.start(ctl)
    exercise.svc.log_action(exercise.caller(Role.PLAYER, "fire"), "establish_command")
    observer = exercise.caller(Role.OBSERVER)
    at = console(observer)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Protocols met"] == "1 of 1"
    assert metrics["Record"] == "intact"
    assert [b.label for b in at.get("download_button")] == [
        "Download the AAR/IP (PDF)", "Download the AAR/IP (Word)",
        "Download ICS 214 + 205A (PDF)", "Download ICS 214 + 205A (.xlsx)",
    ]
    capabilities = table(at, "Capability", "Of record")
    assert "Operational Coordination" in set(capabilities["Capability"])

    pdf = report_pdf(exercise.svc, session.view_cache(), observer)
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Mill fire drill" in text
    assert "Improvement Plan" in text or "IMPROVEMENT PLAN" in text.upper()


def test_controller_edits_an_improvement_plan_row(exercise: Exercise) -> None:
    ctl = exercise.controller
    exercise.svc.start(ctl)
    exercise.svc.record_observation(exercise.caller(Role.EVALUATOR), "Operational Communications",
                                    agency="fire", rating="M", areas_for_improvement="Radio discipline")
    at = console(ctl, "summary.py")
    # The plan is read whole in a wrapping table (the editor's cells cut long text), then edited.
    shown = table(at, "Issue / area for improvement", "Corrective action")
    assert "Radio discipline" in list(shown["Issue / area for improvement"])
    assert any("Corrective action" in t.value.columns for t in at.table)
    plan = at.data_editor[0].value
    row = plan.index[plan["issue"] == "Radio discipline"][0]
    at.session_state["plan_editor"] = {
        "edited_rows": {int(row): {"corrective_action": "Radio drill each shift", "point_of_contact": "Capt. Ruiz"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.button(key="plan_save").click().run()
    key = plan.loc[row, "key"]
    assert any(t.startswith(f"Improvement plan row {key} updated") for t in toasts(at)), toasts(at)
    edits = [e.payload for e in exercise.svc.journal(ctl) if isinstance(e.payload, ImprovementItemEdited)]
    assert [(e.item_key, e.fields) for e in edits] == [
        (key, {"corrective_action": "Radio drill each shift", "point_of_contact": "Capt. Ruiz"})
    ]


def test_plan_edits_send_only_changed_fields_as_the_service_takes_them() -> None:
    before = pd.DataFrame([{
        "key": "protocol:IC-01", "capability": "Planning", "issue": "late", "corrective_action": "train",
        "element": "training", "responsible_agency": "Town Fire Department", "point_of_contact": "",
        "start_date": dt.date(2026, 1, 1), "completion_date": dt.date(2026, 3, 1),
    }], columns=["key", *PLAN_COLUMNS])
    after = before.copy()
    after.at[0, "responsible_agency"] = "Town Police"
    after.at[0, "completion_date"] = dt.date(2026, 4, 1)
    edits = plan_edits(before, after, {"Town Police": "police", "Town Fire Department": "fire"})
    assert edits == {"protocol:IC-01": {"responsible_agency": "police", "completion_date": "2026-04-01"}}
    assert plan_edits(before, before.copy(), {}) == {}


def test_controller_runs_the_baseline_and_the_report_has_it(
    exercise: Exercise, monkeypatch: pytest.MonkeyPatch
) -> None:
    from console.report import current_report, report_docx

    monkeypatch.setenv("HOTWASH_BASELINE_RUNS", "4")
    ctl = exercise.controller
    exercise.svc.start(ctl)
    at = console(ctl, "summary.py")
    assert at.button(key="sum_baseline").label == "Run the simulated baseline"
    at.button(key="sum_baseline").click().run(timeout=120)
    assert "Simulated baseline of 4 runs added to the report" in toasts(at)
    report = current_report(exercise.svc, session.view_cache(), ctl)
    assert report.baseline is not None and report.baseline.runs == 4
    import docx

    word = docx.Document(io.BytesIO(report_docx(exercise.svc, session.view_cache(), ctl)))
    assert "4 simulated runs" in "\n".join(p.text for p in word.paragraphs)
    # Observers read the report; only the controller runs the baseline.
    assert not console(exercise.caller(Role.OBSERVER)).get("button") or all(
        b.key != "sum_baseline" for b in console(exercise.caller(Role.OBSERVER)).button
    )


def test_controller_corrects_the_clock_and_contacts_and_the_report_follows(exercise: Exercise) -> None:
    from zoneinfo import ZoneInfo

    from console.report import current_report

    ctl = exercise.controller
    exercise.svc.start(ctl)
    at = console(ctl, "summary.py")
    at.date_input(key="sum_start_date").set_value(dt.date(2025, 7, 4))
    at.time_input(key="sum_start_time").set_value(dt.time(19, 0))
    at.text_input(key="sum_timezone").input("America/New_York")
    at.text_input(key="sum_poc_Evaluation lead").input("R. Chen")
    button(at, "Save").click().run()
    assert "Clock and points of contact saved" in toasts(at)
    details = exercise.svc.exercise_details(ctl)
    assert details.real_start == dt.datetime(2025, 7, 4, 19, 0, tzinfo=ZoneInfo("America/New_York"))
    report = current_report(exercise.svc, session.view_cache(), ctl)
    assert report.real_time is not None and report.real_time.timezone == "America/New_York"
    assert [(c.role, c.name) for c in report.points_of_contact][-1] == ("Evaluation lead", "R. Chen")
    # Observers read; only the controller sees the form.
    assert not [t for t in console(exercise.caller(Role.OBSERVER)).text_input if t.key == "sum_timezone"]


def test_the_evaluator_chooses_the_element_the_plan_files_it_under(exercise: Exercise) -> None:
    from console.report import current_report

    ctl = exercise.controller
    exercise.svc.start(ctl)
    at = console(exercise.caller(Role.EVALUATOR, name="R. Chen"))
    at.selectbox(key="obs_capability").set_value("Operational Communications")
    at.selectbox(key="obs_agency").set_value("fire")
    at.text_area(key="obs_afi").input("Radio traffic stepped on itself")
    at.selectbox(key="obs_element").set_value("equipment")
    button(at, "Record observation").click().run()
    assert "Observation recorded: Operational Communications about Town Fire Department" in toasts(at)
    row = next(i for i in current_report(exercise.svc, session.view_cache(), ctl).improvement_plan
               if i.issue == "Radio traffic stepped on itself")
    assert row.element is not None and row.element.value == "equipment"
    assert row.element_reason == "chosen by the evaluator" and row.responsible_agency == "Town Fire Department"
    with pytest.raises(Exception, match="element"):
        exercise.svc.record_observation(exercise.caller(Role.EVALUATOR), "Planning", areas_for_improvement="x",
                                        element="guesswork")
