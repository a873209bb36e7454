"""The drafted Improvement Plan (Appendix A) and the controllers' edits to it.

One row per critical protocol with a shortfall (missed, late, out of order) and one per area for
improvement evaluators wrote (the same text for the same capability, element and agency is one row,
listing every observation that noted it). Each row has a stable ``key`` ('protocol:<id>',
'observation:<seq>' of the first such observation), so an ``ImprovementItemEdited`` entry keeps
applying however often the report is rebuilt.

Nothing is guessed (the rules in docs/report.md):
- element (POETE): what the protocol (or its plan) declares, one row per declared element; for an
  evaluator's area for improvement, the element the evaluator chose; otherwise none, and the row
  says it is to be set;
- corrective action: the protocol's (or its plan's) text, else a drafted "review how ..." line
  that names the agency and the task; for an observation, to be set at the after-action meeting;
- responsible organization: the agency the finding is about (the protocol's agency), or the agency
  the observation names; none when it names none;
- start and completion dates: empty until a controller sets them.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from aar.model import SHORTFALLS, STATUS_LABEL, Element, Finding, ImprovementItem
from aar.record import Record
from aar.scoring import finding_sentence
from exercises.record.entries import IMPROVEMENT_FIELDS, Entry, ImprovementItemEdited, ObservationRecorded
from exercises.scenario.model import Protocol, Scenario

EDITABLE = IMPROVEMENT_FIELDS
TO_BE_SET = "to be set: the protocol declares no capability element"


def _tally(bad: Sequence[Finding]) -> str:
    return ", ".join(
        f"{sum(f.status is s for f in bad)} {STATUS_LABEL[s]}"
        for s in sorted({f.status for f in bad}, key=lambda s: s.value)
    )


def _protocol_rows(scenario: Scenario, record: Record, protocol: Protocol, bad: Sequence[Finding]) -> list[ImprovementItem]:
    names = record.names
    agency = names.agency(protocol.agency)
    trigger = protocol.trigger
    after = (
        names.action(trigger.name or "") if trigger.kind == "action"
        else names.event(trigger.name or "") if trigger.kind == "event" else "the start of the exercise"
    )
    corrective = protocol.corrective_action or (
        f"Review how {agency} performs \u201c{names.action(protocol.action)}\u201d after "
        f"\u201c{after}\u201d ({protocol.source})."
    )
    issue = f"{protocol.title} ({_tally(bad)}). {finding_sentence(bad[0], record)}"
    base = {"capability": protocol.capability, "issue": issue, "corrective_action": corrective,
            "responsible_agency": agency}
    return [declared_row(f"protocol:{protocol.id}", [Element(e) for e in protocol.elements], **base)]


def declared_row(key: str, declared: Sequence[Element], **base: str) -> ImprovementItem:
    """One row for one corrective action, with every capability element its plan declares (a plan
    declaring training and planning for one action gets one row naming both, not two alike)."""
    if not declared:
        return ImprovementItem(key=key, element=None, element_reason=TO_BE_SET, **base)
    return ImprovementItem(key=key, element=declared[0], elements=tuple(declared),
                           element_reason="declared by the response plan", **base)


def element_text(item: ImprovementItem) -> str:
    """The Capability Element cell: 'Training, Planning'; 'To be set' when none is known."""
    elements = item.elements or ((item.element,) if item.element else ())
    return ", ".join(e.value.capitalize() for e in elements) or "To be set"


def _observation_rows(record: Record) -> list[ImprovementItem]:
    """One row per area for improvement as evaluators wrote it: the same text for the same
    capability, element and agency is one corrective action, however often it was noted, and the
    row keeps every observation that noted it (``noted``), in journal order."""
    noted: dict[tuple[str, str, str, str], list[Entry]] = {}
    for e in record.entries:
        p = e.payload
        if isinstance(p, ObservationRecorded) and p.areas_for_improvement.strip():
            noted.setdefault((p.capability, p.areas_for_improvement, p.element or "", e.agency or ""), []).append(e)
    rows = []
    for (capability, area, chosen, agency), entries in noted.items():
        element = Element(chosen) if chosen else None
        rows.append(ImprovementItem(
            key=f"observation:{entries[0].seq}",
            capability=capability,
            issue=area,
            corrective_action="To be set at the after-action meeting.",
            element=element,
            element_reason="chosen by the evaluator" if element else "to be set: the evaluator chose none",
            responsible_agency=record.names.agency(agency) if agency else "",
            noted=tuple(e.seq for e in entries),
        ))
    return rows


def issue_text(item: ImprovementItem) -> str:
    """The Issue / Area for Improvement cell: the issue, and where it was noted more than once."""
    noted = noted_text(item)
    return f"{item.issue}\n{noted}" if noted else item.issue


def noted_text(item: ImprovementItem) -> str:
    """Where an area for improvement was noted more than once: 'Noted in 3 evaluator observations
    (journal entries 12, 40 and 77).' Empty for a row that rests on one observation or on a finding."""
    if len(item.noted) < 2:
        return ""
    entries = [str(seq) for seq in item.noted]
    listed = ", ".join(entries[:-1]) + f" and {entries[-1]}"
    return f"Noted in {len(item.noted)} evaluator observations (journal entries {listed})."


def draft(scenario: Scenario, record: Record, found: Sequence[Finding]) -> list[ImprovementItem]:
    rows: list[ImprovementItem] = []
    for protocol in scenario.protocols:
        bad = [f for f in found if f.protocol_id == protocol.id and f.status in SHORTFALLS]
        if protocol.critical and bad:
            rows += _protocol_rows(scenario, record, protocol, bad)
    return rows + _observation_rows(record)


def apply_edits(rows: Sequence[ImprovementItem], record: Record) -> tuple[list[ImprovementItem], list[str]]:
    """Controllers' edits, oldest first (the newest value of a field wins); problems as notes."""
    by_key = {r.key: r for r in rows}
    # An edit naming any observation of a row noted several times edits that row (such areas were
    # once a row each).
    noted = {f"observation:{seq}": r.key for r in rows for seq in r.noted}
    notes: list[str] = []
    for e in record.entries:
        p = e.payload
        if not isinstance(p, ImprovementItemEdited):
            continue
        key = noted.get(p.item_key, p.item_key)
        row = by_key.get(key) or by_key.get(key.partition("|")[0])  # keys once had '|<element>'
        if row is None:
            notes.append(f"Improvement-plan edit (entry {e.seq}) names a row that is not in the draft; ignored.")
            continue
        update: dict[str, object] = {}
        for name, value in p.fields.items():
            if name not in EDITABLE:
                notes.append(f"Improvement-plan edit (entry {e.seq}): {name!r} is not an editable field; ignored.")
                continue
            update[name] = value
        if "element" in update:
            update["element_reason"] = "set by a controller"
            update["elements"] = ()
        if "responsible_agency" in update:  # the console sends an agency's id; the plan prints names
            agency = str(update["responsible_agency"])
            update["responsible_agency"] = record.names.agencies.get(agency, agency)
        try:
            merged = ImprovementItem.model_validate(
                {**row.model_dump(), **update, "edited_by": (*row.edited_by, e.seq)}
            )
        except ValidationError as exc:
            fields = ", ".join(str(err["loc"][0]) for err in exc.errors())
            notes.append(f"Improvement-plan edit (entry {e.seq}) has invalid {fields}; ignored.")
            continue
        by_key[row.key] = merged
    return [by_key[r.key] for r in rows], notes
