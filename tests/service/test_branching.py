"""Run it again, and branch a new exercise from a moment of a finished one.

The parent is the warehouse fire played to its end: command established at 0:05, the EOC notified
late at 0:35 (the plan wants 15 minutes). The branch goes on from 0:10 with the EOC told at once.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import create_engine, update
from typer.testing import CliRunner

from aar.scoring import findings
from exercises.access import AccessDenied, ExerciseInputError
from exercises.record import journal, lineage
from exercises.record.entries import Entry, EntryKind
from exercises.scenario.model import Scenario
from exercises.service.exercise_service import ExerciseService
from exercises.storage.tables import JOURNAL_TABLE, Exercise, JournalEntry
from exercises.views import ClockStatus
from hotwash.cli import app
from tests.service.conftest import Opened, WallClock

runner = CliRunner()
BRANCH_AT = 600.0


def play_parent(opened: Opened, wall: WallClock) -> None:
    """Speed 5: each wall minute is five exercise minutes."""
    svc, fire = opened.service, opened.player("fire")
    svc.start(opened.controller, speed=5)
    wall.advance(60)
    svc.log_action(fire, "establish_command", text="IC at the loading dock")
    wall.advance(360)
    svc.log_action(fire, "notify_eoc", text="EOC told, late")
    wall.advance(100)
    svc.end(opened.controller)


def by_protocol(scenario: Scenario, entries: list[Entry]) -> dict[str, list[dict[str, Any]]]:
    """The report's findings, every field, by protocol."""
    out: dict[str, list[dict[str, Any]]] = {}
    for f in findings(scenario, entries):
        out.setdefault(f.protocol_id, []).append(f.model_dump())
    return out


@pytest.fixture
def parent(opened: Opened, wall: WallClock) -> Opened:
    play_parent(opened, wall)
    return opened


def test_a_branch_inherits_the_parent_up_to_the_moment_and_goes_on_differently(
    parent: Opened, wall: WallClock, warehouse: Scenario
) -> None:
    svc = parent.service
    before = svc.journal(parent.controller)
    branched = svc.branch(parent.controller, at=BRANCH_AT)
    child = Opened(svc, branched)
    inherited = sum(1 for e in before if e.at <= BRANCH_AT)
    got = svc.journal(child.controller)
    same = [(e.at, e.actor, e.agency, e.payload) for e in got[:inherited]]
    assert same == [(e.at, e.actor, e.agency, e.payload) for e in before[:inherited]]
    # The parent's clock was running at 0:10: the branch waits, paused there, for its controller.
    assert got[inherited].kind is EntryKind.CLOCK_PAUSED and got[inherited].at == BRANCH_AT
    state = svc.state(child.controller)
    assert state.status is ClockStatus.PAUSED and state.clock == BRANCH_AT
    # Everything up to the branch scores exactly as the parent did, finding by finding.
    assert by_protocol(warehouse, got[:inherited]) == by_protocol(warehouse, before[:inherited])

    svc.resume(child.controller)
    wall.advance(12)
    svc.log_action(child.player("fire"), "notify_eoc", text="EOC told at once")
    wall.advance(100)
    svc.end(child.controller)

    parent_found = by_protocol(warehouse, svc.journal(parent.controller))
    child_found = by_protocol(warehouse, svc.journal(child.controller))
    assert child_found["IC-01"] == parent_found["IC-01"]  # decided before the branch: the same
    assert [f["status"] for f in parent_found["NOT-01"]] == ["late"]
    assert [f["status"] for f in child_found["NOT-01"]] == ["met"]
    # The parent is untouched and still verifies.
    assert svc.journal(parent.controller) == before
    assert svc.verify(parent.controller).ok
    checked = svc.verify(child.controller)
    assert checked.ok, checked.problem
    assert any(f"exercise {parent.id}'s entries 1 to {inherited}" in s for s in checked.proves)
    assert any(f"exercise {parent.id} still holds that hash" in s for s in checked.proves)


def test_hotwash_verify_on_the_branch_proves_the_link_to_the_parent(
    parent: Opened, db_url: str
) -> None:
    branched = parent.service.branch(parent.controller, seq=4)
    result = runner.invoke(app, ["verify", str(branched.exercise.id), "--database", db_url])
    assert result.exit_code == 0, result.output
    assert f"entries 1 to 4 are exercise {parent.id}'s entries 1 to 4" in result.output


def test_changed_inherited_entries_no_longer_recompute_to_the_parents_hash(parent: Opened) -> None:
    svc = parent.service
    branched = svc.branch(parent.controller, seq=4)
    exercise, rows, _checkpoints = svc._read_record(branched.exercise.id)
    good = journal.verify_rows(exercise, rows)
    assert lineage.check(exercise, rows, good, None).ok
    changed = [JournalEntry.model_validate(r.model_dump()) for r in rows]
    logged = next(i for i, r in enumerate(rows) if "IC at" in r.payload)
    assert logged < 4
    changed[logged].payload = changed[logged].payload.replace("IC at", "ic at")
    result = lineage.check(exercise, changed, good, None)
    assert not result.ok
    assert f"inherited from exercise {parent.id} (1 to 4)" in str(result.problem)


def test_a_tampered_parent_cannot_be_branched(parent: Opened, db_url: str) -> None:
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            update(JOURNAL_TABLE)
            .where(JOURNAL_TABLE.c.exercise_id == parent.id, JOURNAL_TABLE.c.seq == 3)
            .values(actor="controller (someone else)")
        )
    engine.dispose()
    with pytest.raises(ExerciseInputError) as refused:
        parent.service.branch(parent.controller, seq=4)
    assert "does not verify" in str(refused.value)
    assert "entry 3 was changed" in str(refused.value)


def test_moments_outside_the_exercise_are_refused(parent: Opened) -> None:
    svc = parent.service
    last = svc.journal(parent.controller)
    ended_at = next(e.at for e in last if e.kind is EntryKind.CLOCK_ENDED)
    with pytest.raises(ExerciseInputError, match="after the exercise's end"):
        svc.branch(parent.controller, at=ended_at + 60)
    ended_seq = next(e.seq for e in last if e.kind is EntryKind.CLOCK_ENDED)
    with pytest.raises(ExerciseInputError, match="before its end"):
        svc.branch(parent.controller, seq=ended_seq)
    with pytest.raises(ExerciseInputError, match="by an entry or by an exercise time"):
        svc.branch(parent.controller)
    with pytest.raises(AccessDenied):
        svc.branch(parent.evaluator, seq=4)


def test_a_running_exercise_is_paused_before_it_is_branched(opened: Opened, wall: WallClock) -> None:
    svc = opened.service
    svc.start(opened.controller, speed=5)
    wall.advance(60)
    with pytest.raises(ExerciseInputError, match="pause or end it"):
        svc.branch(opened.controller, at=100)
    svc.pause(opened.controller)
    assert svc.branch(opened.controller, at=100).exercise.status == ClockStatus.PAUSED.value


def test_run_again_has_the_same_set_up_new_codes_and_no_journal(
    parent: Opened, db_url: str, warehouse: Scenario
) -> None:
    svc = parent.service
    again = svc.run_again(parent.controller)
    assert again.exercise.entries == 0 and again.exercise.seed == parent.created.exercise.seed
    assert {c.code for c in again.codes}.isdisjoint(c.code for c in parent.created.codes)
    assert [(c.role, c.agency) for c in again.codes] == [(c.role, c.agency) for c in parent.created.codes]
    fresh = ExerciseService.open(db_url)
    rows = {e.id: e for e in fresh.list_exercises()}
    assert rows[again.exercise.id].status == ClockStatus.NOT_STARTED.value
    with fresh.db.reading() as session:
        old, new = session.get(Exercise, parent.id), session.get(Exercise, again.exercise.id)
        assert old is not None and new is not None
        assert new.scenario_sha256 == old.scenario_sha256 and new.scenario_json == old.scenario_json
    # A changed MSEL is taken; any other change to the scenario is refused.
    shorter = warehouse.model_copy(update={"msel": warehouse.msel[:1]})
    assert len(svc.scenario(Opened(svc, svc.run_again(parent.controller, scenario=shorter)).controller).msel) == 1
    renamed = warehouse.model_copy(update={"name": "Another fire"})
    with pytest.raises(ExerciseInputError, match="more than its MSEL"):
        svc.run_again(parent.controller, scenario=renamed)


def test_the_branch_genesis_names_the_parent_and_covers_it(parent: Opened) -> None:
    svc = parent.service
    branched = svc.branch(parent.controller, seq=4)
    exercise, _rows, _ = svc._read_record(branched.exercise.id)
    meta = journal.exercise_metadata(exercise)
    parent_row, parent_rows, _ = svc._read_record(parent.id)
    assert meta["branch_of"] == {
        "exercise": parent.id, "seq": 4, "head": parent_rows[3].hash, "genesis": parent_row.genesis_hash,
        "at": parent_rows[3].at,
    }
    assert journal.genesis_of(meta) == exercise.genesis_hash
    moved = json.loads(json.dumps(meta))
    moved["branch_of"]["seq"] = 3
    assert journal.genesis_of(moved) != exercise.genesis_hash
    # An exercise that is not a branch keeps the genesis it always had.
    assert "branch_of" not in journal.exercise_metadata(parent_row)


def test_the_command_line_branches_and_runs_again(parent: Opened, db_url: str) -> None:
    branched = runner.invoke(app, ["exercise", "branch", str(parent.id), "--at", "0:10", "--database", db_url])
    assert branched.exit_code == 0, branched.output
    assert "(branch at 0:10)" in branched.output and "Player for Town Fire Department" in branched.output
    late = runner.invoke(app, ["exercise", "branch", str(parent.id), "--at", "9:00", "--database", db_url])
    assert late.exit_code == 1 and "after the exercise's end" in late.output
    again = runner.invoke(app, ["exercise", "again", str(parent.id), "--name", "Night shift", "--database", db_url])
    assert again.exit_code == 0, again.output
    assert "Night shift" in again.output and "0 entries" in again.output


def test_an_imported_record_the_simulation_cannot_replay_is_not_branched(
    service: ExerciseService, warehouse: Scenario
) -> None:
    log = "time,agency,action,text\n00:05,fire,establish_command,IC up\n00:20,fire,notify_eoc,EOC told\n"
    imported = service.import_exercise(warehouse, log, seed=3)
    operator = service.operator(imported.exercise.id)
    with pytest.raises(ExerciseInputError, match="cannot be replayed by the simulation"):
        service.branch(operator, at=900)
