"""A closed record: after the end, players and observers change nothing; controllers and evaluators
add post-exercise entries, each marked as after the end, and the report shows them as such; access
codes sign in read-only and expire."""

from __future__ import annotations

import json
from datetime import date

import pytest

from aar.integrity import record_integrity
from aar.report import build_report
from exercises.access import AccessDenied, ExerciseInputError
from exercises.record.entries import ActionLogged, Correction, ObservationRecorded
from exercises.scenario.model import Scenario
from exercises.service.exercise_service import ExerciseService
from tests.service.conftest import CHEAP_HASHER, Opened, WallClock, code_for


def ended(opened: Opened, wall: WallClock) -> dict[str, int]:
    svc = opened.service
    svc.start(opened.controller, speed=10)
    wall.advance(30)
    seqs = {
        "player action": svc.log_action(opened.player("fire"), "establish_command", text="IC at the gate").seq,
        "logged for fire": svc.log_action(opened.controller, "notify_eoc", agency="fire").seq,
        "observation": svc.record_observation(opened.evaluator, "Operational Coordination", rating="P").seq,
    }
    wall.advance(30)
    svc.end(opened.controller)
    return seqs


def test_after_the_end_players_and_observers_change_nothing(opened: Opened, wall: WallClock) -> None:
    seqs = ended(opened, wall)
    svc, fire = opened.service, opened.player("fire")
    before = opened.count()
    with pytest.raises(AccessDenied, match="record is closed"):
        svc.correct(fire, seqs["logged for fire"], "we did not do that")
    with pytest.raises(AccessDenied, match="record is closed"):
        svc.correct(fire, seqs["player action"], "typo")
    with pytest.raises(ExerciseInputError, match="has ended"):
        svc.log_action(fire, "head_count")
    with pytest.raises(ExerciseInputError, match="has ended"):
        svc.send_message(fire, "eoc", "one more thing")
    with pytest.raises(ExerciseInputError, match="has ended"):
        svc.request_resource(fire, "eoc", "duty_officer", 1)
    with pytest.raises(AccessDenied):
        svc.record_observation(opened.observer, "Planning", text="late note")
    assert opened.count() == before
    assert svc.tick(fire) == []


def test_post_exercise_entries_are_stored_marked_and_reported(opened: Opened, wall: WallClock) -> None:
    seqs = ended(opened, wall)
    svc = opened.service
    report_before = report_of(svc, opened)
    wall.advance(600)
    late = svc.record_observation(
        opened.evaluator, "Operational Coordination", rating="M", areas_for_improvement="Radio discipline",
        text="from the hot wash",
    )
    assert isinstance(late.payload, ObservationRecorded) and late.payload.after_end
    fixed = svc.correct(opened.controller, seqs["logged for fire"], "logged for the wrong agency")
    assert isinstance(fixed.payload, Correction) and fixed.payload.after_end
    plain = svc.journal(opened.controller)[seqs["observation"] - 1].payload
    assert isinstance(plain, ObservationRecorded) and not plain.after_end
    stored = {line.get("seq"): line for line in map(json.loads, svc.export(opened.controller, "jsonl").splitlines())}
    assert "after_end" not in stored[seqs["observation"]]["payload"]  # hashes as before the mark existed
    assert stored[late.seq]["payload"]["after_end"] is True

    report = report_of(svc, opened)
    assert report.post_exercise == (late.seq, fixed.seq)
    ratings = [r for row in report.table1 for r in row.evaluator]
    assert {(r.seq, r.after_end) for r in ratings} >= {(seqs["observation"], False), (late.seq, True)}
    areas = [n for o in report.objectives for n in o.areas_for_improvement if n.source == "evaluator"]
    assert [n.after_end for n in areas if n.seq == late.seq] == [True]
    assert any("after the end of play" in note for note in report.notes)
    # The controller's post-exercise void changed the scores, and says when it was made.
    assert report.findings != report_before.findings
    assert report.integrity.intact and report.integrity.signature == "signed"


def report_of(svc: ExerciseService, opened: Opened):  # type: ignore[no-untyped-def]
    record = svc.record(opened.controller)
    return build_report(
        svc.scenario(opened.controller), record.entries, exercise_name=record.name,
        exercise_dates=(date(2026, 1, 1), date(2026, 1, 1)), integrity=record_integrity(record.verification),
    )


def test_codes_sign_in_read_only_after_the_end_and_expire(
    db_url: str, warehouse: Scenario, wall: WallClock
) -> None:
    service = ExerciseService.open(db_url, hasher=CHEAP_HASHER, wall_clock=wall, access_after_end=3 * 86_400)
    created = service.create_exercise(warehouse, seed=4)
    opened = Opened(service, created)
    ended(opened, wall)
    player = service.sign_in(code_for(created, "player", "fire"))
    observer = service.sign_in(code_for(created, "observer"))
    evaluator = service.sign_in(code_for(created, "evaluator"))
    assert player.read_only and observer.read_only and not evaluator.read_only
    with pytest.raises(AccessDenied, match="may only read"):
        service.log_action(player, "head_count")
    assert service.journal(observer)  # reading still works
    service.record_observation(evaluator, "Planning", text="after the hot wash")
    wall.advance(3 * 86_400 + 60)
    for role, agency in (("player", "fire"), ("controller", None), ("evaluator", None)):
        with pytest.raises(AccessDenied, match="access codes expired on"):
            service.sign_in(code_for(created, role, agency))
    # Whoever holds the database (the command line) still reads and reports.
    assert service.verify(service.operator(created.exercise.id)).ok


def test_a_replacement_keeps_the_original_when_refused(opened: Opened, wall: WallClock) -> None:
    seqs = ended(opened, wall)
    replacement = ActionLogged(action="head_count", text="changed after the end")
    with pytest.raises(AccessDenied):
        opened.service.correct(opened.player("fire"), seqs["player action"], "late edit", replacement=replacement)
    entry = opened.service.journal(opened.controller)[seqs["player action"] - 1]
    assert isinstance(entry.payload, ActionLogged) and entry.payload.text == "IC at the gate"
