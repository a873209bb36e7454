"""The journal: hash-chained, append-only, and `hotwash verify` names the first broken entry
however a row was changed, deleted, reordered or added directly in the database."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

from exercises.record import journal
from exercises.record.entries import ActionLogged, NewEntry, ObservationRecorded
from exercises.service.exercise_service import ExerciseService
from exercises.storage.tables import JournalEntry
from hotwash.cli import app
from tests.service.conftest import Opened, WallClock

runner = CliRunner()


def played(opened: Opened, wall: WallClock) -> int:
    """A short exercise: started, a few actions and observations; returns the entry count."""
    svc = opened.service
    svc.start(opened.controller, speed=5)
    for n, action in enumerate(["establish_command", "notify_eoc", "contain_fire", "head_count"]):
        wall.advance(30)
        svc.log_action(opened.player("fire"), action, text=f"step {n}")
    svc.record_observation(opened.evaluator, "Operational Coordination", rating="S", text="IC slow")
    return svc.verify(opened.controller).entries


def cli_verify(db_url: str, exercise_id: int) -> tuple[int, str]:
    result = runner.invoke(app, ["verify", str(exercise_id), "--database", db_url])
    return result.exit_code, result.output


def sql(service: ExerciseService, statement: str, **params: object) -> None:
    with service.db.engine.begin() as conn:
        conn.execute(text(statement), params)


def test_intact_journal_verifies(opened: Opened, wall: WallClock, db_url: str) -> None:
    count = played(opened, wall)
    assert count >= 6
    code, out = cli_verify(db_url, opened.id)
    assert code == 0, out
    assert f"journal intact, {count} entries" in out
    seal = json.loads(opened.service.export(opened.controller, "jsonl").splitlines()[-1])["seal"]
    assert out.splitlines()[0].endswith(seal["head"])
    assert "proven: entries 1 to" in out


TAMPERS: dict[str, tuple[Callable[[int, int], list[str]], Callable[[int], int]]] = {
    # name: (statements given exercise id and a middle seq, expected broken seq given the middle seq)
    "payload changed": (
        lambda e, s: [f"UPDATE journal_entry SET payload = replace(payload, 'step', 'STEP') WHERE exercise_id={e} AND seq={s}"],
        lambda s: s,
    ),
    "actor changed": (
        lambda e, s: [f"UPDATE journal_entry SET actor = 'controller' WHERE exercise_id={e} AND seq={s}"],
        lambda s: s,
    ),
    "time changed": (
        lambda e, s: [f"UPDATE journal_entry SET at = at + 1 WHERE exercise_id={e} AND seq={s}"],
        lambda s: s,
    ),
    "deleted": (
        lambda e, s: [f"DELETE FROM journal_entry WHERE exercise_id={e} AND seq={s}"],
        lambda s: s,
    ),
    "reordered": (
        lambda e, s: [
            f"UPDATE journal_entry SET seq = -1 WHERE exercise_id={e} AND seq={s}",
            f"UPDATE journal_entry SET seq = {s} WHERE exercise_id={e} AND seq={s + 1}",
            f"UPDATE journal_entry SET seq = {s + 1} WHERE exercise_id={e} AND seq=-1",
        ],
        lambda s: s,
    ),
}


@pytest.mark.parametrize("tamper", sorted(TAMPERS))
def test_tampering_is_detected_and_named(tamper: str, opened: Opened, wall: WallClock, db_url: str) -> None:
    played(opened, wall)
    statements, expected = TAMPERS[tamper]
    middle = 4  # an action of the fire player
    for statement in statements(opened.id, middle):
        sql(opened.service, statement)
    code, out = cli_verify(db_url, opened.id)
    assert code == 1
    assert "BROKEN" in out
    assert f"entry {expected(middle)} " in out, out


def test_deleting_the_last_entry_is_detected(opened: Opened, wall: WallClock, db_url: str) -> None:
    count = played(opened, wall)
    sql(opened.service, f"DELETE FROM journal_entry WHERE exercise_id={opened.id} AND seq={count}")
    code, out = cli_verify(db_url, opened.id)
    assert code == 1
    assert f"entry {count} is missing" in out


def test_a_forged_entry_with_a_valid_hash_is_detected(opened: Opened, wall: WallClock, db_url: str) -> None:
    count = played(opened, wall)
    with opened.service.db.reading() as session:
        last = journal.read_rows(session, opened.id)[-1]
    forged = {
        "exercise_id": opened.id, "seq": count + 1, "at": last.at, "wall_time": last.wall_time,
        "kind": "action_logged", "actor": "player:fire", "agency": "fire",
        "payload": '{"action":"head_count","kind":"action_logged","text":"","inject_id":null}',
        "prev_hash": last.hash,
    }
    digest = journal.entry_hash(
        exercise_id=opened.id, seq=count + 1, at=last.at, wall_time=last.wall_time, kind="action_logged",
        actor="player:fire", agency="fire", payload=json.loads(forged["payload"]), prev_hash=last.hash,
    )
    sql(
        opened.service,
        "INSERT INTO journal_entry (exercise_id, seq, at, wall_time, kind, actor, agency, payload, prev_hash, hash) "
        "VALUES (:exercise_id, :seq, :at, :wall_time, :kind, :actor, :agency, :payload, :prev_hash, :hash)",
        **forged, hash=digest,
    )
    code, out = cli_verify(db_url, opened.id)
    assert code == 1
    assert f"entry {count + 1} was added outside Hotwash" in out


def test_changing_the_scenario_snapshot_is_detected(opened: Opened, wall: WallClock, db_url: str) -> None:
    played(opened, wall)
    sql(opened.service, f"UPDATE exercise SET seed = seed + 1 WHERE id={opened.id}")
    code, out = cli_verify(db_url, opened.id)
    assert code == 1
    assert "name, scenario snapshot, seed or creation time was changed" in out


def test_the_code_has_no_update_or_delete_path() -> None:
    import inspect

    from exercises.record import evidence
    from exercises.service import control, evaluation, play, reading, setup, store
    from exercises.service import exercise_service as service
    from exercises.storage import db

    for module in (journal, service, store, setup, control, play, evaluation, reading, db, evidence):
        source = inspect.getsource(module).lower()
        for verb in ("update journal", "delete from", "session.delete", ".delete("):
            assert verb not in source, (module.__name__, verb)


# --- property: any single change to any row is found at that row -------------------------

_texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30)
_entries = st.lists(
    st.one_of(
        st.builds(lambda t: ActionLogged(action="head_count", text=t), _texts),
        st.builds(lambda t: ObservationRecorded(capability="Planning", text=t), _texts),
    ),
    min_size=2,
    max_size=12,
)
_mutations = st.sampled_from(["at", "wall_time", "actor", "agency", "payload", "prev_hash", "hash", "kind"])


@settings(max_examples=40, deadline=None)
@given(payloads=_entries, data=st.data(), mutation=_mutations)
def test_any_single_field_change_is_found_at_its_entry(payloads: list, data: st.DataObject, mutation: str) -> None:
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        ex = journal.new_exercise(session, name="p", seed=1, scenario_id="s", scenario_json="{}", now=0.0)
        news = [NewEntry(at=float(i), agency="fire", actor="player:fire", payload=p) for i, p in enumerate(payloads)]
        head = journal.Head(0, 0.0, ex.genesis_hash)
        journal.append(session, ex.id or 0, head, news, wall_time=5.0)
        session.commit()
        session.refresh(ex)
        rows = [JournalEntry.model_validate(r.model_dump()) for r in journal.read_rows(session, ex.id or 0)]
        assert journal.verify_rows(ex, rows).ok
        target = data.draw(st.integers(min_value=0, max_value=len(rows) - 1))
        row = rows[target]
        changed = {
            "at": {"at": row.at + 0.5},
            "wall_time": {"wall_time": row.wall_time + 1},
            "actor": {"actor": row.actor + "x"},
            "agency": {"agency": None},
            "payload": {"payload": row.payload.replace('"kind"', '"extra":1,"kind"')},
            "prev_hash": {"prev_hash": "0" * 64},
            "hash": {"hash": "f" * 64},
            "kind": {"kind": "observation_recorded" if row.kind == "action_logged" else "action_logged"},
        }[mutation]
        rows[target] = row.model_copy(update=changed)
        result = journal.verify_rows(ex, rows)
    assert not result.ok
    assert result.broken_seq == row.seq, result
