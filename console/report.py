"""The after-action report of the signed-in exercise, from service reads (no Streamlit here).

Scoring is a pure function of the scenario and the journal (``aar.report.build_report``); the
record's integrity comes from walking the hash chain in the database (``ExerciseService.verify``).
"""

from __future__ import annotations

import datetime as dt

from aar import ics
from aar.exercise_report import exercise_day as day_of
from aar.exercise_report import exercise_report, exercise_retests
from aar.integrity import record_integrity
from aar.model import AfterActionReport, RecordIntegrity, Retest
from aar.render.pdf import render_pdf
from aar.render.word import render_docx
from console.derived import ViewCache
from exercises.access import Caller
from exercises.documents.incident_log import RealClock
from exercises.program.service import ProgramService
from exercises.service.exercise_service import ExerciseService


def exercise_day(svc: ExerciseService, caller: Caller) -> dt.date:
    """The exercise's day, as its report's cover gives it."""
    opened = next((e.created_at for e in svc.list_exercises() if e.id == caller.exercise_id), None)
    return day_of(svc.exercise_details(caller), opened or dt.datetime.now(dt.UTC))


def integrity(svc: ExerciseService, caller: Caller) -> RecordIntegrity:
    return record_integrity(svc.verify(caller))


def report_version(svc: ExerciseService, caller: Caller, entries: int) -> int:
    """What the report depends on: the journal's length, and (changing without a journal entry)
    the exercise's details, its stored baseline and the program's earlier corrective actions."""
    earlier = ProgramService(svc.db).earlier_heads(caller.exercise_id)
    return hash((entries, svc.saved_baseline(caller), svc.exercise_details(caller), earlier))


def current_report(svc: ExerciseService, cache: ViewCache, caller: Caller) -> AfterActionReport:
    """The report as the journal stands now; recomputed only when something it rests on changed."""
    # The cached report holds every evaluator's rating: checked for this caller before it is handed out.
    svc.require_whole_record(caller)
    entries = svc.journal(caller)

    def build() -> AfterActionReport:
        return exercise_report(svc, caller)

    return cache.get((caller.exercise_id, "all", "report"), report_version(svc, caller, len(entries)), build)


def current_retests(svc: ExerciseService, cache: ViewCache, caller: Caller) -> tuple[Retest, ...]:
    """This exercise's re-tests as its report gives them: the report's own when it was built for this
    version, otherwise only the scoring they rest on (the program page need not wait for a report)."""
    svc.require_whole_record(caller)
    version = report_version(svc, caller, len(svc.journal(caller)))
    built = cache.peek((caller.exercise_id, "all", "report"), version)
    if built is not None:
        return built.retests
    return cache.get((caller.exercise_id, "all", "retests"), version, lambda: exercise_retests(svc, caller))


def report_pdf(svc: ExerciseService, cache: ViewCache, caller: Caller) -> bytes:
    """The AAR/IP as PDF bytes, as of now."""
    report = current_report(svc, cache, caller)
    version = report_version(svc, caller, len(svc.journal(caller)))
    return cache.get((caller.exercise_id, "all", "report_pdf"), version, lambda: render_pdf(report))


def report_docx(svc: ExerciseService, cache: ViewCache, caller: Caller) -> bytes:
    """The AAR/IP as an editable Word document, as of now."""
    report = current_report(svc, cache, caller)
    version = report_version(svc, caller, len(svc.journal(caller)))
    return cache.get((caller.exercise_id, "all", "report_docx"), version, lambda: render_docx(report))


def ics_forms(svc: ExerciseService, caller: Caller, fmt: str, agency: str | None = None) -> bytes:
    """ICS 214 activity logs (one agency, or every agency) and the ICS 205A-style communications
    list, as one PDF or one workbook (``fmt``: 'pdf' or 'xlsx'), from the journal as it stands."""
    scenario, entries = svc.scenario(caller), svc.journal(caller)
    name, day = svc.state(caller).name, exercise_day(svc, caller)
    details = svc.exercise_details(caller)
    clock = RealClock.parse(details.real_start, details.timezone) if details.real_start and details.timezone else None
    agencies = [agency] if agency else [a.id for a in scenario.agencies]
    forms: list[tuple[str, ics.Ics214 | ics.Ics205a]] = [
        (scenario.agency(a).name, ics.ics214(scenario, entries, a, incident_name=name, day=day, clock=clock))
        for a in agencies
    ]
    forms.append(("ICS 205A", ics.ics205a(scenario, entries, incident_name=name, day=day, clock=clock)))
    return ics.render_pdf([f for _, f in forms]) if fmt == "pdf" else ics.render_xlsx(forms)
