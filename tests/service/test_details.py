"""An exercise's details (real start with its time zone, record kind, points of contact): set at
creation or import, edited by the controller only, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from exercises.access import AccessDenied, ExerciseInputError
from exercises.scenario.model import Scenario
from exercises.service.details import ContactPerson, ExerciseDetails
from exercises.service.exercise_service import ExerciseService
from tests.service.conftest import Opened

BERLIN = ZoneInfo("Europe/Berlin")


def test_created_with_a_clock_and_contacts(service: ExerciseService, warehouse: Scenario) -> None:
    start = datetime(2025, 3, 30, 1, 30, tzinfo=BERLIN)  # the night the clocks go forward
    director = ContactPerson("Exercise director", "Jana Richter", "Kreis EOC", "+49 30 5550 100")
    created = service.create_exercise(warehouse, real_start=start, timezone="Europe/Berlin", contacts=[director])
    details = service.exercise_details(service.operator(created.exercise.id))
    assert details.real_start == start and details.real_start.utcoffset() == start.utcoffset()
    assert details.timezone == "Europe/Berlin" and details.record_kind == "exercise"
    assert details.contacts == (director,)


def test_a_bad_time_zone_is_refused_and_nothing_is_created(service: ExerciseService, warehouse: Scenario) -> None:
    before = len(service.list_exercises())
    with pytest.raises(ExerciseInputError, match="not an IANA time zone"):
        service.create_exercise(warehouse, real_start=datetime(2025, 1, 1, tzinfo=BERLIN), timezone="Berlin")
    assert len(service.list_exercises()) == before


def test_only_the_controller_edits_the_details(opened: Opened) -> None:
    new = ExerciseDetails(
        real_start=datetime(2025, 6, 1, 8, 0, tzinfo=BERLIN), timezone="Europe/Berlin",
        contacts=(ContactPerson("Sponsor", "Landkreis <b>Nord</b>"),),
    )
    for caller in (opened.evaluator, opened.observer, *opened.players.values()):
        with pytest.raises(AccessDenied):
            opened.service.set_exercise_details(caller, new)
    saved = opened.service.set_exercise_details(opened.controller, new)
    assert saved == new
    assert opened.service.exercise_details(opened.evaluator) == new
    with pytest.raises(ExerciseInputError, match="role"):
        opened.service.set_exercise_details(opened.controller, ExerciseDetails(contacts=(ContactPerson("Boss", "X"),)))
    assert opened.service.exercise_details(opened.controller) == new
