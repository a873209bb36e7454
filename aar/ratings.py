"""P / S / M / U ratings per core capability and objective, and the analysis notes under them.

The computed rating of a capability comes from the findings of the protocols mapped to it (its
critical tasks), of agencies people played: the simulation's results are never rated (``aar.credit``). The rule (also in docs/report.md), applied to scored findings only (met, late,
missed, out of order; not 'not triggered' nor 'not due by end of play'):

- U: a critical task was missed (never done when required);
- M: a critical task was out of order, or late by more than its own allowance (took over twice
  the time allowed), or a non-critical task was missed;
- S: any other late or out-of-order task;
- P: every scored task was met;
- none: nothing mapped to the capability was scored.

An evaluator's rating (``ObservationRecorded.rating``) is the rating of record when given: the
latest one for that capability (and that objective, or none named).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from aar.credit import of_people
from aar.model import (
    SHORTFALLS,
    CapabilityRating,
    EvaluatorRating,
    Finding,
    Note,
    ObjectiveAnalysis,
    Status,
)
from aar.names import quantity
from aar.record import Record
from aar.scoring import count, finding_sentence
from exercises.record.entries import Entry, ObservationRecorded
from exercises.scenario.durations import format_span
from exercises.scenario.model import Rating, Scenario
from exercises.scoring import SCORED

RATING_ORDER: dict[Rating, int] = {Rating.P: 0, Rating.S: 1, Rating.M: 2, Rating.U: 3}


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def worst(ratings: Iterable[Rating | None]) -> Rating | None:
    present = [r for r in ratings if r is not None]
    return max(present, key=RATING_ORDER.__getitem__) if present else None


def _names(items: Sequence[Finding]) -> str:
    ids = list(dict.fromkeys(f"{f.protocol_title} ({f.agency_name or f.agency})" for f in items))
    return ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def computed_rating(items: Sequence[Finding]) -> tuple[Rating | None, str]:
    """The capability rating its critical tasks earn, with the reason in words."""
    scored = [f for f in items if f.status in SCORED]
    if not scored:
        return None, "No protocol mapped to this capability was triggered."
    crit = [f for f in scored if f.critical]
    missed = [f for f in crit if f.status is Status.MISSED]
    if missed:
        return Rating.U, f"Critical task missed: {_names(missed)}."
    disorder = [f for f in crit if f.status is Status.OUT_OF_ORDER]
    very_late = [
        f for f in crit if f.status is Status.LATE and f.within_s and (f.late_by_s or 0) > f.within_s
    ]
    minor_missed = [f for f in scored if f.status is Status.MISSED]
    if disorder or very_late or minor_missed:
        parts = []
        if disorder:
            parts.append(f"critical task out of order: {_names(disorder)}")
        if very_late:
            parts.append(f"critical task took over twice its allowed time: {_names(very_late)}")
        if minor_missed:
            parts.append(f"non-critical task missed: {_names(minor_missed)}")
        return Rating.M, _sentence("; ".join(parts)) + "."
    shortfalls = [f for f in scored if f.status in SHORTFALLS]
    if shortfalls:
        return Rating.S, f"Late or out of order: {_names(shortfalls)}."
    if len(scored) == 1:
        return Rating.P, "Its one scored task instance was met."
    return Rating.P, f"All {quantity(len(scored), 'scored task instance')} met."


def observations(record: Record) -> list[Entry]:
    return [e for e in record.entries if isinstance(e.payload, ObservationRecorded)]


def _applies(obs: ObservationRecorded, capability: str, objective: str | None) -> bool:
    """Whether the observation's rating rates this capability (under this objective). One recorded
    against an EEG capability target rates that target, not the capability (aar.eeg)."""
    return (obs.target is None and obs.capability == capability
            and (obs.objective is None or obs.objective == objective))


def _rows(scenario: Scenario, record: Record, found: Sequence[Finding]) -> list[tuple[str | None, str]]:
    rows: list[tuple[str | None, str]] = [(o.id, c) for o in scenario.objectives for c in o.capabilities]
    in_objectives = {c for _, c in rows}
    extra = [p.capability for p in scenario.protocols] + [
        e.payload.capability for e in observations(record) if isinstance(e.payload, ObservationRecorded)
    ]
    rows += [(None, c) for c in dict.fromkeys(extra) if c not in in_objectives]
    return rows


def table1(scenario: Scenario, record: Record, found: Sequence[Finding]) -> list[CapabilityRating]:
    """Table 1 of the AAR: objective, core capability, computed and evaluator ratings."""
    objective_text = {o.id: o.text for o in scenario.objectives}
    obs = observations(record)
    out = []
    for objective, capability in _rows(scenario, record, found):
        items = [f for f in of_people(found) if f.capability == capability]
        computed, reason = computed_rating(items)
        if computed is None and any(f.capability == capability and f.status in SCORED for f in found):
            reason = ("Only agencies the simulation played acted on this capability: the simulation's "
                      "results are not rated.")
        rated = []
        for e in obs:
            p = e.payload
            assert isinstance(p, ObservationRecorded)
            if p.rating is not None and _applies(p, capability, objective):
                rated.append(
                    EvaluatorRating(
                        seq=e.seq,
                        at=e.at,
                        actor=e.actor,
                        capability=p.capability,
                        objective=p.objective,
                        critical_task=p.critical_task,
                        rating=p.rating,
                        after_end=record.recorded_after_end(e.seq),
                    )
                )
        latest = max(rated, key=lambda r: (r.at, r.seq)) if rated else None
        out.append(
            CapabilityRating(
                objective=objective,
                objective_text=objective_text.get(objective or ""),
                capability=capability,
                computed=computed,
                computed_reason=reason,
                evaluator=tuple(rated),
                of_record=latest.rating if latest else computed,
                tasks=count(capability, capability, items),
            )
        )
    return out


def _finding_notes(items: Sequence[Finding], record: Record) -> tuple[list[Note], list[Note]]:
    strengths: list[Note] = []
    areas: list[Note] = []
    by_protocol: dict[str, list[Finding]] = {}
    for f in items:
        by_protocol.setdefault(f.protocol_id, []).append(f)
    for pid, group in by_protocol.items():
        first = group[0]
        met = [f for f in group if f.status is Status.MET]
        scored = [f for f in group if f.status in SCORED]
        if met and len(met) == len(scored):
            fastest = min((f.response_s for f in met if f.response_s is not None), default=None)
            when = "" if fastest is None or first.before_trigger else f"; fastest {format_span(fastest)}"
            deadline = (
                "before its trigger" if first.before_trigger else f"within {format_span(first.within_s or 0)}"
            )
            strengths.append(
                Note(
                    capability=first.capability,
                    text=(
                        f"{first.protocol_title} ({first.agency_name}): met {len(met)} of {len(scored)} "
                        f"{'time' if len(scored) == 1 else 'times'}, {deadline}{when}."
                    ),
                    source="finding",
                    protocol_id=pid,
                    finding_status=Status.MET,
                    evidence=tuple(ev for f in met[:3] for ev in f.evidence),
                )
            )
        for f in group:
            if f.status in SHORTFALLS:
                areas.append(
                    Note(
                        capability=f.capability,
                        text=f"{f.protocol_title} ({f.agency_name}): {finding_sentence(f, record)}",
                        source="finding",
                        protocol_id=pid,
                        finding_status=f.status,
                        evidence=f.evidence,
                    )
                )
    return strengths, areas


def _evaluator_notes(
    obs: Sequence[Entry], capabilities: Sequence[str], objective: str | None, record: Record
) -> tuple[list[Note], list[Note]]:
    strengths: list[Note] = []
    areas: list[Note] = []
    for e in obs:
        p = e.payload
        assert isinstance(p, ObservationRecorded)
        if p.capability not in capabilities or (objective is not None and p.objective not in (None, objective)):
            continue
        if objective is None and p.objective is not None:
            continue
        late = record.recorded_after_end(e.seq)
        if p.strengths.strip():
            strengths.append(
                Note(capability=p.capability, text=p.strengths, source="evaluator", seq=e.seq, after_end=late)
            )
        if p.areas_for_improvement.strip():
            areas.append(
                Note(
                    capability=p.capability, text=p.areas_for_improvement, source="evaluator", seq=e.seq,
                    after_end=late,
                )
            )
    return strengths, areas


def objective_analysis(
    scenario: Scenario, record: Record, found: Sequence[Finding], rows: Sequence[CapabilityRating]
) -> list[ObjectiveAnalysis]:
    """Per objective: its rating, strengths and areas for improvement, each with its evidence."""
    obs = observations(record)
    groups: list[tuple[str | None, str, tuple[str, ...]]] = [
        (o.id, o.text, o.capabilities) for o in scenario.objectives
    ]
    others = tuple(dict.fromkeys(r.capability for r in rows if r.objective is None))
    if others:
        groups.append((None, "Other capabilities assessed (not named by an objective)", others))
    out = []
    for objective, text, capabilities in groups:
        items = [f for f in of_people(found) if f.capability in capabilities]
        strengths, areas = _finding_notes(items, record)
        ev_strengths, ev_areas = _evaluator_notes(obs, capabilities, objective, record)
        out.append(
            ObjectiveAnalysis(
                objective=objective,
                text=text,
                capabilities=capabilities,
                rating=worst(r.of_record for r in rows if r.objective == objective),
                strengths=tuple(strengths + ev_strengths),
                areas_for_improvement=tuple(areas + ev_areas),
            )
        )
    return out
