"""The program's reading of an exercise: its scored summary (stored once, trended across the
program) and the rows a finalised AAR/IP turns into tracked corrective actions.

Both come from the report's own parts (``aar.scoring`` over ``exercises.scoring``, ``aar.ratings``,
``aar.coordination``, ``aar.report``): nothing here scores or words anything a second time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from statistics import median
from typing import Any

from aar.coordination import coordination
from aar.exercise_report import exercise_report
from aar.model import AfterActionReport, CapabilityRating, Coordination, Finding
from aar.ratings import table1
from aar.record import build_record
from aar.scoring import findings
from exercises.access import Caller
from exercises.program.model import CorrectiveAction
from exercises.program.service import ProgramService
from exercises.record.entries import Entry
from exercises.scenario.model import Scenario
from exercises.scoring import SCORED
from exercises.service.exercise_service import ExerciseService

SUMMARY_FORMAT = 1


def action_rows(report: AfterActionReport) -> list[dict[str, str]]:
    """The improvement plan's rows as the corrective actions' first state, read from the model as
    it stands (with the controllers' edits), never reworded. The owner is kept by id and by name."""
    by_name = {name: agency for agency, name in report.names.agencies.items()}
    return [
        {
            "key": item.key, "capability": item.capability, "element": item.element.value if item.element else "",
            "issue": item.issue, "action": item.corrective_action,
            "agency": by_name.get(item.responsible_agency, ""), "agency_name": item.responsible_agency,
            "point_of_contact": item.point_of_contact,
            "start_date": _iso(item.start_date), "completion_date": _iso(item.completion_date), "notes": "",
        }
        for item in report.improvement_plan
    ]


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def finalise(service: ExerciseService, programs: ProgramService, caller: Caller) -> list[CorrectiveAction]:
    """Finalise the exercise's AAR/IP: its improvement plan becomes tracked corrective actions, and
    the scored summary is stored with it."""
    report = exercise_report(service, caller)
    made = programs.finalise(caller, action_rows(report))
    seq, head = report.integrity.entries, report.integrity.head_hash or ""
    programs.store_summary(caller.exercise_id, seq, head, summary_of(report.findings, report.table1, report.coordination))
    return made


def _median(values: Sequence[float]) -> float | None:
    return float(median(values)) if values else None


def _tally(items: Sequence[Finding]) -> dict[str, Any]:
    scored = [f for f in items if f.status in SCORED]
    critical = [f for f in scored if f.critical]
    return {
        "met": sum(f.status.value == "met" for f in scored), "scored": len(scored),
        "critical_met": sum(f.status.value == "met" for f in critical), "critical_scored": len(critical),
        "critical_statuses": {s.value: n for s, n in Counter(f.status for f in critical).items()},
        "median_response_s": _median([f.response_s for f in scored if f.response_s is not None]),
        "median_deadline_s": _median([f.within_s for f in scored if f.within_s is not None]),
    }


def summary(scenario: Scenario, journal: Sequence[Entry]) -> dict[str, Any]:
    """The exercise's scored summary: per capability and per agency, what the program trends."""
    record = build_record(scenario, journal)
    found = findings(scenario, record)
    return summary_of(found, table1(scenario, record, found), coordination(scenario, record, found))


def summary_of(found: Sequence[Finding], rows: Sequence[CapabilityRating], coord: Coordination) -> dict[str, Any]:
    """The summary from the parts a report already scored (finalising has them: no second scoring)."""
    capabilities: dict[str, Any] = {}
    for capability in sorted({f.capability for f in found} | {r.capability for r in rows}):
        rated = [r.of_record for r in rows if r.capability == capability and r.of_record is not None]
        capabilities[capability] = {
            **_tally([f for f in found if f.capability == capability]),
            "rating": max(rated, key="PSMU".index).value if rated else None,
        }
    agencies: dict[str, Any] = {}
    for traffic in coord.agencies:
        unanswered = sum(m.sender == traffic.agency for m in coord.unanswered_messages)
        agencies[traffic.agency] = {
            **_tally([f for f in found if f.agency == traffic.agency]),
            "name": traffic.name, "messages_lost": traffic.lost, "messages_unanswered": unanswered,
            "requests_unanswered": traffic.requests_unanswered,
        }
    outcomes = [
        {"protocol": f.protocol_id, "instance": f.instance, "capability": f.capability, "agency": f.agency,
         "status": f.status.value, "evidence": [e.seq for e in f.evidence]}
        for f in found
    ]
    return {"format": SUMMARY_FORMAT, "capabilities": capabilities, "agencies": agencies, "findings": outcomes}


def store_summary(service: ExerciseService, programs: ProgramService, caller: Caller) -> dict[str, Any]:
    """Score the exercise once and keep the summary (``hotwash program rescore`` does it again)."""
    scenario = service.scenario(caller)
    record = service.record(caller)
    made = summary(scenario, record.entries)
    programs.store_summary(caller.exercise_id, record.verification.entries, record.verification.head_hash, made)
    return made


def stored_or_scored(service: ExerciseService, programs: ProgramService, exercise_id: int) -> dict[str, Any]:
    """The stored summary while the journal's head is the one it was scored at; otherwise (never
    scored, still running, or a post-exercise entry since) scored again and stored."""
    kept = programs.stored_summary(exercise_id)
    if kept is not None and kept[2].get("format") == SUMMARY_FORMAT and kept[:2] == programs.journal_head(exercise_id):
        return dict(kept[2])
    return store_summary(service, programs, service.operator(exercise_id))
