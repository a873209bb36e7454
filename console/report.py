"""The after-action report of the signed-in exercise, from service reads (no Streamlit here).

Scoring is a pure function of the scenario and the journal (``aar.report.build_report``); the
record's integrity comes from walking the hash chain in the database (``ExerciseService.verify``).
"""

from __future__ import annotations

import datetime as dt

from aar import ics
from aar.model import AfterActionReport, RecordIntegrity
from aar.pdf import render_pdf
from aar.report import build_report
from console.derived import ViewCache
from exercises.access import Caller
from exercises.service import ExerciseService


def exercise_dates(svc: ExerciseService, caller: Caller) -> tuple[dt.date, dt.date]:
    """From the day the exercise was opened to today (or that day, when it is today)."""
    opened = next((e.created_at.date() for e in svc.list_exercises() if e.id == caller.exercise_id), None)
    today = dt.datetime.now(dt.UTC).date()
    start = opened or today
    return start, max(start, today)


def integrity(svc: ExerciseService, caller: Caller) -> RecordIntegrity:
    checked = svc.verify(caller)
    return RecordIntegrity(
        entries=checked.entries,
        intact=checked.ok,
        head_hash=checked.head_hash,
        first_broken_seq=checked.broken_seq,
    )


def current_report(svc: ExerciseService, cache: ViewCache, caller: Caller) -> AfterActionReport:
    """The report as the journal stands now; recomputed only when the journal has grown."""
    entries = svc.journal(caller)
    head = entries[-1].seq if entries else 0

    def build() -> AfterActionReport:
        state = svc.state(caller)
        return build_report(
            svc.scenario(caller),
            entries,
            exercise_name=state.name,
            exercise_dates=exercise_dates(svc, caller),
            integrity=integrity(svc, caller),
        )

    return cache.get((caller.exercise_id, "all", "report"), head, build)


def report_pdf(svc: ExerciseService, cache: ViewCache, caller: Caller) -> bytes:
    """The AAR/IP as PDF bytes, as of now."""
    report = current_report(svc, cache, caller)
    entries = svc.journal(caller)
    head = entries[-1].seq if entries else 0
    return cache.get((caller.exercise_id, "all", "report_pdf"), head, lambda: render_pdf(report))


def ics_forms(svc: ExerciseService, caller: Caller, fmt: str, agency: str | None = None) -> bytes:
    """ICS 214 activity logs (one agency, or every agency) and the ICS 205A-style communications
    list, as one PDF or one workbook (``fmt``: 'pdf' or 'xlsx'), from the journal as it stands."""
    scenario, entries = svc.scenario(caller), svc.journal(caller)
    name, day = svc.state(caller).name, exercise_dates(svc, caller)[0]
    agencies = [agency] if agency else [a.id for a in scenario.agencies]
    forms: list[tuple[str, ics.Ics214 | ics.Ics205a]] = [
        (scenario.agency(a).name, ics.ics214(scenario, entries, a, incident_name=name, day=day)) for a in agencies
    ]
    forms.append(("ICS 205A", ics.ics205a(scenario, entries, incident_name=name, day=day)))
    return ics.render_pdf([f for _, f in forms]) if fmt == "pdf" else ics.render_xlsx(forms)
