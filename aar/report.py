"""``build_report``: the whole after-action report as data, from the scenario and the journal."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

from aar.baseline import comparisons
from aar.coordination import coordination
from aar.improvement import apply_edits, draft
from aar.model import (
    SHORTFALLS,
    AfterActionReport,
    Finding,
    Overview,
    Participant,
    RecordIntegrity,
    Status,
    TimelineMark,
)
from aar.public_information import public_information
from aar.ratings import objective_analysis, table1
from aar.record import Record, build_record
from aar.scoring import compliance_by_agency, compliance_by_protocol, findings
from exercises.entries import ActionLogged, Entry, InjectDelivered, LinkDown
from exercises.scenario import Scenario
from sim_engine.results import BatchResult


def overview(scenario: Scenario, record: Record) -> Overview:
    capabilities = dict.fromkeys(c for o in scenario.objectives for c in o.capabilities)
    capabilities.update(dict.fromkeys(p.capability for p in scenario.protocols))
    return Overview(
        scenario_id=scenario.id,
        scenario_name=scenario.name,
        kind=scenario.kind.value,
        exercise_type=scenario.exercise_type,
        duration_s=scenario.duration,
        location=scenario.location,
        sponsor=scenario.sponsor,
        lead_agency=scenario.lead_agency,
        mission_areas=tuple(m.value for m in scenario.mission_areas),
        capabilities=tuple(capabilities),
        objectives=tuple((o.id, o.text) for o in scenario.objectives),
        threat_or_hazard=scenario.threat_or_hazard,
        summary=scenario.summary,
        plans=tuple((p.id, p.name, p.authority) for p in scenario.plans),
        injects=len(record.injects),
        played_from=record.started_at,
        played_to=record.end if record.entries else None,
    )


def participants(scenario: Scenario, record: Record) -> list[Participant]:
    per_agency = Counter(e.agency for e in record.entries if e.agency)
    return [
        Participant(
            id=a.id,
            name=a.name,
            kind=a.kind.value,
            played_by=a.played_by.value,
            resources=dict(a.resources),
            entries=per_agency[a.id],
        )
        for a in scenario.agencies
    ]


def timeline(record: Record, found: Sequence[Finding]) -> list[TimelineMark]:
    marks: list[TimelineMark] = []
    for e in record.entries:
        p = e.payload
        if isinstance(p, InjectDelivered):
            marks.append(TimelineMark(at=e.at, lane="msel", kind="inject", label=p.inject_id, seq=e.seq))
        elif isinstance(p, ActionLogged) and e.agency:
            marks.append(TimelineMark(at=e.at, lane=e.agency, kind="action", label=p.action, seq=e.seq))
        elif isinstance(p, LinkDown):
            marks.append(
                TimelineMark(at=e.at, lane="msel", kind="link_down", label="-".join(p.between), seq=e.seq)
            )
    for f in found:
        if f.status not in SHORTFALLS:
            continue
        at = f.done_at if f.status is not Status.MISSED else f.deadline_at
        if at is not None:
            marks.append(TimelineMark(at=at, lane=f.agency, kind=f.status.value, label=f.protocol_id))
    marks.sort(key=lambda m: (m.at, m.seq or 0))
    return marks


def build_report(
    scenario: Scenario,
    journal: Sequence[Entry],
    *,
    exercise_name: str,
    exercise_dates: tuple[date, date],
    integrity: RecordIntegrity,
    baseline: BatchResult | None = None,
    marking: str | None = None,
    notes: Sequence[str] = (),
) -> AfterActionReport:
    """Score the journal against the scenario's protocols and gather everything the AAR/IP shows."""
    record = build_record(scenario, journal)
    found = findings(scenario, record)
    rows = table1(scenario, record, found)
    coord = coordination(scenario, record)
    traffic = {a.agency: a for a in coord.agencies}
    plan, edit_notes = apply_edits(draft(scenario, record, found, traffic, exercise_dates[1]), record)
    notes = [*notes, *edit_notes]
    if baseline is not None and baseline.scenario_id != scenario.id:
        notes.append(
            f"The simulated baseline is for scenario {baseline.scenario_id!r}, not {scenario.id!r}; left out."
        )
        baseline = None
    if record.voided or record.corrected_by:
        notes.append(
            f"{len(record.corrections)} correction(s) applied: {len(record.voided)} entr(y/ies) voided, "
            f"{len(record.corrected_by)} replaced; evidence names the correcting entry."
        )
    return AfterActionReport(
        exercise_name=exercise_name,
        exercise_dates=exercise_dates,
        marking=marking or None,
        overview=overview(scenario, record),
        findings=tuple(found),
        by_protocol=tuple(compliance_by_protocol(scenario, found)),
        by_agency=tuple(compliance_by_agency(scenario, found)),
        table1=tuple(rows),
        objectives=tuple(objective_analysis(scenario, record, found, rows)),
        coordination=coord,
        baseline=comparisons(scenario, found, baseline) if baseline is not None else None,
        improvement_plan=tuple(plan),
        public_information=public_information(scenario, record, baseline),
        participants=tuple(participants(scenario, record)),
        timeline=tuple(timeline(record, found)),
        integrity=integrity,
        notes=tuple(notes),
    )
