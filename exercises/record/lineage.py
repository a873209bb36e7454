"""Where a branched exercise came from: the branch point its genesis names, and the check that its
inherited entries are exactly its parent's first entries, chained to the parent's hash there.

A branch's journal begins with copies of the parent's entries 1 to ``seq`` (same exercise time,
wall time, kind, actor, agency and payload), chained in the branch's own chain. Its genesis covers
the branch point: the parent exercise, ``seq``, the parent's chain hash at that entry and the
parent's genesis. From those alone the parent's chain over the inherited entries can be recomputed
and must end in that hash: the link to the parent is proven without the parent's database. When
the parent is at hand, its entry ``seq`` is also held to the hash the branch was made from.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlmodel import Session, select

from exercises.record.journal import Verification, entry_hash
from exercises.storage.tables import Exercise, JournalEntry


@dataclass(frozen=True)
class BranchPoint:
    """The moment of the parent a branch starts from; entries 1 to ``seq`` are inherited."""

    parent: int
    """The parent exercise's id."""
    seq: int
    head: str
    """The parent's chain hash at entry ``seq`` (its genesis hash when ``seq`` is 0)."""
    genesis: str
    """The parent's genesis hash: where the recomputed chain starts."""
    at: float
    """The exercise time the branch goes on from."""

    def covered(self) -> dict[str, Any]:
        """What the branch's genesis covers (``journal.genesis_of``'s ``branch_of``)."""
        return {"exercise": self.parent, "seq": self.seq, "head": self.head, "genesis": self.genesis, "at": self.at}

    @classmethod
    def of(cls, exercise: Exercise) -> BranchPoint | None:
        """The exercise's branch point, or None when it was not branched from another."""
        if exercise.branch_of_json is None:
            return None
        return cls.from_covered(json.loads(exercise.branch_of_json))

    @classmethod
    def from_covered(cls, data: Mapping[str, Any]) -> BranchPoint:
        return cls(int(data["exercise"]), int(data["seq"]), str(data["head"]), str(data["genesis"]), float(data["at"]))


class ParentChain:
    """The parent's chain recomputed over a branch's inherited rows as they go by: one pass with the
    branch's own check (``evidence.check``)."""

    def __init__(self, point: BranchPoint) -> None:
        self.point = point
        self.end = point.genesis
        self.rows = 0

    @classmethod
    def of(cls, exercise: Exercise) -> ParentChain | None:
        point = BranchPoint.of(exercise)
        return None if point is None else cls(point)

    def feed(self, row: JournalEntry, payload: Mapping[str, Any]) -> None:
        """One row of the branch's journal, oldest first; rows past the branch point are not the parent's."""
        if self.rows >= self.point.seq:
            return
        self.rows += 1
        self.end = entry_hash(
            exercise_id=self.point.parent, seq=row.seq, at=row.at, wall_time=row.wall_time, kind=row.kind,
            actor=row.actor, agency=row.agency, payload=payload, prev_hash=self.end,
        )

    def holds(self) -> bool:
        """Whether the inherited rows are all there and recompute to the hash the genesis names."""
        return self.rows == self.point.seq and self.end == self.point.head


def parent_hash(session: Session, exercise: Exercise) -> str | None:
    """The hash the parent's journal now holds at the branch point, or None when it is not in this
    database (or not a branch)."""
    point = BranchPoint.of(exercise)
    if point is None:
        return None
    if point.seq == 0:
        parent = session.get(Exercise, point.parent)
        return None if parent is None else parent.genesis_hash
    query = select(JournalEntry.hash).where(JournalEntry.exercise_id == point.parent, JournalEntry.seq == point.seq)
    return session.exec(query).first()


def check(exercise: Exercise, rows: Sequence[JournalEntry], result: Verification, held: str | None) -> Verification:
    """``result`` (the branch's own verification) with what its link to the parent proves; broken
    when the inherited entries do not recompute to the hash its genesis names. ``held``: the hash
    the parent holds at the branch point today (``parent_hash``), None when the parent is absent."""
    inherited = ParentChain.of(exercise)
    if inherited is not None:
        for row in rows[: inherited.point.seq]:
            inherited.feed(row, json.loads(row.payload))
    return check_inherited(exercise, inherited, result, held)


def check_inherited(
    exercise: Exercise, inherited: ParentChain | None, result: Verification, held: str | None
) -> Verification:
    """``check`` with the parent's chain already recomputed over the inherited rows."""
    if inherited is None or not result.ok:
        return result
    point = inherited.point
    where = f"exercise {point.parent}'s entry {point.seq}" if point.seq else f"exercise {point.parent}'s creation"
    if not inherited.holds():
        return replace(
            result, broken_seq=1 if point.seq else None,
            problem=(
                f"the entries inherited from exercise {point.parent} (1 to {point.seq}) do not recompute to "
                f"the hash of {where} that this exercise's genesis names: they were changed"
            ),
        )
    proves: tuple[str, ...] = (
        f"entries 1 to {point.seq} are exercise {point.parent}'s entries 1 to {point.seq}: they chain from "
        f"its genesis to its hash at the branch point ({point.head[:16]}), which this exercise's genesis names",
    )
    if held == point.head:
        proves += (f"exercise {point.parent} still holds that hash at entry {point.seq}",)
        cannot: tuple[str, ...] = ()
    elif held is None:
        cannot = (f"exercise {point.parent} is not in this database: its later entries were not compared",)
    else:
        cannot = (
            f"exercise {point.parent} no longer holds at entry {point.seq} the hash this branch was made "
            f"from: its record changed after the branch (run hotwash verify {point.parent})",
        )
    return replace(result, proves=proves + result.proves, cannot_prove=result.cannot_prove + cannot)
