"""The evaluation team as the journal records it: assignments, the lead evaluator, and which
capability ratings are withheld from whom until the lead evaluator reconciles them.

HSEEP keeps each evaluator's ratings apart so that one does not anchor another: an evaluator
reads their own ratings and the reconciled ones; the lead evaluator, controllers and observers
read every rating. A rating is unreconciled until a reconciliation of its capability (and
objective) is recorded after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from exercises.access import Caller, Role
from exercises.record.entries import CapabilityRated, Entry, EvaluatorAssigned, RatingReconciled


@dataclass(frozen=True)
class Assignment:
    """Who evaluates what: a capability, an agency, both, or (lead) the whole exercise."""

    evaluator: str
    capability: str | None
    agency: str | None
    lead: bool
    seq: int


def assignments(entries: Sequence[Entry]) -> list[Assignment]:
    return [
        Assignment(e.payload.evaluator, e.payload.capability, e.payload.agency, e.payload.lead, e.seq)
        for e in entries
        if isinstance(e.payload, EvaluatorAssigned)
    ]


def lead_evaluator(entries: Sequence[Entry]) -> str | None:
    """The name of the lead evaluator: the latest one a controller named, if any."""
    leads = [a.evaluator for a in assignments(entries) if a.lead]
    return leads[-1] if leads else None


def is_lead(caller: Caller, entries: Sequence[Entry]) -> bool:
    lead = lead_evaluator(entries)
    return caller.role is Role.EVALUATOR and lead is not None and caller.name == lead


def unreconciled(entries: Sequence[Entry]) -> set[int]:
    """The seqs of capability ratings with no reconciliation of their capability recorded after them."""
    last_reconciled: dict[tuple[str, str | None], int] = {}
    for e in entries:
        if isinstance(e.payload, RatingReconciled):
            last_reconciled[(e.payload.capability, e.payload.objective)] = e.seq
    return {
        e.seq
        for e in entries
        if isinstance(e.payload, CapabilityRated)
        and last_reconciled.get((e.payload.capability, e.payload.objective), 0) < e.seq
    }


def withheld_from(caller: Caller, entries: Sequence[Entry]) -> set[int]:
    """The seqs of other evaluators' unreconciled ratings, for an evaluator who is not the lead;
    nothing for anyone else. One pass: every evaluator's page reads this on each refresh."""
    if caller.role is not Role.EVALUATOR:
        return set()
    lead: str | None = None
    rated: list[tuple[Entry, CapabilityRated]] = []
    last_reconciled: dict[tuple[str, str | None], int] = {}
    for e in entries:
        p = e.payload
        if isinstance(p, CapabilityRated):
            rated.append((e, p))
        elif isinstance(p, RatingReconciled):
            last_reconciled[(p.capability, p.objective)] = e.seq
        elif isinstance(p, EvaluatorAssigned) and p.lead:
            lead = p.evaluator
    if lead is not None and caller.name == lead:
        return set()
    return {
        e.seq for e, p in rated
        if e.actor != caller.actor and last_reconciled.get((p.capability, p.objective), 0) < e.seq
    }


def as_read_by(caller: Caller, entries: Sequence[Entry]) -> list[Entry]:
    """The journal as ``caller`` may read it: every entry in its place, other evaluators'
    unreconciled ratings with the rating and reason withheld (that a rating was recorded, of
    which capability and by whom, is not withheld)."""
    hidden = withheld_from(caller, entries)
    if not hidden:
        return list(entries)
    return [
        e.model_copy(update={"payload": e.payload.model_copy(update={"rating": None, "reason": ""})})
        if e.seq in hidden
        else e
        for e in entries
    ]
