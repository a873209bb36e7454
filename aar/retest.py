"""Corrective actions re-tested: which actions of the program's earlier exercises this exercise
tested again, what its record shows, and the verdict that suggests.

What an action addresses is read from its key, as the improvement plan made it: 'protocol:<id>'
(the protocol that fell short) or 'observation:<seq>' (an evaluator's area for improvement, about a
core capability and, when it named one, an agency). This exercise re-tests it when it scored that
protocol, or else a protocol of the same capability for the same agency; an action filed from an
observation is re-tested by the capability's protocols for its agency, or by an evaluator's rating
of the capability. All met (or rated P or S): validated is suggested; otherwise not validated.
"""

from __future__ import annotations

from collections.abc import Sequence

from aar.model import STATUS_LABEL, CapabilityRating, Finding, Retest
from exercises.program.model import CorrectiveAction
from exercises.scenario.model import Rating
from exercises.scoring import SCORED, Status

EVIDENCE_PER_RETEST = 4
"""Journal entries shown as evidence per re-tested action (the earliest first)."""


def _scored(found: Sequence[Finding]) -> list[Finding]:
    return [f for f in found if f.status in SCORED]


def _matching(action: CorrectiveAction, found: Sequence[Finding]) -> list[Finding]:
    scored = _scored(found)
    if action.key.startswith("protocol:"):
        protocol = action.key.removeprefix("protocol:").split("|")[0]
        same = [f for f in scored if f.protocol_id == protocol]
        if same:
            return same
    return [f for f in scored if f.capability == action.capability and (not action.agency or f.agency == action.agency)]


def _outcome(items: Sequence[Finding]) -> str:
    titles = ", ".join(dict.fromkeys(f.protocol_title for f in items))
    counts = ", ".join(
        f"{sum(f.status is s for f in items)} {STATUS_LABEL[s]}"
        for s in sorted({f.status for f in items}, key=lambda s: s.value)
    )
    return f"{titles}: {counts}."


def _from_findings(title: str, action: CorrectiveAction, items: Sequence[Finding]) -> Retest:
    trail = tuple(e for f in items for e in f.evidence)[:EVIDENCE_PER_RETEST]
    return Retest(
        source_exercise=title, source_exercise_id=action.exercise_id, action_key=action.key, capability=action.capability, agency_name=action.agency_name,
        corrective_action=action.action, earlier_finding=action.issue, new_outcome=_outcome(items),
        evidence=trail, suggested="validated" if all(f.status is Status.MET for f in items) else "not validated",
        status=action.status.value,
    )


def _from_rating(title: str, action: CorrectiveAction, row: CapabilityRating) -> Retest | None:
    rating = row.of_record
    if rating is None or not row.evaluator:
        return None
    return Retest(
        source_exercise=title, source_exercise_id=action.exercise_id, action_key=action.key, capability=action.capability, agency_name=action.agency_name,
        corrective_action=action.action, earlier_finding=action.issue,
        new_outcome=f"{row.capability} rated {rating.value} by an evaluator (entry {row.evaluator[-1].seq}).",
        evidence=(), suggested="validated" if rating in {Rating.P, Rating.S} else "not validated",
        status=action.status.value,
    )


def retests(
    earlier: Sequence[tuple[str, CorrectiveAction]], found: Sequence[Finding], table1: Sequence[CapabilityRating],
) -> list[Retest]:
    """The earlier exercises' actions (with their exercise's title) this exercise tested again."""
    out: list[Retest] = []
    for title, action in earlier:
        items = _matching(action, found)
        if items:
            out.append(_from_findings(title, action, items))
            continue
        row = next((r for r in table1 if r.capability == action.capability and r.evaluator), None)
        made = _from_rating(title, action, row) if row is not None else None
        if made is not None:
            out.append(made)
    return out
