"""Bad input: a clear ExerciseInputError, and nothing written."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from exercises.access import Caller, ExerciseInputError, Role
from exercises.record.entries import MAX_TEXT, ActionLogged
from exercises.scenario.model import Inject, Scenario
from exercises.service.exercise_service import ExerciseService
from tests.service.conftest import Opened

TOO_LONG = "x" * (MAX_TEXT + 1)

Call = Callable[[ExerciseService, Opened], object]

BAD: dict[str, tuple[Call, str]] = {
    "unknown inject held": (lambda s, x: s.hold_inject(x.controller, "WF-99"), "unknown inject 'WF-99'"),
    "unknown inject released": (lambda s, x: s.release_inject(x.controller, "WF-9"), "unknown inject 'WF-9'"),
    "unknown inject linked": (
        lambda s, x: s.log_action(x.player("fire"), "head_count", inject_id="WF-7"), "unknown inject 'WF-7'"
    ),
    "unknown agency acted for": (
        lambda s, x: s.log_action(x.controller, "head_count", agency="polic"), "unknown agency 'polic'"
    ),
    "unknown agency messaged": (
        lambda s, x: s.send_message(x.player("fire"), "eocc", "hello"), "unknown agency 'eocc' (did you mean 'eoc'?)"
    ),
    "unknown unit type": (
        lambda s, x: s.request_resource(x.player("fire"), "eoc", "helicopter", 1), "unknown unit type 'helicopter'"
    ),
    "message to itself": (lambda s, x: s.send_message(x.player("fire"), "fire", "me"), "another agency"),
    "action outside the vocabulary": (
        lambda s, x: s.log_action(x.player("fire"), "launch_rockets"), "'launch_rockets' is not in the scenario's vocabulary"
    ),
    "action close to the vocabulary": (
        lambda s, x: s.log_action(x.player("fire"), "notify_eco"), "did you mean 'notify_eoc'?"
    ),
    "oversize action text": (
        lambda s, x: s.log_action(x.player("fire"), "head_count", text=TOO_LONG),
        f"text is {MAX_TEXT + 1:,} characters; the limit is {MAX_TEXT:,}",
    ),
    "oversize message": (
        lambda s, x: s.send_message(x.player("fire"), "eoc", TOO_LONG), f"the limit is {MAX_TEXT:,}"
    ),
    "oversize observation": (
        lambda s, x: s.record_observation(x.evaluator, "Planning", strengths=TOO_LONG), f"the limit is {MAX_TEXT:,}"
    ),
    "unknown capability": (
        lambda s, x: s.record_observation(x.evaluator, "Planing"), "did you mean 'Planning'?"
    ),
    "unknown rating": (lambda s, x: s.record_observation(x.evaluator, "Planning", rating="Q"), "rating"),
    "unknown objective": (
        lambda s, x: s.record_observation(x.evaluator, "Planning", objective="obj_x"), "unknown objective 'obj_x'"
    ),
    "speed out of range": (lambda s, x: s.change_speed(x.controller, 500), "speed"),
    "start twice": (lambda s, x: s.start(x.controller), "has already started"),
    "resume while running": (lambda s, x: s.resume(x.controller), "is not paused"),
    "correct a missing entry": (lambda s, x: s.correct(x.controller, 999, "typo"), "there is no entry 999"),
    "correct without a reason": (lambda s, x: s.correct(x.controller, 1, "  "), "needs a reason"),
    "correct the clock": (
        lambda s, x: s.correct(x.controller, 1, "oops", replacement=ActionLogged(action="head_count")), "cannot be corrected"
    ),
    "unknown improvement field": (
        lambda s, x: s.edit_improvement_item(x.controller, "IP-1", {"colour": "red"}), "unknown improvement plan field"
    ),
    "bad improvement date": (
        lambda s, x: s.edit_improvement_item(x.controller, "IP-1", {"start_date": "next week"}), "must be a date"
    ),
    "added inject to an unknown agency": (
        lambda s, x: s.add_inject(
            x.controller,
            Inject.model_validate(
                {"id": "X-1", "time": 0, "from": "simcell", "to": ["coastguard"], "mode": "radio",
                 "synopsis": "s", "text": "t", "capability": "Planning"}
            ),
        ),
        "to: unknown agency 'coastguard'",
    ),
    "added inject reusing an MSEL id": (
        lambda s, x: s.add_inject(
            x.controller,
            Inject.model_validate(
                {"id": "WF-01", "time": 0, "from": "simcell", "to": ["fire"], "mode": "radio",
                 "synopsis": "s", "text": "t", "capability": "Planning"}
            ),
        ),
        "there is already an inject WF-01",
    ),
    "unknown export format": (lambda s, x: s.export(x.controller, "xlsx"), "unknown format 'xlsx'"),
    # What PostgreSQL cannot store is refused on both databases, the same way.
    "NUL in an action's text": (
        lambda s, x: s.log_action(x.player("fire"), "head_count", text="a\x00b"), "text: contains a NUL character"
    ),
    "NUL in a message": (
        lambda s, x: s.send_message(x.player("fire"), "eoc", "\x00"), "text: contains a NUL character"
    ),
    "unpaired surrogate in an observation": (
        lambda s, x: s.record_observation(x.evaluator, "Planning", strengths="ok \udc80"),
        "strengths: Input should be a valid string",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_a_clear_error_and_writes_nothing(case: str, opened: Opened) -> None:
    svc = opened.service
    svc.start(opened.controller)
    before = opened.count()
    call, message = BAD[case]
    with pytest.raises(ExerciseInputError) as caught:
        call(svc, opened)
    assert message in str(caught.value)
    assert opened.count() == before
    assert svc.verify(opened.controller).ok


def test_unknown_exercise(service: ExerciseService, warehouse: Scenario) -> None:
    service.create_exercise(warehouse, seed=1)
    ghost = Caller(9999, Role.CONTROLLER)
    for call in (service.start, service.timeline, service.tick, service.verify):
        with pytest.raises(ExerciseInputError, match="no exercise 9999"):
            call(ghost)
    with pytest.raises(ExerciseInputError, match="no exercise 9999"):
        service.operator(9999)


def test_players_wait_for_the_start_and_stop_at_the_end(opened: Opened) -> None:
    svc, fire = opened.service, opened.player("fire")
    with pytest.raises(ExerciseInputError, match="has not started"):
        svc.log_action(fire, "head_count")
    svc.start(opened.controller)
    svc.end(opened.controller)
    with pytest.raises(ExerciseInputError, match="has ended"):
        svc.send_message(fire, "eoc", "anyone?")
    # Evaluators still write up their observations after the end.
    assert svc.record_observation(opened.evaluator, "Planning", rating="P").seq == opened.count()


def test_bad_exercise_settings(service: ExerciseService, warehouse: Scenario) -> None:
    before = len(service.list_exercises())
    with pytest.raises(ExerciseInputError, match="seed"):
        service.create_exercise(warehouse, seed=-1)
    with pytest.raises(ExerciseInputError, match="name"):
        service.create_exercise(warehouse, name="  ")
    for name in ("Tuesday\x00drill", "Tuesday\x1b[31mdrill", "drill \ud800"):
        with pytest.raises(ExerciseInputError, match=r"an exercise name must be printable|unpaired surrogate"):
            service.create_exercise(warehouse, name=name)
    assert len(service.list_exercises()) == before


MALFORMED: dict[str, tuple[str, str]] = {
    "empty file": ("", "the file is empty"),
    "header only": ("time,agency,action\n", "no actions after the header line"),
    "missing column": ("time,agency\n00:05,fire\n", "the required column 'action' is missing"),
    "unknown column": ("time,agency,action,agncy\n00:05,fire,head_count,x\n", "unknown column 'agncy'"),
    "too many cells": ("time,agency,action\n00:05,fire,head_count,extra\n", "line 2: 4 cells"),
    "bad time": ("time,agency,action\n00:05,fire,head_count\nsoon,fire,notify_eoc\n", "line 3: time"),
    "unknown agency": ("time,agency,action\n00:05,polic,head_count\n", "line 2: agency 'polic'"),
    "unknown action": ("time,agency,action\n\n00:05,fire,head_count\n00:07,fire,dance\n", "line 4: action 'dance'"),
    "unknown inject": ("time,agency,action,inject\n00:05,fire,head_count,WF-9\n", "line 2: inject 'WF-9'"),
    "oversize text": (f"time,agency,action,text\n00:05,fire,head_count,{TOO_LONG}\n", "line 2: text is"),
    "not utf-8": ("time,agency,action\n00:05,fire,head_count\n".replace("fire", "f\udcffre"), "not UTF-8"),
    "NUL in text": ("time,agency,action,text\n00:05,fire,head_count,a\x00b\n", "line 2: text contains a NUL"),
    "unclosed quote": ('time,agency,action,text\n00:05,fire,head_count,"open\n', "not valid CSV"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_action_log_names_the_row_and_writes_nothing(
    case: str, service: ExerciseService, warehouse: Scenario
) -> None:
    text, message = MALFORMED[case]
    data = text.encode("utf-8", "surrogateescape")
    before = service.list_exercises()
    with pytest.raises(ExerciseInputError) as caught:
        service.import_exercise(warehouse, data, source="log.csv")
    assert message in str(caught.value)
    assert str(caught.value).startswith("log.csv: ")
    assert service.list_exercises() == before
