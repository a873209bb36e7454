"""Upgrades: each journal records the engine behaviour that started the exercise, and a server whose
engine behaves otherwise refuses to continue it at once, in words, while its record stays readable."""

from __future__ import annotations

import pytest

import sim_engine.live
from exercises.record.entries import ClockStarted
from exercises.service import control
from exercises.service.exercise_service import ExerciseCannotContinue, ExerciseService
from tests.service.conftest import CHEAP_HASHER, Opened, WallClock


def _message(started: int, running: int) -> str:
    return (
        f"this exercise was started on simulation engine behaviour {started}, and this server runs behaviour "
        f"{running}, which would simulate the rest of it differently: nothing more can be recorded here. Finish "
        "the exercise on a server of the version that started it, or start a new exercise from the scenario "
        "(see 'Upgrading between exercises' in the deployment guide); its timeline, record and report can "
        "still be read here."
    )


def _played_a_while(opened: Opened, wall: WallClock) -> None:
    svc = opened.service
    svc.start(opened.controller, speed=10)
    wall.advance(60)
    svc.log_action(opened.player("fire"), "establish_command", text="IC at the gate")
    wall.advance(60)
    svc.tick(opened.controller)


def test_the_first_clock_entry_records_the_engine_behaviour(opened: Opened, wall: WallClock) -> None:
    _played_a_while(opened, wall)
    first = opened.service.journal(opened.controller)[0].payload
    assert isinstance(first, ClockStarted) and first.engine_behaviour == sim_engine.live.ENGINE_BEHAVIOUR


def test_a_newer_engine_refuses_to_continue_an_older_exercise_at_once(
    opened: Opened, wall: WallClock, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _played_a_while(opened, wall)
    before = opened.count()
    monkeypatch.setattr(sim_engine.live, "ENGINE_BEHAVIOUR", sim_engine.live.ENGINE_BEHAVIOUR + 1)
    upgraded = ExerciseService.open(db_url, hasher=CHEAP_HASHER, wall_clock=wall)  # a new process
    controller = opened.controller
    wall.advance(60)
    with pytest.raises(ExerciseCannotContinue) as caught:
        upgraded.tick(controller)
    running = sim_engine.live.ENGINE_BEHAVIOUR
    assert str(caught.value) == _message(running - 1, running)
    with pytest.raises(ExerciseCannotContinue):
        upgraded.log_action(opened.player("fire"), "notify_eoc", text="EOC told")
    assert len(upgraded.journal(controller)) == before  # nothing written; the record still reads
    assert upgraded.timeline(controller)


def test_an_exercise_from_before_versions_were_recorded_is_behaviour_one(
    opened: Opened, wall: WallClock, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A journal written before this change has no version in its first clock entry: it is behaviour 1."""
    monkeypatch.setattr(control, "engine_behaviour", lambda: None)
    _played_a_while(opened, wall)
    assert "engine_behaviour" not in opened.service.journal(opened.controller)[0].payload.model_dump()
    monkeypatch.setattr(sim_engine.live, "ENGINE_BEHAVIOUR", 2)
    upgraded = ExerciseService.open(db_url, hasher=CHEAP_HASHER, wall_clock=wall)
    with pytest.raises(ExerciseCannotContinue) as caught:
        upgraded.tick(opened.controller)
    assert str(caught.value) == _message(1, 2)
