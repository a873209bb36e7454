"""A program with three conducted exercises and a fourth planned, for screenshots and benches: the
first exercise's AAR/IP finalised with owners and dates set, the second re-testing its actions
(two confirmed), the third scored. Not a test: ``build_series`` is called by them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from aar.program import exercise_report, finalise
from exercises.program.model import ExerciseType
from exercises.program.service import ProgramService
from exercises.service.exercise_service import ExerciseService
from tests.program.conftest import played
from tests.service.conftest import Opened, WallClock, scenario_with_two_player_agencies

CAPABILITIES = ["Operational Communications", "Operational Coordination"]


@dataclass
class Series:
    program: int
    exercises: list[Opened]


def build_series(service: ExerciseService, programs: ProgramService, wall: WallClock) -> Series:
    scenario = scenario_with_two_player_agencies()
    program = programs.create_program("Harbor County 2026-2028", 2026, 2028)
    programs.add_priority(program, "Operational Communications",
                          "Radio failures between the fire department and the EOC in the 2025 flood")
    programs.add_priority(program, "Operational Coordination", "One incident command with the facility operators")
    planned = [
        programs.plan_exercise(program, "Warehouse fire TTX", date(2026, 3, 4), ExerciseType.TABLETOP, CAPABILITIES),
        programs.plan_exercise(program, "Warehouse fire FE", date(2027, 3, 3), ExerciseType.FUNCTIONAL, CAPABILITIES,
                               template=("Warehouse fire", "2")),
        programs.plan_exercise(program, "Harbor full-scale", date(2028, 3, 1), ExerciseType.FULL_SCALE, CAPABILITIES),
        programs.plan_exercise(program, "Port recovery seminar", date(2028, 9, 1), ExerciseType.SEMINAR, ["Planning"]),
    ]
    first = played(service, scenario, wall, radio_note=True)
    programs.record_conducted(planned[0], first.id)
    for action in finalise(service, programs, first.controller):
        owner = "Chief A. Ruiz" if action.agency == "fire" else "J. Park, plant safety"
        programs.update(first.controller, first.id, action.key,
                        {"completion_date": "2026-09-30", "point_of_contact": owner}, "set at the after-action meeting")
    second = played(service, scenario, wall, notify=True)
    programs.record_conducted(planned[1], second.id)
    for retest in exercise_report(service, second.controller, programs).retests[:2]:
        programs.update(second.controller, first.id, retest.action_key, {"status": retest.suggested},
                        f"re-tested in Warehouse fire FE: {retest.new_outcome}")
    finalise(service, programs, second.controller)
    third = played(service, scenario, wall, notify=True, rating="S")
    programs.record_conducted(planned[2], third.id)
    return Series(program, [first, second, third])
