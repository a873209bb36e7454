"""``build_report``: the whole after-action report as data, from the scenario and the journal."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from aar.baseline import comparisons
from aar.branch import branch_origin
from aar.clock import evidence_text
from aar.conduct import conduct_sentence
from aar.coordination import coordination
from aar.credit import of_people, simulation_sentence
from aar.drafting import accepted
from aar.evaluation_panel import evaluation_panel, with_final_ratings
from aar.feedback import feedback
from aar.hot_wash import hot_wash
from aar.improvement import apply_edits, draft
from aar.information import improvement_rows as information_rows
from aar.information import information_marks, with_information
from aar.legal import KIND_TITLE, LEGAL_TITLE, improvement_rows, legal_review
from aar.model import (
    SHORTFALLS,
    AfterActionReport,
    CapabilityRating,
    Contact,
    EvaluationPanel,
    ExecutiveSummary,
    Finding,
    InformationFailure,
    LegalReview,
    Note,
    ObjectiveAnalysis,
    Overview,
    Participant,
    RealTime,
    RecordIntegrity,
    Status,
    SummaryPoint,
    TimelineMark,
)
from aar.names import Names, quantity
from aar.parties import party_messages
from aar.public_information import public_information
from aar.ratings import objective_analysis, table1
from aar.record import Record, build_record
from aar.retest import retests
from aar.scoring import compliance_by_agency, compliance_by_protocol, findings
from exercises.access import Role, person_of
from exercises.program.model import CorrectiveAction
from exercises.record.entries import ActionLogged, Development, Entry, InjectDelivered, LinkDown
from exercises.scenario.model import Scenario
from exercises.service.branching import Lineage
from exercises.service.details import ExerciseDetails
from sim_engine.batch.results import BatchResult


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
        conduct=conduct_sentence(record, scenario.duration),
        developments=tuple((e.at, record.names.development(e.payload, e.agency, incident=False)) for e in record.entries
                           if isinstance(e.payload, Development) and e.payload.model == "general"),
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


def timeline(record: Record, found: Sequence[Finding], failures: Sequence[InformationFailure] = ()) -> list[TimelineMark]:
    names = record.names
    marks: list[TimelineMark] = []
    for e in record.entries:
        p = e.payload
        if isinstance(p, InjectDelivered):
            marks.append(TimelineMark(at=e.at, lane="msel", kind="inject", label=p.inject_id, seq=e.seq))
        elif isinstance(p, ActionLogged) and e.agency:
            marks.append(TimelineMark(at=e.at, lane=e.agency, kind="action", label=names.action(p.action), seq=e.seq))
        elif isinstance(p, LinkDown):
            marks.append(
                TimelineMark(at=e.at, lane="msel", kind="link_down", label=names.link(p.between), seq=e.seq)
            )
    for f in found:
        if f.status not in SHORTFALLS:
            continue
        at = f.done_at if f.status is not Status.MISSED else f.deadline_at
        if at is not None:
            marks.append(TimelineMark(at=at, lane=f.agency, kind=f.status.value, label=f.protocol_title))
    marks += information_marks(failures)
    marks.sort(key=lambda m: (m.at, m.seq or 0))
    return marks


MAX_SUMMARY_POINTS = 5


def _points(notes: Sequence[Note], real: RealTime | None, real_incident: bool) -> tuple[SummaryPoint, ...]:
    out = []
    for note in notes[:MAX_SUMMARY_POINTS]:
        if note.source == "evaluator":
            where = f"evaluator observation, entry {note.seq}"
        else:
            where = evidence_text(note.evidence, real, real_incident) or "--"
        out.append(SummaryPoint(capability=note.capability, text=note.text, evidence=where))
    return tuple(out)


def _severity(note: Note) -> tuple[int, int]:
    order = {Status.MISSED: 0, Status.OUT_OF_ORDER: 1, Status.LATE: 2}
    return (order.get(note.finding_status, 3) if note.finding_status else 3, note.seq or 0)


def executive_summary(
    name: str, overview_: Overview, analyses: Sequence[ObjectiveAnalysis], found: Sequence[Finding],
    participants_: Sequence[Participant], real: RealTime | None, real_incident: bool, names: Names,
) -> ExecutiveSummary:
    """The exercise in a paragraph, then the major strengths and primary areas for improvement,
    each drawn from the findings and observations with its evidence."""
    scored = [f for f in of_people(found) if f.status in (Status.MET, *SHORTFALLS)]
    met = sum(f.status is Status.MET for f in scored)
    what = (
        f"This report reviews the response to a real-world incident at {overview_.location}: {overview_.summary}"
        if real_incident
        else f"{name} was a {overview_.exercise_type.replace('_', ' ')} exercise of a "
        f"{overview_.kind.replace('_', ' ')} scenario at {overview_.location}: {overview_.summary}"
    )
    text = (
        f"{what.rstrip('.')}. {len(participants_)} organizations took part. Held against the response plans, "
        f"{met} of {len(scored)} scored protocol instances were met"
        + (f" ({met / len(scored):.0%})." if scored else ".")
    )
    text += f" {overview_.conduct}" if overview_.conduct else ""
    simulated = simulation_sentence(found, names)
    text += f" {simulated}" if simulated else ""
    strengths = [n for a in analyses for n in a.strengths]
    critical = {f.protocol_id for f in found if f.critical}
    areas = sorted(
        (n for a in analyses for n in a.areas_for_improvement if n.protocol_id in critical or n.source == "evaluator"),
        key=_severity,
    )
    seen: set[str] = set()
    primary = []
    for note in areas:  # one point per protocol: its worst instance
        if note.protocol_id in seen:
            continue
        if note.protocol_id:
            seen.add(note.protocol_id)
        primary.append(note)
    return ExecutiveSummary(
        overview=text,
        strengths=_points(strengths, real, real_incident),
        areas_for_improvement=_points(primary, real, real_incident),
    )


def with_legal(
    summary: ExecutiveSummary, legal: LegalReview | None, real: RealTime | None, real_incident: bool
) -> ExecutiveSummary:
    """The summary naming the legal section first among the areas for improvement when it holds a
    finding (an overreach, a disclosure, a missing log, a rights step not met)."""
    if legal is None or not (legal.findings or legal.shortfalls):
        return summary
    kinds = Counter(KIND_TITLE[f.kind].lower() for f in legal.findings)
    parts = [f"{kind} ({n})" for kind, n in kinds.items()]
    if legal.shortfalls:
        parts.append(f"{quantity(len(legal.shortfalls), 'rights step')} not met in time")
    trail = [ev for f in legal.findings for ev in f.evidence] + [ev for f in legal.shortfalls for ev in f.evidence]
    first = legal.findings[0].capability if legal.findings else legal.shortfalls[0].capability
    point = SummaryPoint(
        capability=first,
        text=f"Legal authority, civil rights and privacy: {'; '.join(parts)}. The section \u201c{LEGAL_TITLE}\u201d "
             "gives each with its evidence and the rule it breaks.",
        evidence=evidence_text(trail, real, real_incident) or "--",
    )
    return summary.model_copy(update={"areas_for_improvement": (point, *summary.areas_for_improvement)})


MEANING = {"P": "performed without challenges", "S": "performed with some challenges",
           "M": "performed with major challenges", "U": "unable to be performed"}


def conclusion(
    analyses: Sequence[ObjectiveAnalysis], names: Names, items: int, unset: int, real_incident: bool
) -> tuple[str, ...]:
    """What the ratings add up to, which objectives need attention first, and what comes next."""
    rated = [a for a in analyses if a.rating is not None]
    tally = {r: sum(a.rating is not None and a.rating.value == r for a in rated) for r in MEANING}
    parts = [f"{n} rated {r} ({MEANING[r]})" for r, n in tally.items() if n]
    if len(rated) < len(analyses):
        unrated = len(analyses) - len(rated)
        parts.append(f"{unrated} not rated (nothing mapped to {'it' if unrated == 1 else 'them'} was triggered)")
    what = "The response" if real_incident else "The exercise"
    out = [f"{what} assessed {quantity(len(analyses), 'objective')}: {', '.join(parts)}."]
    worst = [a for a in rated if a.rating is not None and a.rating.value in ("U", "M")]
    if worst:
        named = "; ".join(
            f"{names.objective(a.objective).rstrip('.') if a.objective else 'other capabilities'} ({a.rating.value})"
            for a in worst if a.rating is not None
        )
        out.append(f"Most in need of attention: {named}. Their areas for improvement and evidence are in "
                   "the Analysis of Core Capabilities.")
    out.append(
        f"Appendix A lists {quantity(items, 'improvement item')} for the after-action meeting"
        + (f"; {unset} of them still need a capability element" if unset else "")
        + ". Start and completion dates, points of contact and corrective actions are set there and "
        "tracked to completion."
    )
    return tuple(out)


def people_who_ran(record: Record) -> list[Contact]:
    """The controllers and evaluators who signed in by name, in the order they first wrote to the
    record: the people who ran the exercise."""
    seen: dict[tuple[str, str], Contact] = {}
    for e in record.entries:
        found = person_of(e.actor)
        if found is not None and found[0] in (Role.CONTROLLER, Role.EVALUATOR):
            role = "Controller" if found[0] is Role.CONTROLLER else "Evaluator"
            seen.setdefault((role, found[1]), Contact(role=role, name=found[1]))
    return list(seen.values())


def points_of_contact(
    scenario: Scenario, override: Sequence[Contact] = (), record: Record | None = None
) -> tuple[Contact, ...]:
    """The scenario's points of contact, each replaced by the one set for the exercise when given,
    then the people who ran it (``people_who_ran``)."""
    given = {c.role: c for c in override}
    poc = scenario.points_of_contact
    out = []
    for role, person in (
        ("Exercise director", poc.exercise_director),
        ("Evaluation lead", poc.evaluation_lead),
        ("Sponsor", poc.sponsor),
    ):
        if role in given:
            out.append(given[role])
        elif person is not None:
            out.append(Contact(role=role, name=person.name, organization=person.organization or "",
                               contact=person.contact or ""))
    named = {(c.role, c.name) for c in out}
    out += [c for c in people_who_ran(record) if (c.role, c.name) not in named] if record is not None else []
    return tuple(out)


def report_options(details: ExerciseDetails) -> dict[str, Any]:
    """What an exercise's details add to ``build_report``: its record kind, clock and contacts."""
    real = (
        RealTime(start=details.real_start, timezone=details.timezone)
        if details.real_start is not None and details.timezone
        else None
    )
    contacts = [Contact(role=c.role, name=c.name, organization=c.organization, contact=c.contact)
                for c in details.contacts]
    return {"record_kind": details.record_kind, "real_time": real, "contacts": contacts}


def stored_baseline(text: str | None, scenario: Scenario) -> BatchResult | None:
    """A baseline kept with the exercise, when it is one and is for this scenario."""
    if not text:
        return None
    try:
        batch = BatchResult.model_validate_json(text)
    except ValueError:
        return None
    return batch if batch.scenario_id == scenario.id else None


def scored(
    scenario: Scenario, journal: Sequence[Entry], *, real_time: RealTime | None = None, record_kind: str = "exercise",
) -> tuple[Record, list[Finding], EvaluationPanel | None, list[CapabilityRating]]:
    """The record, its findings, the evaluation team's panel and Table 1 with its final ratings: what
    the report rests on, and all the program page needs for this exercise's re-tests (which it reads
    without building the rest of the report)."""
    record = replace(
        build_record(scenario, journal), real_time=real_time, real_incident=record_kind == "real_incident"
    )
    found = findings(scenario, record)
    panel = evaluation_panel(record, record.names.agencies)
    return record, found, panel, with_final_ratings(table1(scenario, record, found), panel)


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
    record_kind: str = "exercise",
    real_time: RealTime | None = None,
    contacts: Sequence[Contact] = (),
    lineage: Lineage | None = None,
    earlier_actions: Sequence[tuple[str, CorrectiveAction]] = (),
) -> AfterActionReport:
    """Score the journal against the scenario's protocols and gather everything the AAR/IP shows.
    ``lineage``: for a branched exercise, where it came from (``ExerciseService.lineage``)."""
    record, found, panel, rows = scored(scenario, journal, real_time=real_time, record_kind=record_kind)
    coord = coordination(scenario, record, found)
    legal = legal_review(scenario, record, found)
    plan, edit_notes = apply_edits([*draft(scenario, record, of_people(found)), *improvement_rows(legal),
                                   *information_rows(coord.failures, record)], record)
    notes = [*notes, *edit_notes]
    if baseline is not None and baseline.scenario_id != scenario.id:
        notes.append(
            f"The simulated baseline is for scenario {baseline.scenario_id!r}, not {scenario.id!r}; left out."
        )
        baseline = None
    if record.voided or record.corrected_by:
        notes.append(
            f"{quantity(len(record.corrections), 'correction')} applied: {quantity(len(record.voided), 'entry')} voided, "
            f"{len(record.corrected_by)} replaced; evidence names the correcting entry."
        )
    if record.after_end:
        notes.append(
            f"{quantity(len(record.after_end), 'entry')} recorded after the end of play (post-exercise "
            "observations, corrections and improvement-plan edits by controllers and evaluators), "
            "marked as after the end."
        )
    real_incident = record_kind == "real_incident"
    analyses = objective_analysis(scenario, record, found, rows)
    ov = overview(scenario, record)
    people = participants(scenario, record)
    return AfterActionReport(
        post_exercise=tuple(sorted(record.after_end)),
        names=record.names,
        record_kind="real_incident" if real_incident else "exercise",
        real_time=real_time,
        executive_summary=with_legal(with_information(
            executive_summary(exercise_name, ov, analyses, found, people, real_time, real_incident, record.names),
            coord.failures, record), legal, real_time, real_incident),
        conclusion=conclusion(analyses, record.names, len(plan), sum(i.element is None for i in plan), real_incident),
        points_of_contact=points_of_contact(scenario, contacts, record),
        exercise_name=exercise_name,
        exercise_dates=exercise_dates,
        marking=marking or None,
        overview=ov,
        findings=tuple(found),
        by_protocol=tuple(compliance_by_protocol(scenario, found)),
        by_agency=tuple(compliance_by_agency(scenario, found)),
        table1=tuple(rows),
        objectives=tuple(analyses),
        coordination=coord,
        baseline=comparisons(scenario, found, baseline) if baseline is not None else None,
        improvement_plan=tuple(plan),
        public_information=public_information(scenario, record, baseline),
        legal=legal,
        retests=tuple(retests(earlier_actions, found, rows)),
        evaluation=panel,
        analyses=tuple(accepted(record).values()),
        hot_wash=hot_wash(record),
        feedback=feedback(record),
        participants=tuple(people),
        timeline=tuple(timeline(record, found, coord.failures)),
        integrity=integrity,
        notes=tuple(notes),
        branch=branch_origin(scenario, lineage, found) if lineage is not None else None,
        party_messages=tuple(party_messages(scenario, record)),
    )
