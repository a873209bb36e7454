"""The drafted Improvement Plan (Appendix A) and the controllers' edits to it.

One row per critical protocol with a shortfall (missed, late, out of order) and one per area for
improvement an evaluator wrote. Each row has a stable ``key`` ('protocol:<id>',
'observation:<seq>'), so an ``ImprovementItemEdited`` entry keeps applying however often the
report is rebuilt.

The POETE element of a drafted row (the rule in docs/report.md):
1. the responsible agency was cut off from the lead agency while the task was due -> equipment;
2. the responsible agency was overloaded -> organization;
3. otherwise the corrective action's own words decide, first match wins: train/drill/practi(s|c)e
   -> training; exercise/inject/MSEL -> exercise; radio/repeater/equipment/vehicle/battery/
   console/phone -> equipment; staff/roster/on-call/role/liaison/organi[sz] -> organization;
   plan/procedure/checklist/protocol/script/policy -> planning;
4. otherwise by what went wrong: missed -> planning (nothing made the task happen), late or out of
   order -> training (the task was known but not done in time or in order).

Dates: work starts 30 days after the last day of the exercise; completion is 90 days after that
for training and exercise rows, 120 for planning and organization, 180 for equipment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from pydantic import ValidationError

from aar.model import (
    SHORTFALLS,
    STATUS_LABEL,
    AgencyTraffic,
    Element,
    Finding,
    ImprovementItem,
)
from aar.record import Record
from aar.scoring import finding_sentence
from exercises.entries import IMPROVEMENT_FIELDS, ImprovementItemEdited, ObservationRecorded
from exercises.scenario import Scenario

START_AFTER = timedelta(days=30)
DURATION: dict[Element, timedelta] = {
    Element.TRAINING: timedelta(days=90),
    Element.EXERCISE: timedelta(days=90),
    Element.PLANNING: timedelta(days=120),
    Element.ORGANIZATION: timedelta(days=120),
    Element.EQUIPMENT: timedelta(days=180),
}

_WORDS: tuple[tuple[Element, re.Pattern[str]], ...] = (
    (Element.TRAINING, re.compile(r"\b(train\w*|drill\w*|practi[sc]\w*)", re.I)),
    (Element.EXERCISE, re.compile(r"\b(exercis\w*|injects?|msel)\b", re.I)),
    (Element.EQUIPMENT, re.compile(r"\b(radios?|repeaters?|equipment|vehicles?|batter\w*|consoles?|phones?)\b", re.I)),
    (Element.ORGANIZATION, re.compile(r"\b(staff\w*|rosters?|on-call|roles?|liaisons?|organi[sz]\w*)", re.I)),
    (Element.PLANNING, re.compile(r"\b(plans?|procedures?|checklists?|protocols?|script\w*|polic\w*)\b", re.I)),
)

EDITABLE = IMPROVEMENT_FIELDS


def element_from_words(text: str) -> Element | None:
    for element, pattern in _WORDS:
        if pattern.search(text):
            return element
    return None


def _during(intervals: Sequence[tuple[float, float | None]], start: float, end: float) -> bool:
    return any(a <= end and (b is None or b >= start) for a, b in intervals)


def choose_element(
    found: Sequence[Finding], corrective: str, traffic: AgencyTraffic | None
) -> tuple[Element, str]:
    """The POETE element of a protocol row, with the reason (rule above)."""
    if traffic is not None:
        for f in found:
            if f.triggered_at is not None and _during(
                traffic.cut_off, f.triggered_at, f.deadline_at or f.triggered_at
            ):
                return Element.EQUIPMENT, "the agency was cut off from the lead agency while the task was due"
        if traffic.overloaded:
            return Element.ORGANIZATION, "the agency was overloaded during the exercise"
    by_words = element_from_words(corrective)
    if by_words is not None:
        return by_words, "from the wording of the corrective action"
    if any(f.status.value == "missed" for f in found):
        return Element.PLANNING, "the task was missed: nothing in place made it happen"
    return Element.TRAINING, "the task was known but not done in time or in order"


def draft(
    scenario: Scenario,
    record: Record,
    found: Sequence[Finding],
    traffic: Mapping[str, AgencyTraffic],
    exercise_end: date,
) -> list[ImprovementItem]:
    start = exercise_end + START_AFTER
    rows: list[ImprovementItem] = []
    for protocol in scenario.protocols:
        bad = [f for f in found if f.protocol_id == protocol.id and f.status in SHORTFALLS]
        if not protocol.critical or not bad:
            continue
        corrective = protocol.corrective_action or (
            f"Review how {scenario.agency(protocol.agency).name} performs '{protocol.action}' "
            f"after '{protocol.trigger.name or 'exercise start'}' ({protocol.source})."
        )
        element, reason = choose_element(bad, corrective, traffic.get(protocol.agency))
        tally = ", ".join(
            f"{sum(f.status is s for f in bad)} {STATUS_LABEL[s]}"
            for s in sorted({f.status for f in bad}, key=lambda s: s.value)
        )
        rows.append(
            ImprovementItem(
                key=f"protocol:{protocol.id}",
                capability=protocol.capability,
                issue=f"{protocol.id} {protocol.title} ({tally}). {finding_sentence(bad[0])}",
                corrective_action=corrective,
                element=element,
                element_reason=reason,
                responsible_agency=scenario.agency(protocol.agency).name,
                start_date=start,
                completion_date=start + DURATION[element],
            )
        )
    for e in record.entries:
        p = e.payload
        if not isinstance(p, ObservationRecorded) or not p.areas_for_improvement.strip():
            continue
        by_words = element_from_words(p.areas_for_improvement)
        element = by_words or Element.PLANNING
        agency = scenario.agency(e.agency).name if e.agency else scenario.agency(scenario.lead_agency).name
        rows.append(
            ImprovementItem(
                key=f"observation:{e.seq}",
                capability=p.capability,
                issue=p.areas_for_improvement,
                corrective_action="To be set at the after-action meeting.",
                element=element,
                element_reason="from the wording of the observation" if by_words else "default for observations",
                responsible_agency=agency,
                start_date=start,
                completion_date=start + DURATION[element],
            )
        )
    return rows


def apply_edits(rows: Sequence[ImprovementItem], record: Record) -> tuple[list[ImprovementItem], list[str]]:
    """Controllers' edits, oldest first (the newest value of a field wins); problems as notes."""
    by_key = {r.key: r for r in rows}
    notes: list[str] = []
    for e in record.entries:
        p = e.payload
        if not isinstance(p, ImprovementItemEdited):
            continue
        row = by_key.get(p.item_key)
        if row is None:
            notes.append(f"Improvement-plan edit #{e.seq} names no drafted row ({p.item_key!r}); ignored.")
            continue
        update: dict[str, object] = {}
        for name, value in p.fields.items():
            if name not in EDITABLE:
                notes.append(f"Improvement-plan edit #{e.seq}: {name!r} is not an editable field; ignored.")
                continue
            update[name] = value
        if "element" in update:
            update["element_reason"] = "set by a controller"
        try:
            merged = ImprovementItem.model_validate(
                {**row.model_dump(), **update, "edited_by": (*row.edited_by, e.seq)}
            )
        except ValidationError as exc:
            fields = ", ".join(str(err["loc"][0]) for err in exc.errors())
            notes.append(f"Improvement-plan edit #{e.seq} has invalid {fields}; ignored.")
            continue
        by_key[p.item_key] = merged
    return [by_key[r.key] for r in rows], notes
