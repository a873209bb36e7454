"""The program page: a controller finalises the AAR/IP, an agency updates its own corrective
actions with a reason, and the change's history is shown back."""

from __future__ import annotations

import datetime as dt

from exercises.access import Role
from exercises.program.model import ActionStatus
from exercises.program.service import ProgramService
from exercises.service.exercise_service import ExerciseService
from tests.console.conftest import Exercise, button, console, table, toasts
from tests.program.series import build_series
from tests.service.conftest import CHEAP_HASHER, WallClock


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
    tracked = table(observer, "Corrective action", "Status")
    assert len(tracked) >= 2 and set(tracked["Exercise"]) == {"Mill fire drill"}, "named, not numbered"
    assert not [b for b in observer.button if b.label in {"Save the change", "Finalise the AAR/IP"}]


def test_a_controller_confirms_a_retest_and_reads_the_trends(database_url: str) -> None:
    wall = WallClock()
    svc = ExerciseService.open(database_url, hasher=CHEAP_HASHER, wall_clock=wall)
    series = build_series(svc, ProgramService(svc.db, wall_clock=wall), wall)
    first, second = series.exercises[0], series.exercises[1]
    at = console(second.controller, "program.py")
    trend = table(at, "Core capability", "Exercise", "Critical tasks met")
    communications = trend[trend["Core capability"] == "Operational Communications"]
    assert list(communications["Critical tasks met"]) == ["0 of 1 (0%)", "1 of 1 (100%)", "1 of 1 (100%)"]
    retests = table(at, "Suggested verdict", "Status of record")
    assert sorted(retests["Status of record"]) == ["not validated", "open", "validated"]
    assert button(at, "Confirm validated").disabled, "nothing confirmed before a re-test is chosen"
    at.selectbox(key="rt_choice").select_index(0).run()
    button(at, "Confirm validated").click().run()
    assert any("Confirmed validated" in t for t in toasts(at)), toasts(at)
    programs = ProgramService(svc.db)
    assert sorted(a.status.value for a in programs.actions(first.id)) == ["not validated", "validated", "validated"]
    last = programs.history(first.id)[-1]
    assert last.why.startswith("re-tested in ") and last.actor == second.controller.actor
    assert not [b for b in at.button if b.label.startswith("Confirm")], "nothing left to confirm"


def test_a_long_table_is_read_a_page_at_a_time_and_every_row_is_reached() -> None:
    from streamlit.testing.v1 import AppTest

    def page() -> None:
        import pandas as pd

        from console.widgets import page_of, text_table

        text_table(page_of(pd.DataFrame({"Corrective action": [f"Action {n}" for n in range(1, 61)]}),
                           "rows", "corrective actions"))

    at = AppTest.from_function(page).run()
    assert at.selectbox(key="rows").options == ["1 to 25 of 60", "26 to 50 of 60", "51 to 60 of 60"]
    assert list(table(at, "Corrective action")["Corrective action"]) == [f"Action {n}" for n in range(1, 26)]
    at.selectbox(key="rows").select_index(2).run()
    assert list(table(at, "Corrective action")["Corrective action"]) == [f"Action {n}" for n in range(51, 61)]


def test_a_long_trend_is_read_one_capability_at_a_time() -> None:
    from streamlit.testing.v1 import AppTest

    def page() -> None:
        import pandas as pd

        from console.widgets import rows_of, text_table

        text_table(rows_of(pd.DataFrame({"Core capability": ["Mass Care Services", "Operational Communications"] * 20,
                                         "Exercise": [f"Exercise {n // 2 + 1}" for n in range(40)]}),
                           "Core capability", "capability"))

    at = AppTest.from_function(page).run()
    choice = at.selectbox(key="capability")
    assert choice.options == ["Mass Care Services", "Operational Communications"]
    assert list(table(at, "Exercise")["Exercise"]) == [f"Exercise {n}" for n in range(1, 21)]
    choice.select_index(1).run()
    shown = table(at, "Core capability", "Exercise")
    assert set(shown["Core capability"]) == {"Operational Communications"} and len(shown) == 20
