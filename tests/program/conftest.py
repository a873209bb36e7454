"""Fixtures for the program suite: the exercise service's (SQLite and PostgreSQL), and an exercise
played to its end with shortfalls for two agencies, so its improvement plan has rows for each."""

from __future__ import annotations

import pytest

from exercises.program.service import ProgramService
from exercises.scenario.model import Scenario
from exercises.service.exercise_service import ExerciseService
from tests.service.conftest import Opened, WallClock, db_url, pg_server, service, two_players, wall  # noqa: F401  (fixtures)


def played(
    svc: ExerciseService, scenario: Scenario, clock: WallClock, *, notify: bool = False, rating: str = "M",
    radio_note: bool = False,
) -> Opened:
    """An exercise run to its end: the fire department never notifies the EOC (unless ``notify``),
    and an evaluator rates the facility operator's coordination (with an area for improvement), and
    with ``radio_note`` also writes one about the fire department's communications."""
    opened = Opened(svc, svc.create_exercise(scenario, seed=11))
    svc.start(opened.controller, speed=10)
    clock.advance(30)
    svc.log_action(opened.player("fire"), "establish_command", text="IC at the gate")
    if notify:
        svc.log_action(opened.player("fire"), "notify_eoc", text="EOC told")
    svc.record_observation(
        opened.evaluator, "Operational Coordination", agency="operator", rating=rating,
        areas_for_improvement="The operator's head count reached command only by runner.", element="planning",
    )
    if radio_note:
        svc.record_observation(
            opened.evaluator, "Operational Communications", agency="fire",
            areas_for_improvement="Radio check-ins with the EOC were not on a schedule.", element="training",
        )
    clock.advance(3600)
    svc.end(opened.controller)
    return opened


@pytest.fixture
def programs(service: ExerciseService, wall: WallClock) -> ProgramService:  # noqa: F811
    return ProgramService(service.db, wall_clock=wall)
