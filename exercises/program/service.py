"""The program service: programs, their schedule, and corrective actions tracked to closure.

Every change of a corrective action is appended to its exercise's history (``history``) with who,
when and why; the state shown is that history folded (``model.fold``). Who may change what is
checked here: a controller or an evaluator of an exercise of the program may change any action of
it (the verdicts validated / not validated only they may set); a player only the actions their own
agency owns; an observer nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from exercises.access import AccessDenied, Caller, ExerciseInputError, Role
from exercises.program import history, ip_sheet
from exercises.program.history import HistoryCheck, NewChange
from exercises.program.ip_sheet import SheetChange
from exercises.program.model import (
    ACTION_FIELDS,
    TEXT_MAX,
    UPDATABLE,
    VERDICTS,
    ActionStatus,
    Change,
    CorrectiveAction,
    ExerciseType,
    PlannedExercise,
    Priority,
    ProgramPlan,
    fold,
)
from exercises.record.entries import EntryKind
from exercises.scenario.capabilities import CORE_CAPABILITIES
from exercises.storage.db import Database, open_database
from exercises.storage.tables import (
    CorrectiveActionChange,
    Exercise,
    ExerciseSummary,
    ImprovementRecord,
    JournalEntry,
    Program,
    ProgramExercise,
    ProgramPriority,
)


def _text(name: str, value: str, *, required: bool = False, limit: int = TEXT_MAX) -> str:
    if required and not value.strip():
        raise ExerciseInputError(f"{name} is required")
    if len(value) > limit:
        raise ExerciseInputError(f"{name} is longer than {limit} characters")
    return value


def _capability(name: str) -> str:
    if name not in CORE_CAPABILITIES:
        raise ExerciseInputError(f"{name!r} is not one of the 32 core capabilities")
    return name


def _day(name: str, value: str) -> str:
    if not value:
        return ""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ExerciseInputError(f"{name} {value!r} is not a date (write YYYY-MM-DD)") from None


def checked_fields(fields: Mapping[str, str]) -> dict[str, str]:
    """An update's fields, each checked, in the words a planner reads when one is wrong."""
    out: dict[str, str] = {}
    for name, value in fields.items():
        if name not in UPDATABLE:
            raise ExerciseInputError(f"{name.replace('_', ' ')} cannot be changed after finalising")
        if name in {"start_date", "completion_date"}:
            out[name] = _day(name.replace("_", " "), value)
        elif name == "status":
            if value not in {s.value for s in ActionStatus}:
                raise ExerciseInputError(f"status {value!r} is not one of: {', '.join(s.value for s in ActionStatus)}")
            out[name] = value
        else:
            out[name] = _text(name.replace("_", " "), value)
    return out



_PARSED: dict[tuple[str, int, int, str, float], Any] = {}
"""Stored summaries parsed, by (database, exercise, journal seq, journal head, when scored)."""

class ProgramService:
    """One per process and database, beside the exercise service."""

    def __init__(self, database: Database, *, wall_clock: Callable[[], float] = time.time) -> None:
        self.db = database
        self._wall = wall_clock

    @classmethod
    def open(cls, url: str | None = None) -> ProgramService:
        return cls(open_database(url))

    # --- the program and its schedule ------------------------------------------------------

    def create_program(self, name: str, first_year: int, last_year: int) -> int:
        _text("the program's name", name, required=True, limit=200)
        if not 1900 <= first_year <= last_year <= 9999:
            raise ExerciseInputError("the program's years must run forward (first year, then last year)")
        with self.db.writing() as session:
            if session.exec(select(Program).where(Program.name == name)).first():
                raise ExerciseInputError(f"there is already a program named {name!r}")
            row = Program(name=name, first_year=first_year, last_year=last_year, created_at=self._wall())
            session.add(row)
            session.commit()
            assert row.id is not None
            return row.id

    def add_priority(self, program_id: int, capability: str, why: str) -> None:
        _capability(capability)
        _text("why", why, required=True)
        with self.db.writing() as session:
            self._program(session, program_id)
            taken = session.exec(select(ProgramPriority).where(ProgramPriority.program_id == program_id)).all()
            if any(p.capability == capability for p in taken):
                raise ExerciseInputError(f"{capability} is already a priority of the program")
            session.add(ProgramPriority(program_id=program_id, position=len(taken) + 1, capability=capability, why=why))
            session.commit()

    def plan_exercise(
        self, program_id: int, title: str, planned: date, kind: ExerciseType, capabilities: Sequence[str],
        template: tuple[str, str] | None = None,
    ) -> int:
        """Schedule an exercise; ``template`` names the template (name, version) it is to be made from."""
        _text("the exercise's title", title, required=True, limit=200)
        for c in capabilities:
            _capability(c)
        with self.db.writing() as session:
            program = self._program(session, program_id)
            if not program.first_year <= planned.year <= program.last_year:
                raise ExerciseInputError(
                    f"{planned.isoformat()} is outside the program's years {program.first_year}-{program.last_year}"
                )
            row = ProgramExercise(
                program_id=program_id, title=title, planned_date=planned.isoformat(), exercise_type=kind.value,
                capabilities_json=json.dumps(list(capabilities)), template_name=template[0] if template else None,
                template_version=template[1] if template else None,
            )
            session.add(row)
            session.commit()
            assert row.id is not None
            return row.id

    def record_conducted(self, planned_id: int, exercise_id: int) -> None:
        """The planned exercise was conducted as ``exercise_id`` (created through the exercise service)."""
        with self.db.writing() as session:
            row = session.get(ProgramExercise, planned_id)
            if row is None:
                raise ExerciseInputError(f"no planned exercise {planned_id}")
            if session.get(Exercise, exercise_id) is None:
                raise ExerciseInputError(f"no exercise {exercise_id}")
            if row.exercise_id is not None:
                raise ExerciseInputError(f"{row.title!r} was already conducted as exercise {row.exercise_id}")
            if session.exec(select(ProgramExercise).where(ProgramExercise.exercise_id == exercise_id)).first():
                raise ExerciseInputError(f"exercise {exercise_id} is already in a program's schedule")
            row.exercise_id = exercise_id
            session.add(row)
            session.commit()

    def planned(self, planned_id: int) -> PlannedExercise:
        """One exercise of a program's schedule."""
        with self.db.reading() as session:
            row = session.get(ProgramExercise, planned_id)
            if row is None:
                raise ExerciseInputError(f"no planned exercise {planned_id}")
            return _planned(row)

    def programs(self) -> list[tuple[int, str]]:
        with self.db.reading() as session:
            return [(p.id or 0, p.name) for p in session.exec(select(Program).order_by(col(Program.id)))]

    def plan(self, program_id: int) -> ProgramPlan:
        with self.db.reading() as session:
            program = self._program(session, program_id)
            priorities = session.exec(
                select(ProgramPriority).where(ProgramPriority.program_id == program_id)
                .order_by(col(ProgramPriority.position))
            ).all()
            planned = session.exec(
                select(ProgramExercise).where(ProgramExercise.program_id == program_id)
                .order_by(col(ProgramExercise.planned_date), col(ProgramExercise.id))
            ).all()
        return ProgramPlan(
            program_id, program.name, program.first_year, program.last_year,
            tuple(Priority(p.capability, p.why) for p in priorities), tuple(_planned(p) for p in planned),
        )

    def program_of(self, exercise_id: int) -> int | None:
        with self.db.reading() as session:
            row = session.exec(select(ProgramExercise).where(ProgramExercise.exercise_id == exercise_id)).first()
            return row.program_id if row else None

    def earlier_actions(self, exercise_id: int) -> list[tuple[str, CorrectiveAction]]:
        """The corrective actions of the program's exercises conducted before this one (by planned
        date), each with its exercise's title: what this exercise may re-test."""
        before = self._conducted_before(exercise_id)
        found = self.actions_of([ex for _, ex in before])
        return [(title, a) for title, ex in before for a in found[ex]]

    def earlier_heads(self, exercise_id: int) -> tuple[tuple[str, int, int, str], ...]:
        """Where ``earlier_actions`` stands, cheaply: each earlier exercise's title and the head of its
        corrective actions' history (append-only, so the actions change only when a head moves)."""
        before = self._conducted_before(exercise_id)
        with self.db.reading() as session:
            rows = session.exec(select(ImprovementRecord).where(
                col(ImprovementRecord.exercise_id).in_([ex for _, ex in before]))).all()
        heads = {r.exercise_id: (r.last_seq, r.head_hash) for r in rows}
        return tuple((title, ex, *heads.get(ex, (0, ""))) for title, ex in before)

    def _conducted_before(self, exercise_id: int) -> list[tuple[str, int]]:
        """The program's exercises conducted before this one (by planned date), with their titles."""
        program = self.program_of(exercise_id)
        if program is None:
            return []
        runs = [(e.title, e.exercise_id) for e in self.plan(program).exercises if e.exercise_id is not None]
        return runs[:next(n for n, (_, ex) in enumerate(runs) if ex == exercise_id)]

    @staticmethod
    def _program(session: Session, program_id: int) -> Program:
        program = session.get(Program, program_id)
        if program is None:
            raise ExerciseInputError(f"no program {program_id}")
        return program

    # --- corrective actions ------------------------------------------------------------------

    def finalise(self, caller: Caller, rows: Sequence[Mapping[str, str]]) -> list[CorrectiveAction]:
        """Finalise the exercise's AAR/IP: each improvement-plan row (``ACTION_FIELDS`` plus its
        ``key``) becomes a tracked corrective action, open. A controller's explicit step, once,
        after the end of play."""
        if caller.role is not Role.CONTROLLER:
            raise AccessDenied("only a controller finalises the AAR/IP")
        ex_id = caller.exercise_id
        with self.db.writing() as session:
            exercise = self._ended(session, ex_id)
            if session.get(ImprovementRecord, ex_id) is not None:
                raise ExerciseInputError(f"the AAR/IP of exercise {ex_id} is already finalised")
            start = history.genesis(exercise)
            head = ImprovementRecord(
                exercise_id=ex_id, finalised_at=self._wall(), finalised_by=caller.actor, genesis_hash=start,
                head_hash=start,
            )
            new = [_created(row, caller.actor) for row in rows]
            history.append(session, head, new, head.finalised_at)
            session.commit()
        return self.actions(ex_id)

    def update(
        self, caller: Caller, exercise_id: int, key: str, fields: Mapping[str, str], why: str,
    ) -> CorrectiveAction:
        """Change a corrective action: who (the caller), when (now) and why are kept with it."""
        _text("why", why, required=True)
        if not fields:
            raise ExerciseInputError("nothing to change")
        checked = checked_fields(fields)
        with self.db.writing() as session:
            head = session.get(ImprovementRecord, exercise_id)
            if head is None:
                raise ExerciseInputError(f"the AAR/IP of exercise {exercise_id} is not finalised")
            current = {a.key: a for a in fold(exercise_id, map(history.to_change, history.read(session, exercise_id)))}
            action = current.get(key)
            if action is None:
                raise ExerciseInputError(f"exercise {exercise_id} has no corrective action {key!r}")
            self._may_change(session, caller, action, checked)
            history.append(session, head, [NewChange(key, caller.actor, why, checked)], self._wall())
            session.commit()
        return next(a for a in self.actions(exercise_id) if a.key == key)

    def matrix_scope(self, caller: Caller) -> list[tuple[str, int]]:
        """(title, exercise) of the finalised AAR/IPs a matrix covers: the program's, or this exercise's."""
        program = self.program_of(caller.exercise_id)
        runs = [(e.title, e.exercise_id) for e in self.plan(program).exercises if e.exercise_id] if program else []
        runs = runs or [(self.exercise_name(caller.exercise_id), caller.exercise_id)]
        return [(t, ex) for t, ex in runs if ex is not None and self.finalised(ex)]

    def exercise_name(self, exercise_id: int) -> str:
        """The name an exercise outside any program is known by (its title, when it has none)."""
        with self.db.reading() as session:
            found = session.get(Exercise, exercise_id)
            if found is None:
                raise ExerciseInputError(f"no exercise {exercise_id}")
            return found.name

    def _agencies(self, exercise_id: int) -> dict[str, str]:
        """The exercise's agencies, name -> id, from its scenario snapshot."""
        with self.db.reading() as session:
            exercise = session.get(Exercise, exercise_id)
            assert exercise is not None
            return {a["name"]: a["id"] for a in json.loads(exercise.scenario_json)["agencies"]}

    def export_matrix(self, caller: Caller) -> bytes:
        """The improvement-plan matrix of the caller's program (a player: their agency's rows only)."""
        if caller.role is Role.OBSERVER:
            raise AccessDenied("observers read corrective actions; the matrix is for those who update them")
        scope = self.matrix_scope(caller)
        rows = [(t, a) for t, ex in scope for a in self.actions(ex)
                if caller.role is not Role.PLAYER or a.agency == caller.agency]
        names = sorted({name for _, ex in scope for name in self._agencies(ex)})
        return ip_sheet.export_xlsx(rows, names)

    def import_matrix(self, caller: Caller, data: bytes, name: str) -> int:
        """Read an improvement-plan workbook back: every problem at once (``SheetError``), nothing
        written unless the whole workbook holds; returns the number of rows changed."""
        scope = self.matrix_scope(caller)
        actions = {f"{a.exercise_id}|{a.key}": a for _, ex in scope for a in self.actions(ex)}
        agencies = {str(ex): self._agencies(ex) for _, ex in scope}
        return self.apply_sheet(caller, ip_sheet.read_changes(data, name, actions, agencies))

    def apply_sheet(self, caller: Caller, changes: Sequence[SheetChange]) -> int:
        """Apply an improvement-plan workbook's checked changes, all or none: each kept with who the
        row names, the caller who imported it, and the row's reason."""
        if not changes:
            return 0
        with self.db.writing() as session:
            for exercise_id in sorted({c.exercise_id for c in changes}):
                head = session.get(ImprovementRecord, exercise_id)
                if head is None:
                    raise ExerciseInputError(f"the AAR/IP of exercise {exercise_id} is not finalised")
                current = {a.key: a for a in fold(exercise_id, map(history.to_change, history.read(session, exercise_id)))}
                new = []
                for change in (c for c in changes if c.exercise_id == exercise_id):
                    self._may_change(session, caller, current[change.key], change.fields)
                    if "agency" in change.fields and caller.role is not Role.CONTROLLER:
                        raise AccessDenied("only a controller gives a corrective action to another agency")
                    actor = f"{change.who} (improvement-plan workbook, imported by {caller.actor})"[:200]
                    new.append(NewChange(change.key, actor, change.why, change.fields))
                history.append(session, head, new, self._wall())
            session.commit()
        return len(changes)

    def _may_change(self, session: Session, caller: Caller, action: CorrectiveAction, fields: Mapping[str, str]) -> None:
        if caller.exercise_id != action.exercise_id and not _same_program(session, caller.exercise_id, action.exercise_id):
            raise AccessDenied("this access code is for an exercise outside the action's program")
        if caller.role is Role.OBSERVER:
            raise AccessDenied("observers read corrective actions; they do not change them")
        if caller.role is Role.PLAYER:
            if caller.agency != action.agency:
                raise AccessDenied(f"a player changes only their own agency's actions; this one is {action.agency_name}'s")
            if fields.get("status") in VERDICTS:
                raise AccessDenied("only a controller or an evaluator confirms validated or not validated")

    def actions(self, exercise_id: int) -> list[CorrectiveAction]:
        return self.actions_of([exercise_id])[exercise_id]

    def actions_of(self, exercise_ids: Sequence[int]) -> dict[int, list[CorrectiveAction]]:
        """The corrective actions of several exercises (a page reads a program's): folded again only
        for an exercise whose history's head moved since this process last folded it."""
        heads_query = select(ImprovementRecord.exercise_id, ImprovementRecord.head_hash).where(
            col(ImprovementRecord.exercise_id).in_(list(exercise_ids)))
        with self.db.reading() as session:
            heads = dict(session.exec(heads_query).all())
            stale = [ex for ex in heads if _FOLDED.get((self._key, ex), ("", []))[0] != heads[ex]]
            query = (select(CorrectiveActionChange).where(col(CorrectiveActionChange.exercise_id).in_(stale))
                     .order_by(col(CorrectiveActionChange.exercise_id), col(CorrectiveActionChange.seq)))
            rows = list(session.exec(query)) if stale else []
        for ex in stale:
            _FOLDED[(self._key, ex)] = (heads[ex], fold(ex, [history.to_change(r) for r in rows if r.exercise_id == ex]))
        return {ex: list(_FOLDED[(self._key, ex)][1]) if ex in heads else [] for ex in exercise_ids}

    @property
    def _key(self) -> str:
        return str(self.db.engine.url)

    def history(self, exercise_id: int, key: str | None = None) -> list[Change]:
        with self.db.reading() as session:
            changes = [history.to_change(r) for r in history.read(session, exercise_id)]
        return [c for c in changes if key is None or c.action_key == key]

    def finalised(self, exercise_id: int) -> bool:
        with self.db.reading() as session:
            return session.get(ImprovementRecord, exercise_id) is not None

    def verify_history(self, exercise_id: int) -> HistoryCheck | None:
        """The corrective actions' history checked, or None when the AAR/IP is not finalised."""
        with self.db.reading() as session:
            head = session.get(ImprovementRecord, exercise_id, populate_existing=True)
            exercise = session.get(Exercise, exercise_id, populate_existing=True)
            if head is None or exercise is None:
                return None
            return history.verify(exercise, head, history.read(session, exercise_id))

    @staticmethod
    def _ended(session: Session, exercise_id: int) -> Exercise:
        exercise = session.get(Exercise, exercise_id)
        if exercise is None:
            raise ExerciseInputError(f"no exercise {exercise_id}")
        ended = session.exec(
            select(JournalEntry.id).where(JournalEntry.exercise_id == exercise_id, JournalEntry.kind == EntryKind.CLOCK_ENDED.value)
        ).first()
        if ended is None:
            raise ExerciseInputError("the AAR/IP is finalised after the end of play and the after-action meeting")
        return exercise

    # --- scored summaries ---------------------------------------------------------------------

    def store_summary(self, exercise_id: int, journal_seq: int, journal_head: str, summary: Any) -> None:
        """Keep the exercise's scored summary (replacing an older one: it is derived data)."""
        with self.db.writing() as session:
            row = session.get(ExerciseSummary, exercise_id) or ExerciseSummary(
                exercise_id=exercise_id, journal_seq=0, journal_head="", computed_at=0.0, summary_json="",
            )
            row.journal_seq, row.journal_head, row.computed_at = journal_seq, journal_head, self._wall()
            row.summary_json = json.dumps(summary, ensure_ascii=False, sort_keys=True)
            session.add(row)
            session.commit()

    def journal_head(self, exercise_id: int) -> tuple[int, str]:
        """(last seq, head hash) of the exercise's journal, as its row records them."""
        with self.db.reading() as session:
            exercise = session.get(Exercise, exercise_id, populate_existing=True)
            if exercise is None:
                raise ExerciseInputError(f"no exercise {exercise_id}")
            return exercise.last_seq, exercise.head_hash

    def current_summaries(self, exercise_ids: Sequence[int]) -> dict[int, Any]:
        """The stored summaries still scored at their exercise's journal head. A stored summary never
        changes (a rescore stores a new one), so each is parsed once per process: the program page
        reads twenty of them on every refresh. The dicts are shared: read them, never change them."""
        query = select(
            col(ExerciseSummary.exercise_id), col(ExerciseSummary.journal_seq), col(ExerciseSummary.journal_head),
            col(ExerciseSummary.computed_at),
        ).join(Exercise, col(Exercise.id) == col(ExerciseSummary.exercise_id)).where(
            col(ExerciseSummary.exercise_id).in_(list(exercise_ids)),
            col(ExerciseSummary.journal_seq) == col(Exercise.last_seq),
            col(ExerciseSummary.journal_head) == col(Exercise.head_hash),
        )
        with self.db.reading() as session:
            keys = {row[0]: (str(self.db.engine.url), *row) for row in session.exec(query).all()}
            missing = [ex for ex, key in keys.items() if key not in _PARSED]
            if missing:
                stored = session.exec(select(ExerciseSummary).where(col(ExerciseSummary.exercise_id).in_(missing)))
                for row in stored.all():
                    key = (str(self.db.engine.url), row.exercise_id, row.journal_seq, row.journal_head, row.computed_at)
                    if key == keys[row.exercise_id]:
                        _PARSED[key] = json.loads(row.summary_json)
        return {ex: _PARSED[key] for ex, key in keys.items() if key in _PARSED}

    def stored_summary(self, exercise_id: int) -> tuple[int, str, Any] | None:
        """(journal seq, journal head, summary) as stored, or None."""
        with self.db.reading() as session:
            row = session.get(ExerciseSummary, exercise_id)
            return None if row is None else (row.journal_seq, row.journal_head, json.loads(row.summary_json))


_FOLDED: dict[tuple[str, int], tuple[str, list[CorrectiveAction]]] = {}
"""(database, exercise) -> (history head, actions folded): the history is append-only, so a fold
stays right while its head is unchanged (a changed head is read and folded again)."""


def _planned(row: ProgramExercise) -> PlannedExercise:
    template = (row.template_name, row.template_version or "") if row.template_name else None
    return PlannedExercise(
        row.id or 0, row.title, date.fromisoformat(row.planned_date), ExerciseType(row.exercise_type),
        tuple(json.loads(row.capabilities_json)), template, row.exercise_id,
    )


def _same_program(session: Session, one: int, other: int) -> bool:
    rows = session.exec(select(ProgramExercise).where(col(ProgramExercise.exercise_id).in_([one, other]))).all()
    return len(rows) == 2 and rows[0].program_id == rows[1].program_id


def _created(row: Mapping[str, str], actor: str) -> NewChange:
    fields = {name: str(row.get(name, "")) for name in ACTION_FIELDS}
    fields["status"] = ActionStatus.OPEN.value
    return NewChange(row["key"], actor, "finalised from the AAR/IP's improvement plan", fields)
