"""The feedback form and the hot wash in the console (AppTest): a player fills the HSEEP form after
play; the facilitator records a hot-wash point; both are journal entries the report reads."""

from __future__ import annotations

from exercises.access import Role
from exercises.record.entries import FeedbackSubmitted, HotWashPoint
from tests.console.conftest import Exercise, button, console, table, toasts


def test_a_player_fills_the_feedback_form_once_play_has_ended(exercise: Exercise) -> None:
    ctl = exercise.controller
    exercise.svc.start(ctl)
    player = exercise.caller(Role.PLAYER, "fire", name="Dana")
    at = console(player, "feedback.py")
    assert any("opens when the exercise ends" in str(i.value) for i in at.info)
    exercise.svc.end(ctl)
    at = console(player, "feedback.py")
    at.radio(key="fb_structured").set_value(4)
    at.radio(key="fb_realistic").set_value(2)
    at.text_area(key="fb_changes").input("A <b>longer</b> MSEL for EMS")
    button(at, "Submit feedback form").click().run()
    assert "Feedback form recorded: thank you" in toasts(at)
    forms = [e for e in exercise.svc.journal(ctl) if isinstance(e.payload, FeedbackSubmitted)]
    assert len(forms) == 1 and forms[0].agency == "fire"
    assert forms[0].payload.ratings == {"structured": 4, "realistic": 2}
    assert forms[0].payload.answers == {"changes": "A <b>longer</b> MSEL for EMS"}
    assert at.radio(key="fb_structured").value is None, "the form is cleared for the next participant"


def test_the_facilitator_records_the_hot_wash_on_the_evaluation_page(exercise: Exercise) -> None:
    ctl = exercise.controller
    exercise.svc.start(ctl)
    exercise.svc.end(ctl)
    at = console(ctl, "evaluator.py")
    at.selectbox(key="hw_agency").set_value("fire")
    at.text_input(key="hw_said_by").input("Chief Diaz, IC")
    at.radio(key="hw_point").set_value("area_for_improvement")
    at.text_area(key="hw_text").input("Radio traffic stepped on itself")
    button(at, "Record hot-wash point").click().run()
    assert "Hot wash recorded: Town Fire Department, area for improvement" in toasts(at)
    points = [e for e in exercise.svc.journal(ctl) if isinstance(e.payload, HotWashPoint)]
    assert [(e.agency, e.payload.said_by, e.payload.text) for e in points] == [
        ("fire", "Chief Diaz, IC", "Radio traffic stepped on itself")]
    listed = table(at, "Agency", "Point", "What was said", "Said by")
    assert listed.iloc[0]["Said by"] == "Chief Diaz, IC"
