"""Starting from what came before: run an exercise again with the same set-up, or branch a new
exercise from a moment of a finished (or paused) one, its record linked to the parent's chain.

A branch's journal is the parent's entries up to the branch point, copied as they are (their
wall times too), then, when the parent's clock was running there, a pause at the branch time:
the controller resumes the branch when the players are ready. The genesis names the parent, the
entry and the parent's chain hash there (``exercises.record.lineage``); the simulation is rebuilt
by replaying the inherited entries (same scenario snapshot and seed: the engine is deterministic).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from exercises.access import Caller, ExerciseInputError, Permission, require
from exercises.record import evidence, journal, lineage
from exercises.record.entries import ClockPaused, Entry, EntryKind, NewEntry
from exercises.record.journal import JournalError
from exercises.record.lineage import BranchPoint
from exercises.scenario.durations import format_duration
from exercises.scenario.model import Scenario
from exercises.service.details import Details, ExerciseDetails, details_of, read_details
from exercises.service.setup import CreatedExercise, Setup
from exercises.service.store import _Loaded
from exercises.storage.tables import Exercise, JournalEntry
from exercises.views import CLOCK_KINDS, ClockStatus, derive_clock


@dataclass(frozen=True)
class _Parent:
    """The parent's record as read in one snapshot, already verified."""

    row: Exercise
    rows: Sequence[JournalEntry]

    @property
    def end(self) -> int:
        """The entries a branch may inherit: those before the clock ended (after it, the record
        is closed: observations and corrections after the end belong to the parent's hot wash)."""
        ended = next((r.seq for r in self.rows if r.kind == EntryKind.CLOCK_ENDED.value), None)
        return len(self.rows) if ended is None else ended - 1


@dataclass(frozen=True)
class Lineage:
    """Where a branch came from, with its parent's record for the report's comparison."""

    parent: int
    seq: int
    """Entries 1 to ``seq`` are the parent's."""
    at: float
    """The exercise time the branch went on from."""
    head: str
    """The parent's chain hash at entry ``seq``."""
    parent_name: str | None = None
    """None when the parent is not in this database."""
    parent_entries: tuple[Entry, ...] | None = None


class Branching(Setup, Details):
    """Run again and branch from a moment; both are the parent's controller's to do."""

    def lineage(self, caller: Caller) -> Lineage | None:
        """Where this exercise was branched from (None when it was not), and the parent's journal
        as it stands, for the report's comparison of the two from the branch point on."""
        self._load(caller.exercise_id)
        require(caller, Permission.READ_ALL)
        with self.db.reading() as session:
            row = session.get(Exercise, caller.exercise_id)
            point = None if row is None else BranchPoint.of(row)
            if point is None:
                return None
            parent = session.get(Exercise, point.parent)
            entries = None if parent is None else tuple(journal.read_entries(session, point.parent))
        name = None if parent is None else parent.name
        return Lineage(point.parent, point.seq, point.at, point.head, name, entries)

    def run_again(
        self, caller: Caller, *, scenario: Scenario | None = None, name: str | None = None
    ) -> CreatedExercise:
        """A new exercise with the parent's set-up (scenario snapshot, seed, time zone, points of
        contact), new access codes and an empty journal. ``scenario``: the same scenario with a
        changed MSEL (from a workbook, ``msel_sheet.load_with_msel``); nothing else may differ."""
        loaded = self._load(caller.exercise_id)
        require(caller, Permission.OPEN_FROM)
        parent = self._parent_row(caller.exercise_id)
        if scenario is not None and scenario.model_copy(update={"msel": loaded.scenario.msel}) != loaded.scenario:
            raise ExerciseInputError(
                f"this scenario differs from the one exercise {caller.exercise_id} ran in more than its MSEL: "
                "open a new exercise from the scenario file instead"
            )
        details = self._details_for(caller.exercise_id)
        again = ExerciseDetails("exercise", None, details.timezone, details.contacts)
        return self._create(scenario or loaded.scenario, name or f"{parent.name} (again)", parent.seed, [], again)

    def branch(
        self, caller: Caller, *, seq: int | None = None, at: float | None = None, name: str | None = None
    ) -> CreatedExercise:
        """A new exercise going on from entry ``seq`` (or exercise time ``at``, in seconds) of this
        finished or paused one. Refused, naming why, when the parent's record does not verify,
        its clock is running, or the moment is before its start or after its end."""
        loaded = self._load(caller.exercise_id)
        require(caller, Permission.OPEN_FROM)
        if (seq is None) == (at is None):
            raise ExerciseInputError("name the branch point by an entry or by an exercise time, not both")
        parent = self._verified_parent(caller.exercise_id)
        point, inherited = self._branch_point(parent, seq, at)
        entries = [journal.to_entry(r) for r in inherited]
        walls = [r.wall_time for r in inherited]
        clock = derive_clock((e, w) for e, w in zip(entries, walls, strict=True) if e.kind in CLOCK_KINDS)
        own = self._replayed(loaded, caller.exercise_id, entries, point.at)
        if clock.status is ClockStatus.RUNNING:
            own.append(NewEntry(at=point.at, actor=caller.actor, payload=ClockPaused()))
        label = name or f"{parent.row.name} (branch at {format_duration(point.at)})"
        # The inherited entries carry the parent's details when it recorded them as entries; a
        # parent from before that has them in its row, recorded in the branch's journal here.
        details = None if details_of(entries) is not None else read_details(parent.row)
        return self._create(
            loaded.scenario, label, parent.row.seed, [*entries, *own], details,
            branch_of=point, walls=[*walls, *(self._wall() for _ in own)],
        )

    def _replayed(self, loaded: _Loaded, parent_id: int, entries: list[Entry], at: float) -> list[NewEntry]:
        """The simulation rebuilt by replaying the inherited entries (the engine is deterministic,
        and holds the journal's simulated entries to what it produces); what it makes up to the
        branch time that the inherited entries do not hold yet (entries at the branch point's very
        time that followed it in the parent) goes on the branch before its own entries."""
        try:
            return self._checked_advance(loaded, entries, at, entries[-1].at)
        except (ValueError, JournalError) as exc:  # EngineError is a ValueError
            raise ExerciseInputError(
                f"exercise {parent_id}'s record cannot be replayed by the simulation (it was imported, or "
                f"recorded on another scenario or seed), so no exercise can be branched from it: {exc}"
            ) from None

    def _parent_row(self, exercise_id: int) -> Exercise:
        with self.db.reading() as session:
            row = session.get(Exercise, exercise_id)
        if row is None:
            raise ExerciseInputError(f"no exercise {exercise_id}")
        return row

    def _verified_parent(self, exercise_id: int) -> _Parent:
        """The parent's record in one snapshot; refused, naming what failed, unless it verifies."""
        trust = self._trust()  # the witnesses before the snapshot (``evidence.Trust``)
        with self.db.reading() as session:
            row = session.get(Exercise, exercise_id, populate_existing=True)
            if row is None:
                raise ExerciseInputError(f"no exercise {exercise_id}")
            rows = journal.read_rows(session, exercise_id)
            checkpoints = evidence.read_checkpoints(session, exercise_id)
            parent = lineage.parent_hash(session, row)
        result = evidence.check(row, rows, checkpoints, trust, parent_head=parent)
        if not result.ok:
            raise ExerciseInputError(
                f"exercise {exercise_id}'s record does not verify, so no exercise can be branched from it: "
                f"{result.problem}"
            )
        return _Parent(row, rows)

    def _branch_point(
        self, parent: _Parent, seq: int | None, at: float | None
    ) -> tuple[BranchPoint, Sequence[JournalEntry]]:
        rows, end = parent.rows, parent.end
        marks = [(journal.to_entry(r), r.wall_time) for r in rows[:end] if r.kind in _CLOCK_VALUES]
        clock = derive_clock(marks)
        if clock.status is ClockStatus.RUNNING and end == len(rows):
            raise ExerciseInputError("the exercise is running: pause or end it before branching from it")
        last_at = rows[end - 1].at if end else 0.0
        if at is not None:
            if not 0 <= at <= last_at:
                raise ExerciseInputError(
                    f"{format_duration(at)} is after the exercise's end ({format_duration(last_at)}): "
                    "branch from a moment it reached"
                )
            seq = sum(1 for r in rows[:end] if r.at <= at)
        assert seq is not None
        if not 1 <= seq <= end:
            raise ExerciseInputError(
                f"entry {seq} is not a moment of the exercise before its end: pick an entry from 1 to {end}"
            )
        started = next((r.seq for r in rows if r.kind == EntryKind.CLOCK_STARTED.value), None)
        if started is None or seq < started:
            raise ExerciseInputError("that moment is before the exercise started: run it again instead")
        assert parent.row.id is not None
        point = BranchPoint(parent.row.id, seq, rows[seq - 1].hash, parent.row.genesis_hash, rows[seq - 1].at if at is None else at)
        return point, rows[:seq]


_CLOCK_VALUES = frozenset(k.value for k in CLOCK_KINDS)
