"""Corrective actions: a finalised AAR/IP's improvement plan becomes tracked actions, changed only
by who may change them, each change kept with who, when and why in a history that verifies."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from aar.program import action_rows, exercise_report, finalise, stored_or_scored
from exercises.access import AccessDenied, ExerciseInputError
from exercises.program.model import ActionStatus
from exercises.program.service import ProgramService
from exercises.scenario.model import Scenario
from exercises.service.exercise_service import ExerciseService
from hotwash.cli import app
from tests.program.conftest import played
from tests.service.conftest import Opened, WallClock


def _finalised(service: ExerciseService, programs: ProgramService, scenario: Scenario, wall: WallClock) -> Opened:
    opened = played(service, scenario, wall)
    finalise(service, programs, opened.controller)
    return opened


def _key(programs: ProgramService, exercise: int, agency: str) -> str:
    return next(a.key for a in programs.actions(exercise) if a.agency == agency)


def test_finalising_turns_each_improvement_plan_row_into_an_open_action(
    service: ExerciseService, programs: ProgramService, two_players: Scenario, wall: WallClock,
) -> None:
    opened = played(service, two_players, wall)
    plan = exercise_report(service, opened.controller).improvement_plan
    made = finalise(service, programs, opened.controller)
    assert [a.key for a in made] == [row.key for row in plan]
    for action, row in zip(made, plan, strict=True):  # read from the model, never reworded
        assert (action.capability, action.issue, action.action, action.agency_name) == (
            row.capability, row.issue, row.corrective_action, row.responsible_agency,
        )
        assert action.status is ActionStatus.OPEN
    assert {a.agency for a in made} == {"fire", "operator"}
    with pytest.raises(ExerciseInputError, match="already finalised"):
        finalise(service, programs, opened.controller)


def test_only_a_controller_finalises_and_only_after_the_end(
    service: ExerciseService, programs: ProgramService, two_players: Scenario, wall: WallClock,
) -> None:
    opened = played(service, two_players, wall)
    with pytest.raises(AccessDenied):
        programs.finalise(opened.evaluator, action_rows(exercise_report(service, opened.controller)))
    running = Opened(service, service.create_exercise(two_players, seed=3))
    service.start(running.controller, speed=1)
    with pytest.raises(ExerciseInputError, match="after the end of play"):
        finalise(service, programs, running.controller)
    assert not programs.finalised(opened.id) and not programs.finalised(running.id)


def test_an_agency_changes_its_own_actions_only(
    service: ExerciseService, programs: ProgramService, two_players: Scenario, wall: WallClock,
) -> None:
    opened = _finalised(service, programs, two_players, wall)
    fire, operator = _key(programs, opened.id, "fire"), _key(programs, opened.id, "operator")
    wall.advance(86_400)
    done = programs.update(
        opened.player("fire"), opened.id, fire, {"status": "in progress", "completion_date": "2026-05-01"},
        "radio procedure drafted",
    )
    assert done.status is ActionStatus.IN_PROGRESS and str(done.completion_date) == "2026-05-01"
    before = len(programs.history(opened.id))
    with pytest.raises(AccessDenied, match="own agency"):
        programs.update(opened.player("fire"), opened.id, operator, {"status": "completed"}, "not ours")
    with pytest.raises(AccessDenied):
        programs.update(opened.observer, opened.id, fire, {"notes": "looks fine"}, "visitor")
    with pytest.raises(AccessDenied, match="controller or an evaluator"):
        programs.update(opened.player("fire"), opened.id, fire, {"status": "validated"}, "we say so")
    with pytest.raises(ExerciseInputError, match="why is required"):
        programs.update(opened.controller, opened.id, fire, {"status": "completed"}, "  ")
    with pytest.raises(ExerciseInputError, match="not a date"):
        programs.update(opened.controller, opened.id, fire, {"completion_date": "next May"}, "moved")
    with pytest.raises(ExerciseInputError, match="cannot be changed"):
        programs.update(opened.controller, opened.id, fire, {"agency": "operator"}, "reassign")
    assert len(programs.history(opened.id)) == before  # nothing written by a refused change
    programs.update(opened.evaluator, opened.id, operator, {"status": "not validated"}, "re-tested in May")
    last = programs.history(opened.id, operator)[-1]
    assert (last.actor, last.why, last.wall_time) == (opened.evaluator.actor, "re-tested in May", wall.now)


def test_the_history_verifies_and_an_edit_is_detected(
    service: ExerciseService, programs: ProgramService, two_players: Scenario, wall: WallClock, db_url: str,
) -> None:
    opened = _finalised(service, programs, two_players, wall)
    fire = _key(programs, opened.id, "fire")
    programs.update(opened.controller, opened.id, fire, {"point_of_contact": "Chief Ruiz"}, "named at the meeting")
    check = programs.verify_history(opened.id)
    assert check is not None and check.ok and check.changes == len(programs.history(opened.id))
    code, out = _cli(db_url, "verify", str(opened.id))
    assert code == 0 and "history intact" in out, out
    with service.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE corrective_action_change SET why = 'never happened' WHERE exercise_id = :e AND seq = 1"),
            {"e": opened.id},
        )
    broken = programs.verify_history(opened.id)
    assert broken is not None and not broken.ok and "change 1 was changed" in str(broken)
    code, out = _cli(db_url, "verify", str(opened.id))
    assert code == 1 and "change 1 was changed" in out, out


def test_a_removed_last_change_is_detected(
    service: ExerciseService, programs: ProgramService, two_players: Scenario, wall: WallClock,
) -> None:
    opened = _finalised(service, programs, two_players, wall)
    fire = _key(programs, opened.id, "fire")
    programs.update(opened.controller, opened.id, fire, {"status": "completed"}, "done")
    last = len(programs.history(opened.id))
    with service.db.engine.begin() as conn:
        conn.execute(
            text("DELETE FROM corrective_action_change WHERE exercise_id = :e AND seq = :s"),
            {"e": opened.id, "s": last},
        )
    broken = programs.verify_history(opened.id)
    assert broken is not None and f"improvement record at change {last}" in str(broken)


def test_the_scored_summary_is_stored_once_and_read_back(
    service: ExerciseService, programs: ProgramService, two_players: Scenario, wall: WallClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened = _finalised(service, programs, two_players, wall)
    kept = programs.stored_summary(opened.id)
    assert kept is not None
    summary = kept[2]
    missed = [f for f in summary["findings"] if f["protocol"] == "NOT-01"]
    assert missed and missed[0]["status"] == "missed" and summary["agencies"]["fire"]["critical_scored"] >= 1

    def no_rescoring(*_: object) -> None:
        raise AssertionError("a stored summary was scored again")

    with monkeypatch.context() as patched:
        patched.setattr("aar.program.summary", no_rescoring)
        assert stored_or_scored(service, programs, opened.id) == summary
    late = service.record_observation(opened.evaluator, "Operational Communications", rating="U", agency="fire")
    rescored = stored_or_scored(service, programs, opened.id)  # the journal moved on: scored again
    assert rescored["capabilities"]["Operational Communications"]["rating"] == "U"
    assert programs.stored_summary(opened.id)[0] == late.seq  # type: ignore[index]


def _cli(db_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "--database", db_url], env={"COLUMNS": "200"})
    return result.exit_code, result.output
