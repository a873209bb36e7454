"""The corrective actions' history: one append-only hash chain per finalised exercise, hashed as the
journal is (``exercises.record.journal.canonical``), with its head on the improvement record so a
removed last change shows."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from exercises.program.model import Change
from exercises.record.journal import canonical, genesis_for, sha256
from exercises.storage.tables import CorrectiveActionChange, Exercise, ImprovementRecord

CHAIN_FORMAT = "hotwash-corrective-actions/1"


def genesis(exercise: Exercise) -> str:
    """The chain's start: bound to the exercise's own journal genesis, so it cannot be moved."""
    return sha256(canonical({"format": CHAIN_FORMAT, "exercise": exercise.id, "journal": genesis_for(exercise)}))


def change_hash(exercise_id: int, seq: int, prev: str, change: Mapping[str, Any]) -> str:
    body = {"exercise": exercise_id, "seq": seq, "prev": prev, **change}
    return sha256(canonical(body))


def _covered(row: CorrectiveActionChange) -> dict[str, Any]:
    return {
        "action": row.action_key, "wall_time": row.wall_time, "actor": row.actor, "why": row.why,
        "fields": json.loads(row.fields),
    }


@dataclass(frozen=True)
class NewChange:
    action_key: str
    actor: str
    why: str
    fields: Mapping[str, Any]


def append(session: Session, head: ImprovementRecord, new: Sequence[NewChange], wall_time: float) -> None:
    """Add ``new`` after the head and move the head, in the caller's transaction."""
    seq, prev = head.last_seq, head.head_hash
    for item in new:
        seq += 1
        row = CorrectiveActionChange(
            exercise_id=head.exercise_id, seq=seq, action_key=item.action_key, wall_time=wall_time,
            actor=item.actor, why=item.why, fields=canonical(dict(item.fields)).decode(), prev_hash=prev, hash="",
        )
        row.hash = prev = change_hash(head.exercise_id, seq, row.prev_hash, _covered(row))
        session.add(row)
    head.last_seq, head.head_hash = seq, prev
    session.add(head)


def read(session: Session, exercise_id: int) -> list[CorrectiveActionChange]:
    query = select(CorrectiveActionChange).where(CorrectiveActionChange.exercise_id == exercise_id)
    return list(session.exec(query.order_by(col(CorrectiveActionChange.seq))))


def to_change(row: CorrectiveActionChange) -> Change:
    return Change(row.seq, row.action_key, row.wall_time, row.actor, row.why, json.loads(row.fields))


@dataclass(frozen=True)
class HistoryCheck:
    """What walking the chain found: how many changes hold, and the first that does not."""

    exercise_id: int
    changes: int
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def __str__(self) -> str:
        if self.ok:
            return f"corrective actions of exercise {self.exercise_id}: {self.changes} changes, history intact"
        return f"corrective actions of exercise {self.exercise_id}: BROKEN: {self.problem}"


def verify(exercise: Exercise, head: ImprovementRecord, rows: Iterable[CorrectiveActionChange]) -> HistoryCheck:
    """Walk the history from its genesis and name the first change that does not hold."""
    assert exercise.id is not None
    ex = exercise.id
    prev = genesis(exercise)
    if head.genesis_hash != prev:
        return HistoryCheck(ex, 0, "the history does not start from this exercise's record")
    expected = 1
    for row in rows:
        if row.seq != expected:
            return HistoryCheck(ex, expected - 1, f"change {expected} is missing (the history goes on at {row.seq})")
        try:
            digest = change_hash(ex, row.seq, row.prev_hash, _covered(row))
        except (ValueError, TypeError):
            return HistoryCheck(ex, expected - 1, f"change {row.seq} was changed: its fields are not JSON")
        if digest != row.hash:
            return HistoryCheck(ex, expected - 1, f"change {row.seq} was changed: its content does not match its hash")
        if row.prev_hash != prev:
            return HistoryCheck(ex, expected - 1, f"change {row.seq} does not follow change {row.seq - 1}")
        expected, prev = expected + 1, row.hash
    count = expected - 1
    if count != head.last_seq:
        return HistoryCheck(
            ex, count, f"the history ends at change {count}, the improvement record at change {head.last_seq}"
        )
    if prev != head.head_hash:
        return HistoryCheck(ex, count, f"change {count}: the improvement record's head hash does not match")
    return HistoryCheck(ex, count)
