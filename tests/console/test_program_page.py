"""The program page: a controller finalises the AAR/IP, an agency updates its own corrective
actions with a reason, and the change's history is shown back."""

from __future__ import annotations

import datetime as dt

from exercises.access import Role
from exercises.program.model import ActionStatus
from exercises.program.service import ProgramService
from tests.console.conftest import Exercise, button, console, table, toasts


def _ended(exercise: Exercise) -> None:
    svc, ctl = exercise.svc, exercise.controller
    svc.start(ctl)
    evaluator = exercise.caller(Role.EVALUATOR)
    for agency, text in (("fire", "No staging area named"), ("police", "Cordon set late")):
        svc.record_observation(evaluator, "Operational Coordination", agency=agency, areas_for_improvement=text)
    svc.end(ctl)


def test_a_controller_finalises_and_a_player_updates_their_own_action(exercise: Exercise) -> None:
    _ended(exercise)
    at = console(exercise.controller, "program.py")
    button(at, "Finalise the AAR/IP").click().run()
    assert any("AAR/IP finalised" in t for t in toasts(at)), toasts(at)
    shown = table(at, "Corrective action", "Agency", "Status")
    assert {"Town Fire Department", "Town Police"} <= set(shown["Agency"])
    assert set(shown["Status"]) == {"open"}

    player = console(exercise.caller(Role.PLAYER, "fire", name="Chief Ruiz"), "program.py")
    mine = table(player, "Corrective action", "Agency")
    assert set(mine["Agency"]) == {"Town Fire Department"}
    assert "validated" not in player.selectbox(key="ca_status").options
    choice = player.selectbox(key="ca_action")
    choice.set_value(choice.options[0]).run()
    player.selectbox(key="ca_status").set_value(ActionStatus.IN_PROGRESS.value)
    player.date_input(key="ca_due").set_value(dt.date(2027, 5, 1))
    player.text_input(key="ca_why").input("Staging plan drafted")
    button(player, "Save the change").click().run()
    assert any("Corrective action updated" in t for t in toasts(player)), toasts(player)
    action = next(a for a in ProgramService(exercise.svc.db).actions(exercise.id) if a.agency == "fire")
    assert (action.status, action.completion_date) == (ActionStatus.IN_PROGRESS, dt.date(2027, 5, 1))
    changes = table(player, "When (UTC)", "Who", "Why")
    assert list(changes["Why"])[-1] == "Staging plan drafted" and "Chief Ruiz" in list(changes["Who"])[-1]


def test_an_observer_reads_and_changes_nothing(exercise: Exercise) -> None:
    _ended(exercise)
    at = console(exercise.controller, "program.py")
    button(at, "Finalise the AAR/IP").click().run()
    observer = console(exercise.caller(Role.OBSERVER), "program.py")
    assert len(table(observer, "Corrective action", "Status")) >= 2
    assert not [b for b in observer.button if b.label in {"Save the change", "Finalise the AAR/IP"}]
