"""Findings: each protocol held against the journal, once per time it was triggered.

Pure functions of (scenario, journal). Which action answers which trigger, and the status it
earns, is the one rule of ``exercises.scoring``, which the console's protocol clock and the
simulated baseline call too; this module turns its instances into the report's findings, with
their evidence and sentences.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from aar.clock import when
from aar.model import Evidence, Finding, Status, TaskCount
from aar.names import Names
from aar.record import Record, build_record
from exercises.record.entries import (
    ActionLogged,
    ClockStarted,
    Development,
    Entry,
    InjectDelivered,
    MessageDelivered,
    MessageSent,
    ResourceRequested,
)
from exercises.scenario.durations import format_span
from exercises.scenario.model import Protocol, Scenario
from exercises.scoring import UNANSWERED, Scored, rests_on_messages, score_protocol, unanswered


def describe(entry: Entry, record: Record | None = None) -> str:
    """A one-line, plain-text account of an entry for evidence lists, with names, not ids (user
    text kept verbatim)."""
    names = record.names if record is not None else Names()
    p = entry.payload
    who = names.agency(entry.agency) if entry.agency else entry.actor
    if isinstance(p, ActionLogged):
        text = f": {p.text}" if p.text else ""
        linked = f" (inject {p.inject_id})" if p.inject_id else ""
        return f"{who} logged \u201c{names.action(p.action)}\u201d{linked}{text}"
    if isinstance(p, MessageSent):
        return f"{who} sent a message to {names.agency(p.to)}: \u201c{p.text}\u201d"
    if isinstance(p, InjectDelivered):
        synopsis = ""
        if record is not None and p.inject_id in record.injects:
            synopsis = f" \u201c{record.injects[p.inject_id].synopsis}\u201d"
        to = ", ".join(names.agency(a) for a in p.to)
        return f"inject {p.inject_id}{synopsis} delivered to {to}"
    if isinstance(p, Development):
        raised = ", ".join(names.event(r) for r in p.raises)
        return names.development(p, entry.agency) + (f" (raises: {raised})" if raised else "")
    if isinstance(p, MessageDelivered):
        return f"message from {names.agency(p.sender)} delivered to {names.agency(p.to)}"
    if isinstance(p, ResourceRequested):
        return f"{who} asked {names.agency(p.to)} for {names.units(p.unit_type, p.count)}"
    if isinstance(p, ClockStarted):
        return "exercise clock started"
    return f"{who}: {p.kind.value.replace('_', ' ')}"


def evidence(role: str, entry: Entry, record: Record) -> Evidence:
    return Evidence(
        role=role,
        seq=entry.seq,
        at=entry.at,
        kind=entry.kind.value,
        agency=entry.agency,
        summary=describe(entry, record),
        corrected_by=record.corrected_by.get(entry.seq),
        after_end=record.recorded_after_end(entry.seq),
    )


def _base(protocol: Protocol, names: Names) -> dict[str, object]:
    return {
        "agency_name": names.agency(protocol.agency),
        "action_label": names.action(protocol.action),
        "protocol_id": protocol.id,
        "protocol_title": protocol.title,
        "plan": protocol.plan,
        "agency": protocol.agency,
        "action": protocol.action,
        "capability": protocol.capability,
        "critical": protocol.critical,
        "source": protocol.source,
        "within_s": protocol.within,
        "before_trigger": protocol.before_trigger,
    }


class _Kept(NamedTuple):
    """One protocol's findings as last made from a record's fold, and what they rest on."""

    protocol: Protocol
    inputs: tuple[object, ...]
    messages: int | None
    """How many messages were indexed then, when its triggers' reach depends on messages."""
    found: tuple[Finding, ...]


def protocol_findings(protocol: Protocol, record: Record) -> list[Finding]:
    """The findings of one protocol: one per trigger instance, or one 'not triggered'. Made again
    only when what they rest on grew since a record of the same fold made them (``Record.kept``);
    else those findings, an unanswered one's status brought to this record's end."""
    by_simulation, ended = protocol.agency in record.simulated, record.ended_at is not None
    inputs = (*record.index.extent(protocol), ended, by_simulation, len(record.injects))
    messages = record.index.message_count()
    kept = record.kept.get(("findings", protocol.id))
    if (isinstance(kept, _Kept) and kept.inputs == inputs and kept.messages in (None, messages)
            and kept.protocol == protocol):
        return [_brought_to(f, record.end, ended) for f in kept.found]
    base = {**_base(protocol, record.names), "by_simulation": by_simulation}
    scored = score_protocol(protocol, record.index, now=record.end, ended=ended)
    if not scored:
        found = [Finding.model_validate({
            **base, "instance": 0, "status": Status.NOT_TRIGGERED, "triggered_at": None,
            "deadline_at": None, "done_at": None, "response_s": None, "late_by_s": None, "evidence": (),
        })]
    else:
        found = [_finding(n, one, base, record) for n, one in enumerate(scored, start=1)]
    record.kept[("findings", protocol.id)] = _Kept(
        protocol, inputs, messages if rests_on_messages(scored) else None, tuple(found))
    return found


def _brought_to(found: Finding, now: float, ended: bool) -> Finding:
    if found.done_at is not None or found.status not in UNANSWERED or found.deadline_at is None:
        return found
    status = unanswered(found.deadline_at, before_trigger=found.before_trigger, now=now, ended=ended)
    return found if status is found.status else found.model_copy(update={"status": status})


def _finding(n: int, one: Scored, base: dict[str, object], record: Record) -> Finding:
    trig, match = one.trigger, one.answer
    trail = [evidence("trigger", trig, record)]
    trail += [evidence("reminder", r, record) for r in one.reminders]
    if one.told is not None:
        trail.append(evidence("told", one.told, record))
    start = (one.told or trig).at
    if match is not None:
        trail.append(evidence("expected action", match, record))
    trail.sort(key=lambda ev: (ev.at, ev.seq))
    return Finding.model_validate({
        **base,
        "instance": n,
        "status": one.status,
        "triggered_at": trig.at,
        "deadline_at": one.due_at,
        "done_at": match.at if match else None,
        "response_s": match.at - start if match else None,
        "told_at": one.told.at if one.told is not None else None,
        "late_by_s": one.late_by,
        "evidence": tuple(trail),
    })


def findings(scenario: Scenario, journal: Sequence[Entry] | Record) -> list[Finding]:
    """Every protocol's findings, in the scenario's protocol order, instances in time order."""
    record = journal if isinstance(journal, Record) else build_record(scenario, journal)
    return [f for protocol in scenario.protocols for f in protocol_findings(protocol, record)]


_SEVERITY: dict[Status, int] = {
    Status.MET: 0,
    Status.NOT_TRIGGERED: 0,
    Status.NOT_REACHED: 0,
    Status.PENDING: 0,
    Status.LATE: 1,
    Status.OUT_OF_ORDER: 1,
    Status.OPEN: 2,
    Status.OVERDUE: 2,
    Status.MISSED: 3,
}


def severity(finding: Finding) -> tuple[int, float]:
    """How bad a finding is, for comparisons: status first, then how late."""
    return (_SEVERITY[finding.status], finding.late_by_s or 0.0)


def count(name: str, label: str, items: Sequence[Finding]) -> TaskCount:
    tally = {status.value: 0 for status in Status}
    for f in items:
        tally[f.status.value] += 1
    return TaskCount(name=name, label=label, **tally)


def compliance_by_protocol(scenario: Scenario, found: Sequence[Finding]) -> list[TaskCount]:
    return [
        count(p.id, p.title, [f for f in found if f.protocol_id == p.id]) for p in scenario.protocols
    ]


def compliance_by_agency(scenario: Scenario, found: Sequence[Finding]) -> list[TaskCount]:
    responsible = dict.fromkeys(p.agency for p in scenario.protocols)
    return [
        count(a, scenario.agency(a).name, [f for f in found if f.agency == a]) for a in responsible
    ]


def finding_sentence(finding: Finding, record: Record | None = None) -> str:
    """What happened, in one plain sentence with exercise times (no markup), and the wall-clock
    times beside them when the record knows its real start."""
    real = record.real_time if record is not None else None
    incident = record is not None and record.real_incident

    def at(seconds: float | None) -> str:
        return when(seconds, real, real_incident=incident)

    due, trig, done = at(finding.deadline_at), at(finding.triggered_at), at(finding.done_at)
    if finding.told_at is not None:
        trig = f"{trig} (it reached {finding.agency_name or finding.agency} at {at(finding.told_at)})"
    if finding.status is Status.NOT_TRIGGERED:
        return f"Not triggered during the {'incident' if incident else 'exercise'}."
    if finding.status is Status.NOT_REACHED:
        return (f"Raised at {trig}, but it never reached {finding.agency_name or finding.agency} (no inject or "
                "message carried it): not counted as its miss.")
    if finding.status is Status.MET and finding.before_trigger:
        return f"Done at {done}, before the trigger at {trig}."
    if finding.status is Status.MET:
        return (f"Triggered at {trig}, done at {done} (due by {due}; took {format_span(finding.response_s or 0)})"
                f"{_chased(finding, at)}.")
    if finding.status is Status.LATE:
        return (
            f"Triggered at {trig}, due by {due}, done at {done}: "
            f"late by {format_span(finding.late_by_s or 0)}{_chased(finding, at)}."
        )
    if finding.status is Status.OUT_OF_ORDER:
        after = (f"{format_span(finding.late_by_s)} after it" if finding.late_by_s
                 else "in the same second, after it")
        return f"Required before the trigger at {trig}, but done at {done}, {after}."
    if finding.status is Status.OPEN:
        return f"Triggered at {trig}, due by {due}, after the end of play; not done."
    if finding.status is Status.PENDING:
        return f"Triggered at {trig}, due by {due}; not done yet."
    if finding.status is Status.OVERDUE and finding.before_trigger:
        return f"Required before the trigger at {trig}; not done yet."
    if finding.status is Status.OVERDUE:
        return f"Triggered at {trig}, due by {due}; overdue, not done yet."
    if finding.before_trigger:
        return f"Required before the trigger at {trig}; never done."
    return f"Triggered at {trig}, due by {due}; never done{_chased(finding, at)}."


def _chased(finding: Finding, at: Callable[[float | None], str]) -> str:
    """The reminders of a request chased while unanswered, with their times."""
    times = [at(ev.at) for ev in finding.evidence if ev.role == "reminder"]
    if not times:
        return ""
    return f"; chased {len(times)} time{'s' if len(times) > 1 else ''} (at {', '.join(times)}), counted from the first ask"
