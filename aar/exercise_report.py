"""The AAR/IP of an exercise held in the database: the one place that gathers what its report rests on.

The console's report page, ``hotwash report EXERCISE`` and the program's stored summaries all call
``exercise_report``, so a report made anywhere carries the same record, clock, contacts, branch
lineage, re-tested corrective actions and the baseline saved with the exercise.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from aar.integrity import record_integrity
from aar.model import AfterActionReport, Retest
from aar.report import build_report, report_options, scored, stored_baseline
from aar.retest import retests
from exercises.access import Caller
from exercises.program.service import ProgramService
from exercises.service.details import ExerciseDetails
from exercises.service.exercise_service import ExerciseService
from sim_engine.batch.results import BatchResult


def exercise_day(details: ExerciseDetails, opened: datetime) -> date:
    """The exercise's day on its cover and forms: the real start when one is set, else the day the
    exercise was opened."""
    return details.real_start.date() if details.real_start is not None else opened.date()


def exercise_report(
    service: ExerciseService,
    caller: Caller,
    programs: ProgramService | None = None,
    *,
    baseline: BatchResult | None = None,
    name: str | None = None,
    dates: tuple[date, date] | None = None,
    marking: str | None = None,
    notes: Sequence[str] = (),
) -> AfterActionReport:
    """The exercise's AAR/IP model as the journal stands. ``baseline`` replaces the one saved with the
    exercise (a baseline run for this report); ``name``, ``dates`` and ``marking`` override the cover."""
    record = service.record(caller)  # the entries and their check from one snapshot
    scenario = service.scenario(caller)
    # The details and the baseline's hash from the record's entries: the journal is read once.
    details = service.exercise_details(caller, record.entries)
    day = exercise_day(details, record.created_at)
    programs = programs if programs is not None else ProgramService(service.db)
    return build_report(
        scenario,
        record.entries,
        exercise_name=name or record.name,
        exercise_dates=dates or (day, day),
        integrity=record_integrity(record.verification),
        baseline=baseline if baseline is not None else stored_baseline(service.saved_baseline(caller, record.entries), scenario),
        marking=marking,
        notes=notes,
        lineage=service.lineage(caller),
        earlier_actions=programs.earlier_actions(caller.exercise_id),
        **report_options(details),
    )


def exercise_retests(service: ExerciseService, caller: Caller, programs: ProgramService | None = None) -> tuple[Retest, ...]:
    """This exercise's re-tests of the program's earlier corrective actions exactly as its AAR/IP
    gives them (the same scoring and the same rule, ``aar.retest.retests``), without the rest of the
    report: what the program page shows, at a fraction of the report's cost."""
    service.require_whole_record(caller)
    options = report_options(service.exercise_details(caller))
    _, found, _, rows = scored(service.scenario(caller), service.journal(caller), real_time=options["real_time"],
                               record_kind=options["record_kind"])
    programs = programs if programs is not None else ProgramService(service.db)
    return tuple(retests(programs.earlier_actions(caller.exercise_id), found, rows))
