"""Findings: each protocol held against the journal, once per time it was triggered.

Pure functions of (scenario, journal). The matching rule, in the words of docs/report.md:
trigger instances and the responsible agency's expected actions are paired one-to-one in time
order; each instance, earliest first, takes the earliest expected action not already taken that
is allowed for it (at or after the trigger for a deadline; any time for ``before_trigger``).
Greedy pairing in time order is monotone: an expected action done earlier (without crossing a
trigger) never worsens a finding, and one removed never improves one. The property tests hold it
to that.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

from aar.clock import when
from aar.model import Evidence, Finding, Status, TaskCount
from aar.names import Names
from aar.record import Record, build_record
from exercises.durations import format_span
from exercises.entries import (
    ActionLogged,
    ClockStarted,
    Development,
    Entry,
    InjectDelivered,
)
from exercises.scenario import Protocol, Scenario


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
    if isinstance(p, InjectDelivered):
        synopsis = ""
        if record is not None and p.inject_id in record.injects:
            synopsis = f" \u201c{record.injects[p.inject_id].synopsis}\u201d"
        to = ", ".join(names.agency(a) for a in p.to)
        return f"inject {p.inject_id}{synopsis} delivered to {to}"
    if isinstance(p, Development):
        raised = ", ".join(names.event(r) for r in p.raises)
        return f"{p.model} development: {names.words(p.what)}" + (f" (raises: {raised})" if raised else "")
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


def trigger_entries(protocol: Protocol, record: Record) -> list[Entry]:
    """Every entry that started this protocol's clock, by time."""
    trig = protocol.trigger
    if trig.kind == "exercise_start":
        first = next((e for e in record.entries if isinstance(e.payload, ClockStarted)), None)
        return [first] if first is not None else []
    if trig.kind == "event":
        return list(record.events.get(trig.name or "", []))
    return [
        e
        for e in record.actions.get(trig.name or "", [])
        if not trig.agencies or e.agency in trig.agencies
    ]


def expected_entries(protocol: Protocol, record: Record) -> list[Entry]:
    """The responsible agency's actions that can satisfy the protocol, by time."""
    return [e for e in record.actions.get(protocol.action, []) if e.agency == protocol.agency]


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


def protocol_findings(protocol: Protocol, record: Record) -> list[Finding]:
    """The findings of one protocol: one per trigger instance, or one 'not triggered'."""
    triggers = trigger_entries(protocol, record)
    base = _base(protocol, record.names)
    if not triggers:
        return [
            Finding.model_validate(
                {
                    **base,
                    "instance": 0,
                    "status": Status.NOT_TRIGGERED,
                    "triggered_at": None,
                    "deadline_at": None,
                    "done_at": None,
                    "response_s": None,
                    "late_by_s": None,
                    "evidence": (),
                }
            )
        ]
    candidates = expected_entries(protocol, record)
    times = [c.at for c in candidates]
    taken = [False] * len(candidates)
    findings = []
    for n, trig in enumerate(triggers, start=1):
        start = 0 if protocol.before_trigger else bisect_left(times, trig.at)
        match: Entry | None = None
        for i in range(start, len(candidates)):
            cand = candidates[i]
            if not taken[i] and cand.seq != trig.seq:
                taken[i] = True
                match = cand
                break
        trail = [evidence("trigger", trig, record)]
        if match is not None:
            trail.append(evidence("expected action", match, record))
        trail.sort(key=lambda ev: (ev.at, ev.seq))
        if protocol.before_trigger:
            deadline = trig.at
            if match is None:
                status, late_by = Status.MISSED, None
            elif (match.at, match.seq) < (trig.at, trig.seq):
                status, late_by = Status.MET, None
            else:
                status, late_by = Status.OUT_OF_ORDER, float(round(match.at) - round(trig.at))
        else:
            deadline = trig.at + (protocol.within or 0.0)
            if match is None:
                status = Status.OPEN if deadline > record.end else Status.MISSED
                late_by = None
            elif round(match.at) <= round(deadline):
                # Compared at the record's resolution, whole seconds: 0.4 s past is on time, so
                # "late by 0 s" cannot be written.
                status, late_by = Status.MET, None
            else:
                status, late_by = Status.LATE, float(round(match.at) - round(deadline))
        findings.append(
            Finding.model_validate(
                {
                    **base,
                    "instance": n,
                    "status": status,
                    "triggered_at": trig.at,
                    "deadline_at": deadline,
                    "done_at": match.at if match else None,
                    "response_s": match.at - trig.at if match else None,
                    "late_by_s": late_by,
                    "evidence": tuple(trail),
                }
            )
        )
    return findings


def findings(scenario: Scenario, journal: Sequence[Entry] | Record) -> list[Finding]:
    """Every protocol's findings, in the scenario's protocol order, instances in time order."""
    record = journal if isinstance(journal, Record) else build_record(scenario, journal)
    return [f for protocol in scenario.protocols for f in protocol_findings(protocol, record)]


_SEVERITY: dict[Status, int] = {
    Status.MET: 0,
    Status.NOT_TRIGGERED: 0,
    Status.LATE: 1,
    Status.OUT_OF_ORDER: 1,
    Status.OPEN: 2,
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
    if finding.status is Status.NOT_TRIGGERED:
        return "Not triggered during the exercise."
    if finding.status is Status.MET and finding.before_trigger:
        return f"Done at {done}, before the trigger at {trig}."
    if finding.status is Status.MET:
        return f"Triggered at {trig}, done at {done} (due by {due}; took {format_span(finding.response_s or 0)})."
    if finding.status is Status.LATE:
        return (
            f"Triggered at {trig}, due by {due}, done at {done}: "
            f"late by {format_span(finding.late_by_s or 0)}."
        )
    if finding.status is Status.OUT_OF_ORDER:
        return (
            f"Required before the trigger at {trig}, but done at {done}, "
            f"{format_span(finding.late_by_s or 0)} after it."
        )
    if finding.status is Status.OPEN:
        return f"Triggered at {trig}, due by {due}, after the end of play; not done."
    if finding.before_trigger:
        return f"Required before the trigger at {trig}; never done."
    return f"Triggered at {trig}, due by {due}; never done."
